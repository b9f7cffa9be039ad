//! Renders a QR string (from [`crate::EventKind::Qr`]) for people: as terminal text and as PNG.

use qrcode::{Color, QrCode};

use crate::error::Error;

/// Light modules around the code in terminal output.
const TERMINAL_QUIET_ZONE: usize = 2;
/// Light modules around the code in PNG output (the standard asks for 4).
const PNG_QUIET_ZONE: usize = 4;
/// Largest accepted PNG scale (pixels per module).
const MAX_SCALE: u32 = 64;

/// The module matrix (true = dark) of `data`, row by row.
fn modules(data: &str) -> Result<(usize, Vec<bool>), Error> {
    let code = QrCode::new(data.as_bytes())
        .map_err(|e| Error::invalid_argument(format!("cannot encode QR code: {e}")))?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok((width, dark))
}

fn is_dark(width: usize, dark: &[bool], quiet: usize, x: usize, y: usize) -> bool {
    let inside = |v: usize| v >= quiet && v < quiet + width;
    inside(x) && inside(y) && dark.get((y - quiet) * width + (x - quiet)).copied() == Some(true)
}

/// The QR code as text for a terminal with a dark background: two module rows per line using
/// half-block characters, light modules drawn, dark modules blank, with a quiet zone.
pub fn qr_terminal(data: &str) -> Result<String, Error> {
    let (width, dark) = modules(data)?;
    let side = width + 2 * TERMINAL_QUIET_ZONE;
    let mut out = String::with_capacity((side + 1) * side.div_ceil(2) * 3);
    for y in (0..side).step_by(2) {
        for x in 0..side {
            let top = !is_dark(width, &dark, TERMINAL_QUIET_ZONE, x, y);
            let bottom = y + 1 < side && !is_dark(width, &dark, TERMINAL_QUIET_ZONE, x, y + 1);
            out.push(match (top, bottom) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

/// The QR code as a grayscale PNG, `scale` pixels per module (1..=64), with a 4-module quiet
/// zone.
pub fn qr_png(data: &str, scale: u32) -> Result<Vec<u8>, Error> {
    if scale == 0 || scale > MAX_SCALE {
        return Err(Error::invalid_argument(format!(
            "QR scale must be 1..={MAX_SCALE}, got {scale}"
        )));
    }
    let (width, dark) = modules(data)?;
    let scale = scale as usize;
    let side_modules = width + 2 * PNG_QUIET_ZONE;
    let side = side_modules * scale;
    let mut pixels = Vec::with_capacity(side * side);
    for py in 0..side {
        for px in 0..side {
            let module_dark = is_dark(width, &dark, PNG_QUIET_ZONE, px / scale, py / scale);
            pixels.push(if module_dark { 0u8 } else { 255u8 });
        }
    }
    let side_u32 = u32::try_from(side).map_err(|_| Error::internal("QR image too large"))?;
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, side_u32, side_u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| Error::internal(format!("PNG header: {e}")))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| Error::internal(format!("PNG data: {e}")))?;
    }
    Ok(png_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const SAMPLE: &str = "https://wa.me/settings/linked_devices#2@abc,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=,CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC=,1";

    #[test]
    fn terminal_text_matches_the_module_matrix() {
        let (width, dark) = modules(SAMPLE).unwrap();
        let text = qr_terminal(SAMPLE).unwrap();
        let side = width + 2 * TERMINAL_QUIET_ZONE;
        let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
        assert_eq!(lines.len(), side.div_ceil(2));
        for (row, line) in lines.iter().enumerate() {
            assert_eq!(line.len(), side);
            for (x, ch) in line.iter().enumerate() {
                let y = row * 2;
                let top_light = !is_dark(width, &dark, TERMINAL_QUIET_ZONE, x, y);
                let bottom_light =
                    y + 1 < side && !is_dark(width, &dark, TERMINAL_QUIET_ZONE, x, y + 1);
                assert_eq!(matches!(ch, '█' | '▀'), top_light);
                assert_eq!(matches!(ch, '█' | '▄'), bottom_light);
            }
        }
        // The finder pattern's top-left corner module is dark.
        assert!(is_dark(width, &dark, 0, 0, 0));
    }

    #[test]
    fn png_decodes_to_the_module_matrix() {
        let (width, dark) = modules(SAMPLE).unwrap();
        let bytes = qr_png(SAMPLE, 3).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        let side = (width + 2 * PNG_QUIET_ZONE) * 3;
        assert_eq!(info.width as usize, side);
        assert_eq!(info.height as usize, side);
        for my in 0..width + 2 * PNG_QUIET_ZONE {
            for mx in 0..width + 2 * PNG_QUIET_ZONE {
                let pixel = buf[(my * 3 + 1) * side + mx * 3 + 1];
                let expected = if is_dark(width, &dark, PNG_QUIET_ZONE, mx, my) {
                    0
                } else {
                    255
                };
                assert_eq!(pixel, expected, "module {mx},{my}");
            }
        }
    }

    #[test]
    fn bad_input_is_invalid_argument() {
        assert_eq!(
            qr_png(SAMPLE, 0).unwrap_err().code,
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            qr_png(SAMPLE, 65).unwrap_err().code,
            ErrorCode::InvalidArgument
        );
        let huge = "x".repeat(5000);
        assert_eq!(
            qr_terminal(&huge).unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }
}
