//! Counting round trips, timing the measurement window, and reading CPU time.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Round trips completed by one workload (all its connections).
#[derive(Default)]
pub(crate) struct Stats {
    msgs: AtomicU64,
    recording: AtomicBool,
    latencies_ns: Mutex<Vec<u64>>,
}

impl Stats {
    /// A message sent at `sent` came back.
    pub(crate) fn complete(&self, sent: Instant) {
        self.msgs.fetch_add(1, Relaxed);
        if self.recording.load(Relaxed) {
            let ns = sent.elapsed().as_nanos() as u64;
            self.latencies_ns.lock().unwrap_or_else(|e| e.into_inner()).push(ns);
        }
    }

    fn msgs(&self) -> u64 {
        self.msgs.load(Relaxed)
    }
}

/// One run's figures.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sample {
    pub(crate) msgs_per_s: f64,
    pub(crate) mib_per_s: f64,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    /// CPU time (user + system) of the measured process per message, in microseconds.
    pub(crate) cpu_us_per_msg: f64,
}

impl Sample {
    /// `msgs_per_s mib_per_s p50 p99 cpu` on one line, for a child to report.
    pub(crate) fn to_line(self) -> String {
        format!(
            "RESULT {} {} {} {} {}",
            self.msgs_per_s, self.mib_per_s, self.p50_us, self.p99_us, self.cpu_us_per_msg
        )
    }

    /// Parses [`to_line`](Self::to_line).
    pub(crate) fn from_line(line: &str) -> Option<Self> {
        let mut it = line.strip_prefix("RESULT ")?.split(' ').map(|v| v.parse::<f64>().ok());
        Some(Self {
            msgs_per_s: it.next()??,
            mib_per_s: it.next()??,
            p50_us: it.next()??,
            p99_us: it.next()??,
            cpu_us_per_msg: it.next()??,
        })
    }
}

/// Lets the workload run for `warmup`, then measures it for `window`; `cpu` reads the CPU time
/// of the measured process.
pub(crate) fn measure(
    stats: &Stats,
    size: usize,
    warmup: Duration,
    window: Duration,
    cpu: impl Fn() -> Duration,
) -> Sample {
    std::thread::sleep(warmup);
    let (m0, c0, t0) = (stats.msgs(), cpu(), Instant::now());
    stats.recording.store(true, Relaxed);
    std::thread::sleep(window);
    let (m1, c1, elapsed) = (stats.msgs(), cpu(), t0.elapsed());
    stats.recording.store(false, Relaxed);
    let mut lat =
        std::mem::take(&mut *stats.latencies_ns.lock().unwrap_or_else(|e| e.into_inner()));
    lat.sort_unstable();
    let pct = |p: f64| {
        if lat.is_empty() {
            f64::NAN
        } else {
            lat[((lat.len() - 1) as f64 * p).round() as usize] as f64 / 1e3
        }
    };
    let msgs = (m1 - m0) as f64;
    let secs = elapsed.as_secs_f64();
    Sample {
        msgs_per_s: msgs / secs,
        mib_per_s: msgs * size as f64 / secs / (1 << 20) as f64,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        cpu_us_per_msg: if msgs > 0.0 { (c1 - c0).as_secs_f64() * 1e6 / msgs } else { f64::NAN },
    }
}

/// CPU time (user + system) of this process, all threads.
pub(crate) fn self_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct we pass.
    let usage = unsafe {
        let mut u = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// CPU time of process `pid`, all threads: the sum of the scheduler's nanosecond run times
/// (`/proc/<pid>/task/*/schedstat`), finer than the clock ticks of `/proc/<pid>/stat`.
pub(crate) fn process_cpu(pid: u32) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let ns: u64 = tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(ns)
}

/// Resident memory of process `pid`, in bytes (`VmRSS`).
pub(crate) fn process_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The median of `values` (NaN-free ones), NaN if none.
pub(crate) fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}
