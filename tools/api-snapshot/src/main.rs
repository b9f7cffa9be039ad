//! `api-snapshot <crate>.json`: prints the public API of a crate, one item a line, sorted, from the
//! rustdoc JSON that `cargo rustdoc -- -Z unstable-options --output-format json` writes.
//!
//! Every item reachable from the crate root is listed with its full signature: modules, structs
//! with their public fields, enums with their variants, traits, functions and methods, constants,
//! and the trait impls of each type, auto traits (`Send`, `Sync`, `Unpin`, ...) included since the
//! bindings and the server depend on them. Blanket impls (`impl<T> From<T> for T` and the like)
//! are left out: every type has them and they only repeat the type list. Function parameter names
//! are left out too (public-api's default), so renaming a parameter is not an API change.
//!
//! Run through `scripts/api-snapshot`, which builds the JSON and keeps `core/engine/public-api.txt`.

use std::io::Write as _;
use std::process::ExitCode;

/// The one field read before the whole document is handed to public-api.
#[derive(serde::Deserialize)]
struct Header {
    format_version: u32,
}

fn run(path: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let header: Header = serde_json::from_str(&text)
        .map_err(|e| format!("{path}: not rustdoc JSON (no format_version): {e}"))?;
    if header.format_version != rustdoc_types::FORMAT_VERSION {
        return Err(format!(
            "{path}: rustdoc JSON format {}, but this tool parses format {}; move the public-api \
             and rustdoc-types pins in tools/api-snapshot/Cargo.toml to versions that parse \
             format {}",
            header.format_version,
            rustdoc_types::FORMAT_VERSION,
            header.format_version
        ));
    }
    drop(text);
    let api = public_api::Builder::from_rustdoc_json(path)
        .omit_blanket_impls(true)
        .build()
        .map_err(|e| format!("{path}: {e}"))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for item in api.items() {
        writeln!(out, "{item}").map_err(|e| format!("stdout: {e}"))?;
    }
    out.flush().map_err(|e| format!("stdout: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: api-snapshot <crate>.json  (rustdoc JSON; see scripts/api-snapshot)");
        return ExitCode::from(2);
    };
    match run(path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("api-snapshot: {e}");
            ExitCode::FAILURE
        }
    }
}
