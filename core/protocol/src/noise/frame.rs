//! Frame codec (docs/PROTOCOL.md, Transport): `len (3 bytes, big-endian) ‖ payload`, plus the client's
//! one-time intro header `57 41 06 <dict>` (optionally preceded by an edge-routing preamble).
//!
//! WebSocket message boundaries mean nothing: [`FrameDecoder`] buffers arbitrary chunks and yields
//! complete frames; [`FrameEncoder`] writes frames and prepends the intro to the first one only.

use crate::binary::Dictionary;

/// Largest payload a 3-byte length can describe (`2^24 - 1`); longer payloads are rejected.
pub const MAX_FRAME_LEN: usize = (1 << 24) - 1;

/// Dictionary version this crate speaks (docs/PROTOCOL.md, Transport and Binary nodes).
pub const DICT_VERSION: u8 = 3;

/// The intro header a current client sends first: `"WA"`, magic 6, dictionary version 3. It is
/// also the Noise prologue.
pub const WA_INTRO: [u8; 4] = [0x57, 0x41, 0x06, DICT_VERSION];

/// The intro header announcing `dictionary` (`57 41 06 02` or `57 41 06 03`). The header a
/// client actually sent is the Noise prologue of its handshake.
pub fn intro_header(dictionary: Dictionary) -> [u8; 4] {
    [WA_INTRO[0], WA_INTRO[1], WA_INTRO[2], dictionary.version()]
}

/// The first four bytes of an edge-routing preamble: `"ED"`, 0, 1.
pub const EDGE_ROUTING_MAGIC: [u8; 4] = [0x45, 0x44, 0x00, 0x01];

/// Errors of the frame codec. After a decoding error the stream is unusable: every later call
/// returns the same error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The client's first bytes are not an intro header (or routing preamble).
    #[error("bad intro header: byte {byte:#04x} at offset {offset}")]
    BadIntro {
        /// Offset of the unexpected byte from the start of the stream.
        offset: usize,
        /// The byte found there.
        byte: u8,
    },
    /// A frame (or routing preamble) declares a length above the decoder's limit.
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Declared length.
        len: usize,
        /// Configured limit.
        max: usize,
    },
}

/// What the client announced in its intro header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intro {
    /// Dictionary version byte (3 for current clients; Baileys 6.x sends 2).
    pub dict_version: u8,
    /// Edge-routing bytes from the optional `ED 00 01` preamble.
    pub routing_info: Option<Vec<u8>>,
}

impl Intro {
    /// The dictionary version announced, if the codec has its tables (2 or 3).
    pub fn dictionary(&self) -> Option<Dictionary> {
        Dictionary::from_version(self.dict_version)
    }

    /// The 4-byte header as the client sent it (without routing bytes): the Noise prologue.
    pub fn header(&self) -> [u8; 4] {
        [WA_INTRO[0], WA_INTRO[1], WA_INTRO[2], self.dict_version]
    }
}

#[derive(Debug)]
enum IntroState {
    /// Client-side decoder: server frames carry no intro.
    NotExpected,
    /// Server-side decoder before the intro arrived.
    Pending,
    /// Server-side decoder after the intro.
    Received(Intro),
}

/// Reassembles frames from arbitrarily split or coalesced byte chunks.
///
/// Memory use is bounded by the bytes pushed and not yet consumed; nothing is reserved ahead on
/// the strength of a declared length.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    start: usize,
    intro: IntroState,
    max_len: usize,
    failed: Option<FrameError>,
}

impl FrameDecoder {
    /// A decoder for the server side: it expects and strips the client's intro header.
    pub fn server() -> Self {
        Self::new(IntroState::Pending)
    }

    /// A decoder for the client side (server frames have no intro).
    pub fn client() -> Self {
        Self::new(IntroState::NotExpected)
    }

    fn new(intro: IntroState) -> Self {
        FrameDecoder {
            buf: Vec::new(),
            start: 0,
            intro,
            max_len: MAX_FRAME_LEN,
            failed: None,
        }
    }

    /// Lowers the largest accepted frame length (capped at [`MAX_FRAME_LEN`]).
    #[must_use]
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max_len = max.min(MAX_FRAME_LEN);
        self
    }

    /// Appends received bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The intro the client sent, once it has arrived (server side only).
    pub fn intro(&self) -> Option<&Intro> {
        match &self.intro {
            IntroState::Received(intro) => Some(intro),
            _ => None,
        }
    }

    /// Bytes received but not yet returned as frames.
    pub fn buffered_len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete frame payload, `Ok(None)` if more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        match self.decode_step() {
            Ok(frame) => Ok(frame),
            Err(err) => {
                self.failed = Some(err.clone());
                self.buf = Vec::new();
                self.start = 0;
                Err(err)
            }
        }
    }

    fn decode_step(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        if matches!(self.intro, IntroState::Pending) {
            let Some((consumed, intro)) = parse_intro(self.pending(), self.max_len)? else {
                return Ok(None);
            };
            self.consume(consumed);
            self.intro = IntroState::Received(intro);
        }
        let pending = self.pending();
        let Some(header) = pending.first_chunk::<3>() else {
            return Ok(None);
        };
        let len = be24(header);
        if len > self.max_len {
            return Err(FrameError::TooLarge {
                len,
                max: self.max_len,
            });
        }
        let Some(frame) = pending.get(3..3 + len) else {
            return Ok(None);
        };
        let frame = frame.to_vec();
        self.consume(3 + len);
        Ok(Some(frame))
    }

    fn pending(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }
}

fn be24(bytes: &[u8; 3]) -> usize {
    (usize::from(bytes[0]) << 16) | (usize::from(bytes[1]) << 8) | usize::from(bytes[2])
}

/// Checks that `got` is consistent with `expected` as far as it goes; `base` is the stream offset.
fn check_prefix(got: &[u8], expected: &[u8], base: usize) -> Result<bool, FrameError> {
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        if g != e {
            return Err(FrameError::BadIntro {
                offset: base + i,
                byte: *g,
            });
        }
    }
    Ok(got.len() >= expected.len())
}

/// Parses `[ED 00 01 len24 routing] 57 41 06 <dict>`; `Ok(None)` if incomplete.
fn parse_intro(buf: &[u8], max_len: usize) -> Result<Option<(usize, Intro)>, FrameError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let (offset, routing_info) = if first == EDGE_ROUTING_MAGIC[0] {
        if !check_prefix(buf, &EDGE_ROUTING_MAGIC, 0)? {
            return Ok(None);
        }
        let Some(len_bytes) = buf.get(4..7).and_then(|b| b.first_chunk::<3>()) else {
            return Ok(None);
        };
        let len = be24(len_bytes);
        if len > max_len {
            return Err(FrameError::TooLarge { len, max: max_len });
        }
        let Some(routing) = buf.get(7..7 + len) else {
            return Ok(None);
        };
        (7 + len, Some(routing.to_vec()))
    } else {
        (0, None)
    };
    let rest = buf.get(offset..).unwrap_or_default();
    if !check_prefix(rest, &WA_INTRO[..3], offset)? {
        return Ok(None);
    }
    let Some(&dict_version) = rest.get(3) else {
        return Ok(None);
    };
    Ok(Some((
        offset + 4,
        Intro {
            dict_version,
            routing_info,
        },
    )))
}

/// Writes frames; a client encoder prepends its intro to the first frame only.
#[derive(Debug, Clone)]
pub struct FrameEncoder {
    intro: Option<Vec<u8>>,
}

/// Error of [`FrameEncoder`]: the payload does not fit a 3-byte length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payload of {len} bytes does not fit a frame (max {MAX_FRAME_LEN})")]
pub struct PayloadTooLarge {
    /// The payload length.
    pub len: usize,
}

impl FrameEncoder {
    /// A client encoder with the standard intro `57 41 06 03`.
    pub fn client() -> Self {
        FrameEncoder {
            intro: Some(WA_INTRO.to_vec()),
        }
    }

    /// A client encoder with an explicit dictionary version and optional edge-routing bytes.
    pub fn client_with(
        dict_version: u8,
        routing_info: Option<&[u8]>,
    ) -> Result<Self, PayloadTooLarge> {
        let mut intro = Vec::new();
        if let Some(routing) = routing_info {
            intro.extend_from_slice(&EDGE_ROUTING_MAGIC);
            intro.extend_from_slice(&len24(routing.len())?);
            intro.extend_from_slice(routing);
        }
        intro.extend_from_slice(&[WA_INTRO[0], WA_INTRO[1], WA_INTRO[2], dict_version]);
        Ok(FrameEncoder { intro: Some(intro) })
    }

    /// A server encoder (no intro).
    pub fn server() -> Self {
        FrameEncoder { intro: None }
    }

    /// Frames `payload` into a new vector.
    pub fn encode(&mut self, payload: &[u8]) -> Result<Vec<u8>, PayloadTooLarge> {
        let mut out = Vec::new();
        self.encode_into(payload, &mut out)?;
        Ok(out)
    }

    /// Appends the framed `payload` (with the intro if it is the first frame) to `out`.
    pub fn encode_into(
        &mut self,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), PayloadTooLarge> {
        let header = len24(payload.len())?;
        let intro = self.intro.take();
        out.reserve(intro.as_ref().map_or(0, Vec::len) + 3 + payload.len());
        if let Some(intro) = intro {
            out.extend_from_slice(&intro);
        }
        out.extend_from_slice(&header);
        out.extend_from_slice(payload);
        Ok(())
    }
}

fn len24(len: usize) -> Result<[u8; 3], PayloadTooLarge> {
    if len > MAX_FRAME_LEN {
        return Err(PayloadTooLarge { len });
    }
    let [_, a, b, c] = u32::try_from(len)
        .map_err(|_| PayloadTooLarge { len })?
        .to_be_bytes();
    Ok([a, b, c])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain(decoder: &mut FrameDecoder) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        while let Some(frame) = decoder.next_frame().unwrap() {
            frames.push(frame);
        }
        frames
    }

    #[test]
    fn client_encoder_prepends_intro_once() {
        let mut enc = FrameEncoder::client();
        assert_eq!(
            enc.encode(b"ab").unwrap(),
            [0x57, 0x41, 6, 3, 0, 0, 2, b'a', b'b']
        );
        assert_eq!(enc.encode(b"c").unwrap(), [0, 0, 1, b'c']);
        let mut server = FrameEncoder::server();
        assert_eq!(server.encode(b"").unwrap(), [0, 0, 0]);
    }

    #[test]
    fn server_decoder_strips_intro_and_reports_version() {
        let mut dec = FrameDecoder::server();
        dec.push(&[0x57, 0x41]);
        assert_eq!(dec.next_frame().unwrap(), None);
        assert!(dec.intro().is_none());
        dec.push(&[0x06, 0x02, 0x00, 0x00, 0x01, 0xAA, 0x00]);
        assert_eq!(dec.next_frame().unwrap(), Some(vec![0xAA]));
        assert_eq!(
            dec.intro(),
            Some(&Intro {
                dict_version: 2,
                routing_info: None
            })
        );
        assert_eq!(dec.next_frame().unwrap(), None);
        assert_eq!(dec.buffered_len(), 1);
        dec.push(&[0x00, 0x00]);
        assert_eq!(dec.next_frame().unwrap(), Some(vec![]));
    }

    #[test]
    fn routing_preamble_round_trip() {
        let mut enc = FrameEncoder::client_with(3, Some(b"route")).unwrap();
        let bytes = enc.encode(b"hello").unwrap();
        assert_eq!(&bytes[..7], &[0x45, 0x44, 0, 1, 0, 0, 5]);
        let mut dec = FrameDecoder::server();
        for b in &bytes {
            dec.push(std::slice::from_ref(b));
        }
        assert_eq!(drain(&mut dec), vec![b"hello".to_vec()]);
        let intro = dec.intro().unwrap();
        assert_eq!(intro.dict_version, 3);
        assert_eq!(intro.routing_info.as_deref(), Some(&b"route"[..]));
    }

    #[test]
    fn bad_intro_is_rejected_early_and_sticks() {
        let mut dec = FrameDecoder::server();
        dec.push(&[0x57, 0x42]);
        assert_eq!(
            dec.next_frame(),
            Err(FrameError::BadIntro {
                offset: 1,
                byte: 0x42
            })
        );
        dec.push(&[0, 0, 0]);
        assert!(dec.next_frame().is_err());

        let mut dec = FrameDecoder::server();
        dec.push(&[0x00, 0x00, 0x01, 0x00]);
        assert_eq!(
            dec.next_frame(),
            Err(FrameError::BadIntro { offset: 0, byte: 0 })
        );

        let mut dec = FrameDecoder::server();
        dec.push(&[0x45, 0x44, 0x00, 0x02]);
        assert_eq!(
            dec.next_frame(),
            Err(FrameError::BadIntro { offset: 3, byte: 2 })
        );
    }

    #[test]
    fn oversize_lengths_are_typed_errors() {
        let mut dec = FrameDecoder::client().with_max_frame_len(16);
        dec.push(&[0x00, 0x00, 0x11]);
        assert_eq!(
            dec.next_frame(),
            Err(FrameError::TooLarge { len: 17, max: 16 })
        );
        assert_eq!(dec.buffered_len(), 0);

        // The full 3-byte range is accepted by default, but nothing is allocated for it up front.
        let mut dec = FrameDecoder::client();
        dec.push(&[0xFF, 0xFF, 0xFF, 1, 2]);
        assert_eq!(dec.next_frame(), Ok(None));
        assert_eq!(dec.buffered_len(), 5);
        assert!(dec.buf.capacity() < 1024);

        let mut dec = FrameDecoder::server().with_max_frame_len(4);
        dec.push(&[0x45, 0x44, 0x00, 0x01, 0x00, 0x00, 0x05]);
        assert_eq!(
            dec.next_frame(),
            Err(FrameError::TooLarge { len: 5, max: 4 })
        );

        let big = vec![0u8; MAX_FRAME_LEN + 1];
        assert_eq!(
            FrameEncoder::server().encode(&big),
            Err(PayloadTooLarge {
                len: MAX_FRAME_LEN + 1
            })
        );
    }

    proptest! {
        #[test]
        fn random_split_points(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
            server in any::<bool>(),
        ) {
            let (mut enc, mut dec) = if server {
                (FrameEncoder::client(), FrameDecoder::server())
            } else {
                (FrameEncoder::server(), FrameDecoder::client())
            };
            let mut stream = Vec::new();
            for p in &payloads {
                enc.encode_into(p, &mut stream).unwrap();
            }
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
            points.push(0);
            points.push(stream.len());
            points.sort_unstable();
            let mut got = Vec::new();
            for w in points.windows(2) {
                dec.push(&stream[w[0]..w[1]]);
                got.extend(drain(&mut dec));
            }
            prop_assert_eq!(got, payloads.clone());
            prop_assert_eq!(dec.buffered_len(), 0);
            if server && !payloads.is_empty() {
                prop_assert_eq!(dec.intro().map(|i| i.dict_version), Some(3));
            }
        }
    }
}
