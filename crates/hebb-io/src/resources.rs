//! Resource use of the running process: CPU time, peak memory, machine load, wall clock.
//!
//! CPU time comes from `getrusage(RUSAGE_SELF)` (user + system time of all threads of the
//! process, microsecond resolution) on Unix; memory and load come from Linux's `/proc`. Each
//! function returns `None` where its source is unavailable (other systems, restricted
//! containers), never an error: these numbers are reported, not relied on.

use std::time::{Instant, SystemTime};

/// User plus system CPU seconds used so far by this process (all threads), from
/// `getrusage(RUSAGE_SELF)`. `None` on non-Unix systems or if the call fails.
pub fn cpu_time_s() -> Option<f64> {
    #[cfg(unix)]
    {
        // SAFETY: `rusage` is plain old data for which all-zero bytes are a valid value, and
        // `getrusage` only writes into the struct we pass.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
        if rc != 0 {
            return None;
        }
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
        Some(secs(usage.ru_utime) + secs(usage.ru_stime))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Parse the `VmHWM` line of a `/proc/<pid>/status` text into bytes.
fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let mut parts = line["VmHWM:".len()..].split_whitespace();
    let value: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") => value.checked_mul(1024),
        _ => None,
    }
}

/// Peak resident set size ("high water mark") of this process in bytes, from `VmHWM` in
/// `/proc/self/status`. `None` where that file is unavailable (non-Linux).
pub fn peak_rss_bytes() -> Option<u64> {
    parse_vm_hwm(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// Parse the first three fields of `/proc/loadavg`.
fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut it = text.split_whitespace().map(|s| s.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

/// The machine's 1, 5 and 15 minute load averages from `/proc/loadavg`; `None` where that
/// file is unavailable. Useful beside timings on shared machines.
pub fn load_average() -> Option<[f64; 3]> {
    parse_loadavg(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

/// Measures wall-clock and process CPU time from the moment it is started, and remembers the
/// calendar time of the start (for manifests).
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    wall0: Instant,
    cpu0: Option<f64>,
    started_at: SystemTime,
}

impl Stopwatch {
    /// Start measuring now.
    pub fn start() -> Self {
        Self { wall0: Instant::now(), cpu0: cpu_time_s(), started_at: SystemTime::now() }
    }

    /// Wall-clock seconds since [`start`](Self::start) (monotonic clock).
    pub fn wall_s(&self) -> f64 {
        self.wall0.elapsed().as_secs_f64()
    }

    /// Process CPU seconds (all threads, user + system) since [`start`](Self::start); `None`
    /// where [`cpu_time_s`] is unavailable.
    pub fn cpu_s(&self) -> Option<f64> {
        Some(cpu_time_s()? - self.cpu0?)
    }

    /// Calendar time at [`start`](Self::start).
    pub fn started_at(&self) -> SystemTime {
        self.started_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_formats() {
        let status = "Name:\thebb\nVmPeak:\t  99999 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(2048 * 1024));
        assert_eq!(parse_vm_hwm("VmRSS: 5 kB\n"), None);
        assert_eq!(parse_vm_hwm("VmHWM: 5 MB\n"), None);
        assert_eq!(parse_loadavg("0.52 1.25 3.00 2/345 6789\n"), Some([0.52, 1.25, 3.0]));
        assert_eq!(parse_loadavg("0.5 x 1"), None);
        assert_eq!(parse_loadavg(""), None);
    }

    #[test]
    fn cpu_time_grows_with_work_and_is_bounded_by_wall_time() {
        let Some(c0) = cpu_time_s() else {
            eprintln!("note: cpu_time_s unavailable on this system; skipped");
            return;
        };
        let sw = Stopwatch::start();
        let mut x = 0u64;
        while sw.wall_s() < 0.2 {
            for i in 0..10_000u64 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
            }
        }
        let c1 = cpu_time_s().unwrap();
        assert!(c1 > c0, "cpu time did not grow: {c0} -> {c1}");
        // This thread was busy for 0.2 s of wall time; it cannot have used more CPU than
        // wall time times the machine's threads (other tests run concurrently).
        let cpu = sw.cpu_s().unwrap();
        let threads = std::thread::available_parallelism().map_or(64, |n| n.get()) as f64;
        assert!(cpu > 0.0 && cpu <= sw.wall_s() * threads + 0.05, "cpu {cpu} wall {}", sw.wall_s());
    }

    #[test]
    fn peak_rss_sees_a_touched_allocation() {
        if std::fs::metadata("/proc/self/status").is_err() {
            eprintln!("note: /proc unavailable; skipped");
            return;
        }
        let mb = 48;
        let v = vec![1u8; mb << 20];
        std::hint::black_box(&v);
        let peak = peak_rss_bytes().expect("VmHWM on Linux");
        assert!(peak >= (mb as u64) << 20, "peak RSS {peak} below the {mb} MiB just touched");
        let load = load_average().expect("/proc/loadavg on Linux");
        assert!(load.iter().all(|l| l.is_finite() && *l >= 0.0));
    }
}
