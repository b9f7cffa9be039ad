//! History-sync blobs (docs/PROTOCOL.md, History sync): a `HistorySync` protobuf, zlib
//! compressed, then encrypted like media of type History. This module does the zlib half both
//! ways: [`compress`] for a phone, [`Inflater`] (streaming, with a size limit) for a companion.

use flate2::{Decompress, FlushDecompress, Status};
use prost::Message as _;

use crate::proto::e2e::HistorySync;

/// Default limit of one inflated chunk (WhatsApp's chunks are a few megabytes).
pub const MAX_INFLATED_CHUNK: usize = 64 * 1024 * 1024;

/// Why a blob did not give a `HistorySync`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The bytes are not a zlib stream.
    #[error("the history blob is not zlib data: {0}")]
    Inflate(String),
    /// The zlib stream ended early.
    #[error("the history blob's zlib stream is truncated")]
    Truncated,
    /// Bytes follow the end of the zlib stream.
    #[error("the history blob has bytes after its zlib stream")]
    TrailingData,
    /// The inflated chunk is larger than the limit.
    #[error("the inflated history chunk is larger than {0} bytes")]
    TooLarge(usize),
    /// The inflated bytes are not a `HistorySync` protobuf.
    #[error("the history chunk does not decode: {0}")]
    Decode(String),
}

/// A `HistorySync` as a phone uploads it before encryption: protobuf, zlib compressed.
pub fn compress(sync: &HistorySync) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(&sync.encode_to_vec());
    encoder.finish().unwrap_or_default()
}

/// Streaming zlib inflation of one history chunk, at most `limit` inflated bytes, then its
/// decoding. Feed it pieces with [`update`](Self::update), then call [`finish`](Self::finish).
pub struct Inflater {
    zlib: Decompress,
    out: Vec<u8>,
    limit: usize,
    done: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("inflated", &self.out.len())
            .field("limit", &self.limit)
            .field("done", &self.done)
            .finish()
    }
}

impl Inflater {
    /// An inflater that refuses chunks larger than `limit` inflated bytes.
    pub fn new(limit: usize) -> Self {
        Inflater {
            zlib: Decompress::new(true),
            out: Vec::new(),
            limit,
            done: false,
        }
    }

    /// Inflates the next piece of the compressed stream.
    pub fn update(&mut self, mut input: &[u8]) -> Result<(), HistoryError> {
        while !input.is_empty() {
            if self.done {
                return Err(HistoryError::TrailingData);
            }
            let consumed = self.step(input, FlushDecompress::None)?;
            input = input.get(consumed..).unwrap_or_default();
        }
        Ok(())
    }

    /// Ends the stream and decodes the chunk.
    pub fn finish(mut self) -> Result<HistorySync, HistoryError> {
        while !self.done {
            let before = self.out.len();
            self.step(&[], FlushDecompress::Finish)?;
            if !self.done && self.out.len() == before {
                return Err(HistoryError::Truncated);
            }
        }
        HistorySync::decode(self.out.as_slice()).map_err(|e| HistoryError::Decode(e.to_string()))
    }

    /// One call of the decompressor; answers the input bytes it consumed.
    fn step(&mut self, input: &[u8], flush: FlushDecompress) -> Result<usize, HistoryError> {
        let room = (self.limit + 1)
            .saturating_sub(self.out.len())
            .min(64 * 1024);
        if room == 0 {
            return Err(HistoryError::TooLarge(self.limit));
        }
        self.out.reserve(room);
        let (before_in, before_out) = (self.zlib.total_in(), self.out.len());
        let status = self
            .zlib
            .decompress_vec(input, &mut self.out, flush)
            .map_err(|e| HistoryError::Inflate(e.to_string()))?;
        if self.out.len() > self.limit {
            return Err(HistoryError::TooLarge(self.limit));
        }
        let consumed = usize::try_from(self.zlib.total_in() - before_in).unwrap_or(usize::MAX);
        match status {
            Status::StreamEnd => self.done = true,
            Status::Ok | Status::BufError => {
                if consumed == 0 && self.out.len() == before_out && !input.is_empty() {
                    return Err(HistoryError::Inflate("no progress".to_owned()));
                }
            }
        }
        Ok(consumed)
    }
}

/// Inflates and decodes a whole blob at once (see [`Inflater`]).
pub fn decode(compressed: &[u8], limit: usize) -> Result<HistorySync, HistoryError> {
    let mut inflater = Inflater::new(limit);
    inflater.update(compressed)?;
    inflater.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::e2e::{Conversation, Pushname};

    fn sample() -> HistorySync {
        HistorySync {
            sync_type: Some(0),
            chunk_order: Some(1),
            progress: Some(50),
            conversations: (0..200)
                .map(|i| Conversation {
                    id: Some(format!("{i}@s.whatsapp.net")),
                    name: Some("x".repeat(100)),
                    ..Default::default()
                })
                .collect(),
            pushnames: vec![Pushname {
                id: Some("1@s.whatsapp.net".into()),
                pushname: Some("Ann".into()),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn compressed_blobs_inflate_piece_by_piece() {
        let blob = compress(&sample());
        let mut inflater = Inflater::new(MAX_INFLATED_CHUNK);
        for piece in blob.chunks(7) {
            inflater.update(piece).unwrap();
        }
        assert_eq!(inflater.finish().unwrap(), sample());
        assert_eq!(decode(&blob, MAX_INFLATED_CHUNK).unwrap(), sample());
    }

    #[test]
    fn bad_blobs_are_typed_errors() {
        let blob = compress(&sample());
        let truncated = &blob[..blob.len() - 10];
        assert_eq!(
            decode(truncated, MAX_INFLATED_CHUNK),
            Err(HistoryError::Truncated)
        );
        assert!(matches!(
            decode(b"not zlib at all", 1 << 20),
            Err(HistoryError::Inflate(_))
        ));
        assert_eq!(decode(&blob, 100), Err(HistoryError::TooLarge(100)));
        let mut trailing = blob.clone();
        trailing.push(0);
        assert_eq!(
            decode(&trailing, MAX_INFLATED_CHUNK),
            Err(HistoryError::TrailingData)
        );
        let garbage = {
            use std::io::Write as _;
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&[0xff; 40]).unwrap();
            e.finish().unwrap()
        };
        assert!(matches!(
            decode(&garbage, 1 << 20),
            Err(HistoryError::Decode(_))
        ));
        assert_eq!(decode(&[], 1 << 20), Err(HistoryError::Truncated));
    }
}
