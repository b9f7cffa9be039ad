//! Resident set size of this process (Linux `/proc/self/status`).

use crate::Failure;

/// Current RSS in KiB.
pub fn rss_kib() -> Result<u64, Failure> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or("no VmRSS in /proc/self/status")?;
    let kib = line
        .split_whitespace()
        .nth(1)
        .ok_or("bad VmRSS line")?
        .parse()?;
    Ok(kib)
}
