//! Arbitrary byte chunks into a FrameDecoder: never panics, never yields a frame over the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openwa_protocol::noise::{FrameDecoder, MAX_FRAME_LEN};

fuzz_target!(|data: &[u8]| {
    // Byte 0: bit 0 = server/client side, bit 1 = lowered frame limit, bits 4..8 = chunk size.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut decoder = if mode & 1 == 0 {
        FrameDecoder::server()
    } else {
        FrameDecoder::client()
    };
    let max = if mode & 2 != 0 {
        usize::from(mode) * 4
    } else {
        MAX_FRAME_LEN
    };
    decoder = decoder.with_max_frame_len(max);
    let chunk = usize::from(mode >> 4) + 1;
    let mut total = 0;
    for piece in rest.chunks(chunk) {
        decoder.push(piece);
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => {
                    assert!(frame.len() <= max);
                    total += frame.len() + 3;
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    assert!(total + decoder.buffered_len() <= rest.len());
});
