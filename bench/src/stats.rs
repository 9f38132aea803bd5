//! Counting round trips, timing the measurement window, and reading CPU time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Round trips completed by one workload (all its connections).
pub(crate) struct Stats {
    /// Round trips of each connection (their sum is the workload's), to tell a fair share
    /// from a starved connection.
    per_conn: Box<[AtomicU64]>,
    recording: AtomicBool,
    latencies_ns: Mutex<Vec<u64>>,
}

impl Stats {
    /// Counts for a workload of `conns` connections, each with its [`ConnStats`].
    pub(crate) fn new(conns: usize) -> (Arc<Self>, Vec<ConnStats>) {
        let stats = Arc::new(Self {
            per_conn: (0..conns).map(|_| AtomicU64::new(0)).collect(),
            recording: AtomicBool::new(false),
            latencies_ns: Mutex::new(Vec::new()),
        });
        let conns = (0..conns).map(|index| ConnStats { stats: stats.clone(), index }).collect();
        (stats, conns)
    }

    fn per_conn(&self) -> Vec<u64> {
        self.per_conn.iter().map(|n| n.load(Relaxed)).collect()
    }
}

/// The counts of one connection of a workload.
#[derive(Clone)]
pub(crate) struct ConnStats {
    stats: Arc<Stats>,
    index: usize,
}

impl ConnStats {
    /// A message this connection sent at `sent` came back.
    pub(crate) fn complete(&self, sent: Instant) {
        let stats = &*self.stats;
        stats.per_conn[self.index].fetch_add(1, Relaxed);
        if stats.recording.load(Relaxed) {
            let ns = sent.elapsed().as_nanos() as u64;
            stats.latencies_ns.lock().unwrap_or_else(|e| e.into_inner()).push(ns);
        }
    }
}

/// The slowest connection's round trips between two counts of each, as a share of the mean
/// per connection: 1.0 when every connection got an equal share, 0 when one got none. The
/// percentiles cannot tell, being taken of the round trips that completed. NaN for fewer than
/// two connections.
fn slowest_share(before: &[u64], after: &[u64]) -> f64 {
    let done: Vec<u64> = after.iter().zip(before).map(|(a, b)| a - b).collect();
    let total: u64 = done.iter().sum();
    match done.iter().min() {
        Some(&min) if done.len() > 1 && total > 0 => min as f64 * done.len() as f64 / total as f64,
        _ => f64::NAN,
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
    /// The part of [`cpu_us_per_msg`](Self::cpu_us_per_msg) spent in user space: the
    /// library's own code and its runtime's, the rest being the kernel's.
    pub(crate) user_us_per_msg: f64,
    /// The slowest connection's round trips as a share of the mean per connection (NaN for
    /// one connection).
    pub(crate) slowest_share: f64,
}

impl Sample {
    /// `msgs_per_s mib_per_s p50 p99 cpu user slowest_share` on one line, for a child to
    /// report.
    pub(crate) fn to_line(self) -> String {
        format!(
            "RESULT {} {} {} {} {} {} {}",
            self.msgs_per_s,
            self.mib_per_s,
            self.p50_us,
            self.p99_us,
            self.cpu_us_per_msg,
            self.user_us_per_msg,
            self.slowest_share
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
            user_us_per_msg: it.next()??,
            slowest_share: it.next()??,
        })
    }
}

/// CPU time a process has spent so far: in all (user + system, as finely as the system counts
/// it), and in user space and in the kernel as the system splits it (perhaps more coarsely).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CpuTime {
    pub(crate) total: Duration,
    pub(crate) user: Duration,
    pub(crate) system: Duration,
}

impl CpuTime {
    /// The CPU time spent since `earlier`, and of that the part in user space: the fine total
    /// divided as the process's user and system times since it started divide theirs (none if
    /// they count none). Not as their differences over the window divide: the kernel keeps each
    /// of the two monotonic as it scales its sampled ticks to the fine total, which can put a
    /// window's whole difference on one side; the measured processes are started for one run,
    /// so their times since the start are of the same workload.
    fn since(self, earlier: Self) -> (Duration, Option<Duration>) {
        let total = self.total.saturating_sub(earlier.total);
        let (user, system) = (self.user.as_secs_f64(), self.system.as_secs_f64());
        let user_part = (user + system > 0.0).then(|| total.mul_f64(user / (user + system)));
        (total, user_part)
    }
}

/// Lets the workload run for `warmup`, then measures it for `window`; `cpu` reads the CPU time
/// of the measured process.
pub(crate) fn measure(
    stats: &Stats,
    size: usize,
    warmup: Duration,
    window: Duration,
    cpu: impl Fn() -> CpuTime,
) -> Sample {
    std::thread::sleep(warmup);
    let (per0, c0, t0) = (stats.per_conn(), cpu(), Instant::now());
    stats.recording.store(true, Relaxed);
    std::thread::sleep(window);
    let (per1, c1, elapsed) = (stats.per_conn(), cpu(), t0.elapsed());
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
    let msgs = (per1.iter().sum::<u64>() - per0.iter().sum::<u64>()) as f64;
    let secs = elapsed.as_secs_f64();
    let per_msg = |t: Option<Duration>| match t {
        Some(t) if msgs > 0.0 => t.as_secs_f64() * 1e6 / msgs,
        _ => f64::NAN,
    };
    let (cpu, user) = c1.since(c0);
    Sample {
        msgs_per_s: msgs / secs,
        mib_per_s: msgs * size as f64 / secs / (1 << 20) as f64,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        cpu_us_per_msg: per_msg(Some(cpu)),
        user_us_per_msg: per_msg(user),
        slowest_share: slowest_share(&per0, &per1),
    }
}

/// CPU time of this process, all threads.
pub(crate) fn self_cpu() -> CpuTime {
    // SAFETY: getrusage only writes the struct we pass.
    let usage = unsafe {
        let mut u = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let (user, system) = (tv(usage.ru_utime), tv(usage.ru_stime));
    CpuTime { total: user + system, user, system }
}

/// CPU time of process `pid`, all threads. The total is the sum of the scheduler's nanosecond
/// run times (`/proc/<pid>/task/*/schedstat`), finer than the clock ticks of `/proc/<pid>/stat`,
/// which give the split between user space and the kernel (coarse alone, but their ratio is
/// close enough to divide the fine total by).
pub(crate) fn process_cpu(pid: u32) -> CpuTime {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return CpuTime::default();
    };
    let ns: u64 = tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let (user, system) = user_and_system_ticks(&stat).unwrap_or_default();
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    let tick = |n: u64| Duration::from_secs_f64(n as f64 / hz as f64);
    CpuTime { total: Duration::from_nanos(ns), user: tick(user), system: tick(system) }
}

/// The user and system clock ticks (`utime`, `stime`) of a `/proc/<pid>/stat` line. The
/// command name, in parentheses, may hold spaces: fields are counted after its `)`.
fn user_and_system_ticks(stat: &str) -> Option<(u64, u64)> {
    let mut after = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    // After the name: state (field 3) ... utime is field 14, stime 15.
    let utime = after.nth(11)?.parse().ok()?;
    let stime = after.next()?.parse().ok()?;
    Some((utime, stime))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slowest_share_compares_the_slowest_connection_with_the_mean() {
        assert_eq!(slowest_share(&[0, 0], &[10, 10]), 1.0);
        // Counted from the window's start: 5 and 15 against a mean of 10.
        assert_eq!(slowest_share(&[100, 0], &[105, 15]), 0.5);
        assert_eq!(slowest_share(&[0, 0, 0], &[0, 30, 30]), 0.0);
        assert!(slowest_share(&[0], &[10]).is_nan());
        assert!(slowest_share(&[0, 0], &[0, 0]).is_nan());
    }

    #[test]
    fn the_user_part_divides_the_fine_total_as_the_ticks_do() {
        let ms = Duration::from_millis;
        let earlier = CpuTime { total: ms(1_000), user: ms(200), system: ms(800) };
        // 400 ms more in all by the fine count; since the start, a quarter in user space (the
        // window's differences, 150 and 250 ms, would say three eighths).
        let later = CpuTime { total: ms(1_400), user: ms(350), system: ms(1_050) };
        assert_eq!(later.since(earlier), (ms(400), Some(ms(100))));
        // No time counted on either side yet: no split, though the fine total moved.
        let none = CpuTime { total: ms(5), ..CpuTime::default() };
        assert_eq!(none.since(CpuTime::default()), (ms(5), None));
    }

    #[test]
    fn ticks_are_read_after_the_command_name() {
        let stat = "4242 (serve (x) 1) S 1 4242 4242 0 -1 4194560 300 0 0 0 77 19 0 0 20 0 2 0";
        assert_eq!(user_and_system_ticks(stat), Some((77, 19)));
        assert_eq!(user_and_system_ticks("4242 (serve) S 1 2"), None);
        assert_eq!(user_and_system_ticks("no name here"), None);
        // This process's own line parses.
        let own = std::fs::read_to_string("/proc/self/stat").expect("procfs");
        assert!(user_and_system_ticks(&own).is_some());
    }

    #[test]
    fn a_sample_survives_its_result_line() {
        let sample = Sample {
            msgs_per_s: 1.5e6,
            mib_per_s: 22.9,
            p50_us: 41.0,
            p99_us: 120.5,
            cpu_us_per_msg: 0.25,
            user_us_per_msg: 0.05,
            slowest_share: f64::NAN,
        };
        let back = Sample::from_line(&sample.to_line()).expect("parses");
        assert_eq!(back.msgs_per_s, sample.msgs_per_s);
        assert_eq!(back.cpu_us_per_msg, sample.cpu_us_per_msg);
        assert_eq!(back.user_us_per_msg, sample.user_us_per_msg);
        assert!(back.slowest_share.is_nan());
        let counted = Stats::new(3);
        counted.1[2].complete(Instant::now());
        assert_eq!(counted.0.per_conn(), [0, 0, 1]);
    }
}
