//! `uniffi-bindgen`: UniFFI's generator for every language (`generate --library … --language
//! python|swift|kotlin`), built from the workspace's own UniFFI version so the generated code
//! always matches the scaffolding in the library.

fn main() {
    uniffi::uniffi_bindgen_main()
}
