//! `RESULTS.md`: machine, versions, date, and the tables.

use std::fmt::Write;
use std::process::Command;

use crate::core_bench::{DecodeRow, DeflateRow, MaskRow};
use crate::stats::Sample;
use crate::{Lib, Plan, Row};

/// Everything measured by one run.
pub(crate) struct Results {
    plan: Plan,
    command: String,
    load_start: String,
    cpu_start: Option<CpuTimes>,
    pub(crate) server: Vec<Row>,
    pub(crate) client: Vec<Row>,
    pub(crate) decode: Vec<DecodeRow>,
    pub(crate) mask: Vec<MaskRow>,
    pub(crate) deflate: Vec<DeflateRow>,
    pub(crate) memory: Vec<(Lib, f64)>,
}

/// A metric of a [`Sample`], how to print it, and whether more is better.
struct Metric {
    title: &'static str,
    get: fn(&Sample) -> f64,
    fmt: fn(f64) -> String,
    higher_is_better: bool,
}

const METRICS: [Metric; 7] = [
    Metric {
        title: "messages/s (round trips)",
        get: |s| s.msgs_per_s,
        fmt: fmt_count,
        higher_is_better: true,
    },
    Metric {
        title: "MiB/s (payload, each way)",
        get: |s| s.mib_per_s,
        fmt: |v| format!("{v:.1}"),
        higher_is_better: true,
    },
    Metric { title: "p50 round trip", get: |s| s.p50_us, fmt: fmt_us, higher_is_better: false },
    Metric { title: "p99 round trip", get: |s| s.p99_us, fmt: fmt_us, higher_is_better: false },
    Metric {
        title: "CPU time per message (µs, user + system)",
        get: |s| s.cpu_us_per_msg,
        fmt: |v| format!("{v:.2}"),
        higher_is_better: false,
    },
    Metric {
        title: "CPU time per message in user space (µs; the rest of the time above is the kernel's)",
        get: |s| s.user_us_per_msg,
        fmt: |v| format!("{v:.2}"),
        higher_is_better: false,
    },
    Metric {
        title: "Slowest connection's share of the mean round trips (1.00: all equal; – for one connection)",
        get: |s| s.slowest_share,
        fmt: fmt_ratio,
        higher_is_better: true,
    },
];

/// `16 B`, `1 KiB`, `64 KiB`, `1 MiB`.
pub(crate) fn size_label(size: usize) -> String {
    match size {
        s if s >= 1 << 20 && s % (1 << 20) == 0 => format!("{} MiB", s >> 20),
        s if s >= 1 << 10 && s % (1 << 10) == 0 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

fn fmt_count(v: f64) -> String {
    if v.is_nan() {
        "failed".into()
    } else if v >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

fn fmt_us(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else if v >= 10_000.0 {
        format!("{:.1} ms", v / 1e3)
    } else {
        format!("{v:.0} µs")
    }
}

/// The first two cells of a matrix row: its size, and its connections and depth.
fn row_head(md: &mut String, row: &Row) {
    let _ = write!(md, "| {} | {} × {} |", size_label(row.size), row.conns, row.depth);
}

fn fmt_ratio(v: f64) -> String {
    if v.is_nan() { "–".into() } else { format!("{v:.2}") }
}

fn command_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// The locked version of `package`, from the workspace's Cargo.lock at build time.
fn locked_version(package: &str) -> String {
    let lock = include_str!("../../Cargo.lock");
    let needle = format!("name = \"{package}\"\nversion = \"");
    lock.find(&needle)
        .and_then(|i| lock[i + needle.len()..].split('"').next())
        .unwrap_or("?")
        .to_owned()
}

/// The 1-minute load average.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// The machine's CPU time so far (all CPUs, in clock ticks): in all, and stolen by the
/// hypervisor (other virtual machines on the host), from the first line of `/proc/stat`.
#[derive(Debug, Clone, Copy)]
struct CpuTimes {
    total: u64,
    steal: u64,
}

fn cpu_times() -> Option<CpuTimes> {
    parse_cpu_times(&std::fs::read_to_string("/proc/stat").ok()?)
}

fn parse_cpu_times(stat: &str) -> Option<CpuTimes> {
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal (guest time is counted in user already).
    let total = fields.iter().take(8).sum();
    Some(CpuTimes { total, steal: *fields.get(7)? })
}

/// The share of the machine's time the hypervisor took from it since `start`, as `1.2%`.
fn steal_since(start: Option<CpuTimes>) -> String {
    match (start, cpu_times()) {
        (Some(a), Some(b)) if b.total > a.total => {
            let share = (b.steal - a.steal) as f64 / (b.total - a.total) as f64;
            format!("{:.1}%", share * 100.0)
        }
        _ => "?".into(),
    }
}

/// Civil date (UTC) of a Unix time, as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// The command that steadies the large-message rows on a machine whose default is BBR.
pub(crate) const TO_CUBIC: &str = "sysctl -w net.ipv4.tcp_congestion_control=cubic";

/// The system's TCP congestion control, as set now (`bbr`, `cubic`), or `?`.
pub(crate) fn tcp_congestion_control() -> String {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_congestion_control")
        .map_or_else(|_| "?".into(), |s| s.trim().to_owned())
}

impl Results {
    pub(crate) fn new(plan: &Plan, command: &str) -> Self {
        Self {
            plan: plan.clone(),
            command: command.to_owned(),
            load_start: load_average(),
            cpu_start: cpu_times(),
            server: vec![],
            client: vec![],
            decode: vec![],
            mask: vec![],
            deflate: vec![],
            memory: vec![],
        }
    }

    pub(crate) fn markdown(&self) -> String {
        let mut md = String::new();
        self.header(&mut md);
        if !self.server.is_empty() {
            md.push_str("\n## Server role\n\n");
            md.push_str(
                "Each library's echo server (its own process) on 127.0.0.1, driven by the same \
                 lean load generator: pre-encoded masked binary frames over plain TCP, each \
                 connection keeping several messages in flight (depth below). CPU time is the \
                 server process's.\n",
            );
            self.matrix(&mut md, &self.server);
        }
        if !self.client.is_empty() {
            md.push_str("\n## Client role\n\n");
            md.push_str(
                "Each library's client (its own process) against the same lean raw-TCP echo \
                 server, same matrix. CPU time is the client process's.\n",
            );
            self.matrix(&mut md, &self.client);
        }
        if !self.decode.is_empty() {
            self.core_tables(&mut md);
        }
        if !self.memory.is_empty() {
            self.memory_table(&mut md);
        }
        md
    }

    fn header(&self, md: &mut String) {
        let p = &self.plan;
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| {
                c.lines()
                    .find_map(|l| l.strip_prefix("model name")?.split(':').nth(1))?
                    .trim()
                    .to_owned()
                    .into()
            })
            .unwrap_or_else(|| "?".into());
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let mem = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| m.lines().next()?.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map_or("?".into(), |kb| format!("{:.0} GiB", kb as f64 / (1 << 20) as f64));
        let _ = writeln!(md, "# wsstream benchmarks\n");
        let _ = writeln!(
            md,
            "Generated by `cargo run -p wsstream-bench --release -- {}` on {}, commit `{}`.\n",
            self.command,
            utc_now(),
            command_line("git", &["rev-parse", "--short", "HEAD"]),
        );
        let _ = writeln!(
            md,
            "- Machine: {cpu}, {cores} cores, {mem} RAM, Linux {}",
            command_line("uname", &["-r"])
        );
        let _ = writeln!(
            md,
            "- Load average (1 min) at the start and end of the run: {} and {} (the run's own busy \
             processes count); CPU time the hypervisor gave other virtual machines \
             during the run: {} of the machine's. Figures of one run are comparable with each \
             other, runs being interleaved; CPU time per message is the steadier figure.",
            self.load_start,
            load_average(),
            steal_since(self.cpu_start),
        );
        let _ = writeln!(
            md,
            "- Compiler: {} (release profile: thin LTO, codegen-units 1)",
            command_line("rustc", &["-V"])
        );
        let _ = writeln!(
            md,
            "- Libraries: wsstream {} (this tree), tokio-tungstenite {}, fastwebsockets {}, \
             tokio-websockets {}, tungstenite {}; tokio {}, smol {}, async-std {}, hyper {}",
            env!("CARGO_PKG_VERSION"),
            locked_version("tokio-tungstenite"),
            locked_version("fastwebsockets"),
            locked_version("tokio-websockets"),
            locked_version("tungstenite"),
            locked_version("tokio"),
            locked_version("smol"),
            locked_version("async-std"),
            locked_version("hyper"),
        );
        let runtime = if p.threads <= 1 {
            "tokio's current-thread scheduler; smol and async-std with one executor thread"
                .to_owned()
        } else {
            format!(
                "tokio multi-thread with {} workers; smol and async-std with as many",
                p.threads
            )
        };
        let _ = writeln!(
            md,
            "- Every measured process: {runtime}. Peers run on tokio, as they require; ours on tokio, smol and async-std."
        );
        let pinning = match p.cpu {
            Some(cpu) => format!(
                "each measured process pinned to CPU {cpu}, the load generator or echo server \
                 to another, for every library alike (unpinned, the scheduler's placement of the \
                 two decided the large-message rows of every library, at random; `--no-pin`)"
            ),
            None => "not pinned: the scheduler placed the processes".to_owned(),
        };
        let _ = writeln!(md, "- CPUs: {pinning}.");
        let cc = tcp_congestion_control();
        let advice = if cc == "bbr" {
            format!("; `{TO_CUBIC}` before a run steadies them")
        } else {
            String::new()
        };
        let _ = writeln!(
            md,
            "- TCP congestion control: {cc} (as the system is set, \
             `net.ipv4.tcp_congestion_control`), for every library's sockets alike. Under BBR, \
             which paces each connection's sends, a large-message connection on loopback falls \
             at random into a paced mode with about half the throughput and twice the CPU time \
             per message, for every library (the 64 KiB and 1 MiB rows swing between the two \
             modes from run to run){advice}."
        );
        let _ = writeln!(
            md,
            "- Each figure is the median of {} interleaved runs (ours, peer, peer, ..., repeated; \
             {} for messages of 64 KiB and more, whose figures swing most from run to run) \
             of {} ms ({} ms for messages of 64 KiB and more) measured after {} ms of warm-up \
             (longer, up to 1 s, when over 60 MiB are in flight). Messages are binary; no \
             compression on any side (our client offers permessage-deflate, the lean server \
             declines it).",
            p.reps,
            p.cell_reps(usize::MAX),
            p.window.as_millis(),
            p.large_window().as_millis(),
            p.warmup.as_millis()
        );
        let _ = writeln!(
            md,
            "- Round-trip percentiles are of the round trips that completed in the window: a \
             connection the measured side starves adds few or none, so a low p99 with many \
             connections holds only beside a slowest-connection share near 1.00 (its own table)."
        );
        let _ = writeln!(
            md,
            "- CPU time in user space is the library's own code and its runtime's; the rest is \
             the kernel's: system calls, waiting for readiness, copies, and TCP, which on \
             loopback runs the receiving side's input within each send. The split is the \
             kernel's own, sampled at its clock tick, so it is coarser than the total (a \
             server's split is read from `/proc/<pid>/stat`, a client's from `getrusage`)."
        );
        let _ = writeln!(
            md,
            "- Ratio: wsstream-tokio ÷ the best peer in the same run. For messages/s and MiB/s \
             higher is better (target ≥ 1.0); for latency and CPU time lower is better (CPU \
             target ≤ 0.8)."
        );
    }

    fn matrix(&self, md: &mut String, rows: &[Row]) {
        let libs = &self.plan.libs;
        for metric in &METRICS {
            let _ = writeln!(md, "\n### {}\n", metric.title);
            self.table_head(md, true);
            for row in rows {
                let get = |lib: Lib| {
                    row.figures
                        .iter()
                        .find(|(l, _)| *l == lib)
                        .map_or(f64::NAN, |(_, s)| (metric.get)(s))
                };
                row_head(md, row);
                for &lib in libs {
                    let _ = write!(md, " {} |", (metric.fmt)(get(lib)));
                }
                let peers =
                    libs.iter().filter(|l| l.is_peer()).map(|&l| get(l)).filter(|v| !v.is_nan());
                let best = if metric.higher_is_better {
                    peers.fold(f64::NAN, f64::max)
                } else {
                    peers.fold(f64::NAN, f64::min)
                };
                let _ = writeln!(md, " {} |", fmt_ratio(get(Lib::WsTokio) / best));
            }
        }
        self.ranges(md, rows);
    }

    /// The head of a matrix table: size, connections, each library, and the ratio if `ratio`.
    fn table_head(&self, md: &mut String, ratio: bool) {
        let mut head = "| Size | Conns × depth |".to_owned();
        let mut rule = "|---:|---:|".to_owned();
        let ratio = ratio.then_some("ratio");
        for name in self.plan.libs.iter().map(|l| l.name()).chain(ratio) {
            let _ = write!(head, " {name} |");
            rule.push_str("---:|");
        }
        let _ = writeln!(md, "{head}\n{rule}");
    }

    /// Each library's slowest and fastest run of each row, in messages/s.
    fn ranges(&self, md: &mut String, rows: &[Row]) {
        md.push_str(
            "\n### messages/s, the slowest and the fastest run\n\n\
             Where every library's runs spread over a factor near two, the host switched \
             between a fast and a slow mode during the row, and each median above is the luck \
             of how many of its runs fell in which; the ratio here is of the fastest runs \
             (ours ÷ the best peer's), the ones the host disturbed least.\n\n",
        );
        self.table_head(md, true);
        for row in rows {
            row_head(md, row);
            let range = |lib: &Lib| row.ranges.iter().find(|(l, ..)| l == lib);
            for lib in &self.plan.libs {
                let cell = range(lib).map_or("failed".into(), |&(_, lo, hi)| {
                    format!("{}–{}", fmt_count(lo), fmt_count(hi))
                });
                let _ = write!(md, " {cell} |");
            }
            let fastest = |lib: &Lib| range(lib).map_or(f64::NAN, |&(.., hi)| hi);
            let best = self.plan.libs.iter().filter(|l| l.is_peer()).map(fastest);
            let best = best.filter(|v| !v.is_nan()).fold(f64::NAN, f64::max);
            let _ = writeln!(md, " {} |", fmt_ratio(fastest(&Lib::WsTokio) / best));
        }
    }

    fn core_tables(&self, md: &mut String) {
        md.push_str("\n## Core: decode + unmask + UTF-8 validation\n\n");
        md.push_str(
            "A buffer of masked text frames (a fresh key per frame, multi-byte UTF-8), fed in \
             128 KiB reads to an open server connection: ours `wsstream_core::Connection` \
             (`receive`, then `poll_event` for owned messages, or `poll_message_with` for \
             messages lent where they arrived), tungstenite's `WebSocket` over an in-memory \
             stream (`read`, owned messages). Payload MiB/s, single thread, the median of at \
             least 7 interleaved runs; target ratio ≥ 2.\n\n",
        );
        md.push_str(
            "| Message size | wsstream-core, owned | wsstream-core, lent | tungstenite | ratio owned | ratio lent |\n\
             |---:|---:|---:|---:|---:|---:|\n",
        );
        for r in &self.decode {
            let _ = writeln!(
                md,
                "| {} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} |",
                size_label(r.size),
                r.ours_mib_s,
                r.ours_lent_mib_s,
                r.tungstenite_mib_s,
                r.ours_mib_s / r.tungstenite_mib_s,
                r.ours_lent_mib_s / r.tungstenite_mib_s
            );
        }
        md.push_str("\n### Masking against memcpy\n\n");
        md.push_str(
            "`wsstream_core::mask::apply_mask` in place against `copy_from_slice` of the same \
             length, GiB/s: on a buffer that starts on a 64-byte boundary, and on one that \
             starts 14 bytes past it, where a payload behind a large frame's header starts. \
             Ratio: the slower of the two ÷ memcpy; target: masking within 10% of memcpy \
             (ratio ≥ 0.9).\n\n",
        );
        md.push_str(
            "| Buffer | apply_mask | 14 bytes past a boundary | memcpy | ratio |\n\
             |---:|---:|---:|---:|---:|\n",
        );
        for r in &self.mask {
            let _ = writeln!(
                md,
                "| {} | {:.1} | {:.1} | {:.1} | {:.2} |",
                size_label(r.size),
                r.mask_gib_s,
                r.mask_behind_header_gib_s,
                r.memcpy_gib_s,
                r.mask_gib_s.min(r.mask_behind_header_gib_s) / r.memcpy_gib_s
            );
        }
        md.push_str("\n### permessage-deflate (issue 5)\n\n");
        md.push_str(
            "A compressible JSON text message from a client `Connection` to a server \
             `Connection` in memory (encode, mask, compress; decode, unmask, inflate, UTF-8), \
             with and without permessage-deflate (default parameters, context takeover). Ours \
             only: the peers do not compress.\n\n",
        );
        md.push_str("| Message size | deflate | messages/s | wire bytes per message |\n|---:|:---:|---:|---:|\n");
        for r in &self.deflate {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.0} |",
                size_label(r.size),
                if r.deflate { "on" } else { "off" },
                fmt_count(r.msgs_per_s),
                r.wire_bytes_per_msg
            );
        }
    }

    fn memory_table(&self, md: &mut String) {
        let _ = writeln!(
            md,
            "\n## Memory per idle connection\n\n{} idle open connections held on loopback by the \
             lean client; the server process's resident memory (VmRSS) after, minus before, \
             divided by the count. Target: no higher than the lowest peer's.\n",
            self.plan.idle_conns
        );
        md.push_str("| Library | bytes per connection |\n|---|---:|\n");
        for (lib, bytes) in &self.memory {
            let _ = writeln!(md, "| {} | {:.0} |", lib.name(), bytes);
        }
        let best = self
            .memory
            .iter()
            .filter(|(l, _)| l.is_peer())
            .map(|(_, b)| *b)
            .fold(f64::NAN, f64::min);
        if let Some((_, ours)) = self.memory.iter().find(|(l, _)| *l == Lib::WsTokio) {
            let _ =
                writeln!(md, "\nRatio wsstream-tokio ÷ lowest peer: {}", fmt_ratio(ours / best));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_times_are_read_from_the_first_line_of_proc_stat() {
        let stat = "cpu  100 5 40 800 10 0 20 25 7 0\ncpu0 50 2 20 400 5 0 10 12 3 0\n";
        let t = parse_cpu_times(stat).unwrap();
        // user nice system idle iowait irq softirq steal; guest is inside user.
        assert_eq!((t.total, t.steal), (1000, 25));
        assert!(parse_cpu_times("cpu0 1 2 3\n").is_none(), "no line for all CPUs");
        assert!(parse_cpu_times("cpu  1 2 x 4 5 6 7 8\n").is_none());
        assert!(parse_cpu_times("cpu  1 2 3\n").is_none(), "no steal column");
    }
}
