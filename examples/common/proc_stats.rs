//! A process's CPU time and memory from `/proc` (Linux), and latency percentiles: shared by the
//! load tools (`examples/loadgen.rs`, `examples/fanout_load.rs`, `benches/peers/src/bin/conns.rs`).
#![allow(dead_code)]

/// What `/proc` says of a process.
#[derive(Debug, Clone, Copy)]
pub struct ProcStats {
    /// User and system CPU time so far, in seconds.
    pub cpu_seconds: f64,
    /// Resident memory now, in KiB.
    pub rss_kib: u64,
    /// The most resident memory so far, in KiB.
    pub peak_rss_kib: u64,
}

/// `pid`'s CPU time and memory, or `None` when `/proc` cannot tell (not Linux, or gone).
pub fn proc_stats(pid: u32) -> Option<ProcStats> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(key))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some(ProcStats {
        cpu_seconds: ticks / 100.0,
        rss_kib: kib("VmRSS:")?,
        peak_rss_kib: kib("VmHWM:")?,
    })
}

/// The `p` quantile (0 to 1) of latencies in microseconds, `sorted` ascending, in milliseconds.
pub fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    let at = ((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(at).copied().unwrap_or(0) as f64 / 1000.0
}
