//! Crash-test fault points, compiled only with the `fault-injection` cargo feature (used by the
//! engine's own tests): when the environment variable `OPENWA_FAULT` names a point, the process
//! aborts there, like a `kill -9` at exactly that moment. Without the feature a point is nothing.

/// Aborts the process if `OPENWA_FAULT` (read once) equals `name`.
#[cfg(feature = "fault-injection")]
pub(crate) fn point(name: &str) {
    static ARMED: std::sync::OnceLock<Option<std::ffi::OsString>> = std::sync::OnceLock::new();
    if ARMED
        .get_or_init(|| std::env::var_os("OPENWA_FAULT"))
        .as_ref()
        .is_some_and(|v| v == name)
    {
        tracing::error!(point = name, "fault point reached: aborting");
        std::process::abort();
    }
}

/// A fault point; this build has none.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn point(_name: &str) {}
