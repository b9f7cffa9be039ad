//! Crash-test fault points: when the environment variable `OPENWA_FAULT` names a point, the
//! process aborts there (like a `kill -9` at exactly that moment). Used by the crash-safety
//! tests, which run a session in a child process; unset, a point costs one lookup.

/// Aborts the process if `OPENWA_FAULT` equals `name`.
pub fn point(name: &str) {
    if std::env::var_os("OPENWA_FAULT").is_some_and(|v| v == name) {
        tracing::error!(point = name, "fault point reached: aborting");
        std::process::abort();
    }
}
