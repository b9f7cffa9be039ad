//! Resident memory and CPU time of a process, from Linux's `/proc` (for the load tools).

/// Resident set size of `pid` in KiB (`VmRSS` of `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> Result<u64, String> {
    status_rss(&format!("/proc/{pid}/status"))
}

/// Resident set size of this process in KiB.
pub fn rss_kib_self() -> Result<u64, String> {
    status_rss("/proc/self/status")
}

fn status_rss(path: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| format!("no VmRSS in {path}"))
}

/// User + system CPU seconds of `pid` so far.
pub fn cpu_seconds(pid: u32) -> Result<f64, String> {
    stat_cpu(&format!("/proc/{pid}/stat"))
}

/// User + system CPU seconds of this process so far.
pub fn cpu_seconds_self() -> Result<f64, String> {
    stat_cpu("/proc/self/stat")
}

fn stat_cpu(path: &str) -> Result<f64, String> {
    let stat = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15
    // (1-based), in USER_HZ ticks, which procfs always reports at 100 per second.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("{path}: no command name"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| -> Result<u64, String> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| format!("{path}: field {i}"))
    };
    Ok((ticks(11)? + ticks(12)?) as f64 / 100.0)
}
