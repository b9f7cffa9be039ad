//! How the few std types of the plain API types cross UniFFI (the `uniffi` feature): paths as
//! strings, `usize` counts as `u64`. Everything else derives `uniffi::Record`/`uniffi::Enum` where
//! it is declared.

use std::path::PathBuf;

// A path crosses as text; a path that is not valid Unicode (never one a foreign caller gave)
// comes back with U+FFFD in place of the bad bytes.
uniffi::custom_type!(PathBuf, String, {
    remote,
    lower: |path| path.to_string_lossy().into_owned(),
    try_lift: |text| Ok(PathBuf::from(text)),
});

// Counts of the configuration (`event_buffer`, `runtime_threads`…) cross as `u64`; a value
// over the platform's `usize` is refused rather than truncated.
uniffi::custom_type!(usize, u64, {
    remote,
    lower: |count| count as u64,
    try_lift: |count| Ok(usize::try_from(count)?),
});
