//! `uniffi-bindgen-swift`: UniFFI's Swift generator with the Swift-only options (headers, one
//! modulemap for the whole library, XCFramework-style modulemaps).

fn main() {
    uniffi::uniffi_bindgen_swift()
}
