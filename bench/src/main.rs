//! # wsstream-bench
//!
//! wsstream side by side with tokio-tungstenite, fastwebsockets and tokio-websockets.
//!
//! ```text
//! cargo run -p wsstream-bench --release -- all            # everything, writes bench/RESULTS.md
//! cargo run -p wsstream-bench --release -- all --quick    # a smoke run of seconds
//! cargo run -p wsstream-bench --release -- server|client|core|memory [--quick]
//! ```
//!
//! Options: `--quick`, `--reps N` (default 3; 64 KiB messages and larger get 4 more, and the
//! in-memory core rows at least 7),
//! `--libs a,b,...`, `--sizes 16,1024,...`, `--conns 1,64`, `--deep 16,1024|none` (sizes that
//! also get a row of one connection with 128 messages in flight: 16 B and 1 KiB by default,
//! none when `--sizes` or `--conns` picks a subset), `--threads N` (runtime worker threads of
//! every measured process, default 1),
//! `--out PATH`, `--no-pin` (let the scheduler place the processes; see `affinity.rs`).
//!
//! Every server and client runs in its own process (this binary, re-executed as
//! `serve <lib>` or `client-run <lib> ...`), so its CPU time is its own. Runs are interleaved
//! (ours, peer, peer, ..., repeated) and each figure is the median of the repetitions.

mod affinity;
mod clients;
mod core_bench;
mod lean;
mod report;
mod servers;
mod stats;
mod wire;

use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use stats::Sample;

/// A library (and, for ours, a runtime) under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Lib {
    WsTokio,
    Tungstenite,
    FastWs,
    TokioWs,
    WsSmol,
    WsAsyncStd,
}

impl Lib {
    /// In run order: ours first, the peers, then ours on the other runtimes.
    const ALL: [Self; 6] = [
        Self::WsTokio,
        Self::Tungstenite,
        Self::FastWs,
        Self::TokioWs,
        Self::WsSmol,
        Self::WsAsyncStd,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::WsTokio => "wsstream-tokio",
            Self::Tungstenite => "tokio-tungstenite",
            Self::FastWs => "fastwebsockets",
            Self::TokioWs => "tokio-websockets",
            Self::WsSmol => "wsstream-smol",
            Self::WsAsyncStd => "wsstream-async-std",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == s)
    }

    fn is_peer(self) -> bool {
        matches!(self, Self::Tungstenite | Self::FastWs | Self::TokioWs)
    }
}

/// What a comparison run covers.
#[derive(Debug, Clone)]
struct Plan {
    quick: bool,
    reps: usize,
    libs: Vec<Lib>,
    threads: usize,
    sizes: Vec<usize>,
    conns: Vec<usize>,
    /// Sizes that also get a row of one connection with [`DEEP_DEPTH`] messages in flight.
    deep_sizes: Vec<usize>,
    warmup: Duration,
    window: Duration,
    idle_conns: usize,
    /// The CPU of each measured process (its counterpart runs on another), when pinned.
    cpu: Option<usize>,
}

impl Plan {
    fn parse(args: &[String]) -> Result<(Self, Option<String>), String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut plan = Self {
            quick,
            reps: if quick { 1 } else { 3 },
            libs: Lib::ALL.to_vec(),
            threads: 1,
            sizes: vec![16, 1 << 10, 64 << 10, 1 << 20],
            conns: vec![1, 64],
            deep_sizes: vec![16, 1 << 10],
            warmup: Duration::from_millis(if quick { 50 } else { 150 }),
            window: Duration::from_millis(if quick { 150 } else { 600 }),
            idle_conns: if quick { 1_000 } else { 10_000 },
            cpu: None,
        };
        let mut pin = true;
        let mut out = None;
        let mut deep = None;
        let mut subset = false;
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
            match a.as_str() {
                "--quick" => {}
                "--no-pin" => pin = false,
                "--reps" => plan.reps = value()?.parse().map_err(|e| format!("--reps: {e}"))?,
                "--threads" => {
                    plan.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?
                }
                "--libs" => {
                    plan.libs = value()?
                        .split(',')
                        .map(|n| Lib::parse(n).ok_or(format!("unknown library {n}")))
                        .collect::<Result<_, _>>()?
                }
                "--out" => out = Some(value()?),
                "--sizes" => {
                    plan.sizes = numbers(&value()?)?;
                    subset = true;
                }
                "--conns" => {
                    plan.conns = numbers(&value()?)?;
                    subset = true;
                }
                "--deep" => {
                    let list = value()?;
                    deep = Some(if list == "none" { vec![] } else { numbers(&list)? });
                }
                other => return Err(format!("unknown option {other}")),
            }
        }
        // A subset chosen with `--sizes` or `--conns` gets deep rows only when asked for them.
        plan.deep_sizes = deep.unwrap_or(if subset { vec![] } else { plan.deep_sizes });
        plan.cpu = affinity::choose(pin && plan.threads <= 1);
        Ok((plan, out))
    }
}

impl Plan {
    /// How many interleaved runs a cell gets: four more for large messages (64 KiB and up),
    /// whose figures swing most from run to run, so that their median is steadier. A run of one
    /// 64 KiB connection lands, for every library alike and for the whole run, at about 47k or
    /// at about 39k messages/s (on 2026-12-04, 600 ms runs, pinned): with two more, the median
    /// of five still fell on the low mode for one library and the high one for another (0.79
    /// on a row where runs of 3 s measured parity).
    fn cell_reps(&self, size: usize) -> usize {
        if size >= LARGE_MESSAGE_BYTES && !self.quick { self.reps + 4 } else { self.reps }
    }

    /// The cells of a role's matrix, in the order of the tables: each size with each connection
    /// count at [`depth_for`] its messages in flight, then its deep row, if it has one.
    fn cells(&self) -> Vec<(usize, usize, usize)> {
        let mut cells = Vec::new();
        for &size in &self.sizes {
            cells.extend(self.conns.iter().map(|&conns| (size, conns, depth_for(size))));
            if self.deep_sizes.contains(&size) {
                cells.push((size, 1, DEEP_DEPTH));
            }
        }
        let listed = |size| self.sizes.contains(&size);
        cells.extend(self.deep_sizes.iter().filter(|&&s| !listed(s)).map(|&s| (s, 1, DEEP_DEPTH)));
        cells
    }

    /// This plan with the window stretched for a cell of large messages (to [`LARGE_WINDOW`]),
    /// and the warm-up too for a cell with many bytes in flight (64 connections of 1 MiB
    /// messages), so that several round trips fit in each.
    fn for_cell(&self, size: usize, conns: usize, depth: usize) -> Self {
        const MIB: f64 = (1 << 20) as f64;
        let in_flight = (size * conns * depth) as f64;
        let warmup = Duration::from_secs_f64(in_flight / (400.0 * MIB)).min(Duration::from_secs(1));
        let window = Duration::from_secs_f64(in_flight / (100.0 * MIB)).min(Duration::from_secs(2));
        let large = size >= LARGE_MESSAGE_BYTES && !self.quick;
        let window = if large { window.max(LARGE_WINDOW) } else { window };
        Self { warmup: self.warmup.max(warmup), window: self.window.max(window), ..self.clone() }
    }

    /// The window of a cell of large messages, for the report.
    fn large_window(&self) -> Duration {
        self.for_cell(LARGE_MESSAGE_BYTES, 1, 1).window
    }
}

/// The window of each run of a cell of large messages ([`LARGE_MESSAGE_BYTES`] and up), so
/// that a run spans more of the host's swings between a fast and a slow mode. In runs of 600 ms
/// they split a row's runs (64 KiB × 64 as server on 2026-12-07: ours 20k-40k messages/s over
/// seven runs, tokio-websockets 32k-43k, a median ratio of 0.79), and runs of 3 s alternated
/// twice gave 28.5k-29.5k against 25.3k-26.4k; but runs of 2 s were only a little steadier in
/// the full run after (27.7k-38.0k against 27.7k-44.6k, 0.78), and so the median of a row of
/// large messages is still the luck of the modes (ten more runs each: medians 35.8k and 35.9k).
const LARGE_WINDOW: Duration = Duration::from_secs(2);

/// Messages from this size up count as large: their cells get more runs.
const LARGE_MESSAGE_BYTES: usize = 64 << 10;

/// `16,1024` as numbers.
fn numbers(list: &str) -> Result<Vec<usize>, String> {
    list.split(',').map(|n| n.parse().map_err(|e| format!("{n}: {e}"))).collect()
}

/// How many messages each connection keeps in flight: pipelined, about 512 KiB at most.
fn depth_for(size: usize) -> usize {
    ((512 << 10) / size).clamp(2, 32)
}

/// Messages in flight on the deep rows (`Plan::deep_sizes`): a pipeline four times as deep as
/// [`depth_for`]'s, where a library's writes are no longer paced by the replies to a burst of
/// 32 (ours leave in pieces of eight messages for the first four pieces after the reader waits,
/// then in 64 KiB).
const DEEP_DEPTH: usize = 128;

/// A tokio runtime with `threads` workers (1: the current-thread scheduler).
fn tokio_runtime(threads: usize) -> io::Result<tokio::runtime::Runtime> {
    if threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()
    }
}

/// Runs of each in-memory core row, at least, to take the median of.
const CORE_REPS: usize = 7;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match run(&args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("usage: wsstream-bench all|server|client|core|memory [--quick] [--reps N]");
            2
        }
    };
    std::process::exit(code);
}

fn run(args: &[String]) -> Result<(), String> {
    let Some(command) = args.first() else { return Err("no command".into()) };
    let rest = &args[1..];
    match command.as_str() {
        "serve" => {
            die_with_parent();
            affinity::pin_from_env();
            let lib = rest.first().and_then(|n| Lib::parse(n)).ok_or("serve <lib>")?;
            let threads = rest.get(1).and_then(|t| t.parse().ok()).unwrap_or(1);
            servers::serve(lib, threads).map_err(|e| e.to_string())
        }
        "client-run" => {
            die_with_parent();
            affinity::pin_from_env();
            let get = |i: usize| rest.get(i).ok_or(format!("client-run: argument {i} missing"));
            let num = |i: usize| get(i)?.parse::<u64>().map_err(|e| e.to_string());
            clients::run(clients::Run {
                lib: Lib::parse(get(0)?).ok_or("client-run <lib>")?,
                addr: get(1)?.parse().map_err(|e| format!("{e}"))?,
                size: num(2)? as usize,
                conns: num(3)? as usize,
                depth: num(4)? as usize,
                warmup: Duration::from_millis(num(5)?),
                window: Duration::from_millis(num(6)?),
                threads: num(7)? as usize,
            })
        }
        "decode-alone" => {
            // For a profiler: `decode-alone ours|lent|tungstenite <size> <calls>`.
            let size = rest.get(1).and_then(|s| s.parse().ok()).unwrap_or(16);
            let calls = rest.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
            let lib = rest.first().map_or("ours", String::as_str);
            let start = std::time::Instant::now();
            let n = core_bench::decode_alone(lib, size, calls);
            let rate = n as f64 / start.elapsed().as_secs_f64();
            println!("{lib} {size} B: {n} messages, {rate:.0} messages/s");
            Ok(())
        }
        "encode-alone" => {
            // For a profiler: `encode-alone <size> <calls>`, our client's send path.
            let size = rest.first().and_then(|s| s.parse().ok()).unwrap_or(16);
            let calls = rest.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
            let start = std::time::Instant::now();
            let n = core_bench::encode_alone(size, calls);
            let rate = n as f64 / start.elapsed().as_secs_f64();
            println!("ours {size} B: {n} messages sent, {rate:.0} messages/s");
            Ok(())
        }
        "echo" => {
            // For a profiler: the lean echo server alone, until killed.
            die_with_parent();
            let (_echo, addr) = lean::raw_echo_server().map_err(|e| e.to_string())?;
            println!("PORT {}", addr.port());
            loop {
                std::thread::park();
            }
        }
        "load" => {
            // For a profiler: `load <port> <size> <conns> <ms> [depth]` against a running
            // `serve`.
            let num = |i: usize| {
                rest.get(i)
                    .and_then(|s| s.parse::<usize>().ok())
                    .ok_or("load <port> <size> <conns> <ms> [depth]")
            };
            let addr = SocketAddr::from(([127, 0, 0, 1], num(0)? as u16));
            let size = num(1)?;
            let depth = if rest.len() > 4 { num(4)? } else { depth_for(size) };
            let (_load, stats) =
                lean::load(addr, size, num(2)?, depth).map_err(|e| e.to_string())?;
            let window = Duration::from_millis(num(3)? as u64);
            let no_cpu = stats::CpuTime::default;
            let s = stats::measure(&stats, size, Duration::from_millis(100), window, no_cpu);
            println!(
                "{:.0} msg/s p50 {:.1} us p99 {:.1} us, slowest connection {:.2} of the mean",
                s.msgs_per_s, s.p50_us, s.p99_us, s.slowest_share
            );
            Ok(())
        }
        "all" | "server" | "client" | "core" | "memory" => {
            let (plan, out) = Plan::parse(rest)?;
            raise_fd_limit();
            let mut results = report::Results::new(&plan, &args.join(" "));
            let all = command == "all";
            if (all || command == "server" || command == "client")
                && report::tcp_congestion_control() == "bbr"
            {
                eprintln!(
                    "note: TCP congestion control is bbr, whose pacing makes the large-message \
                     rows swing between two modes for every library; `{}` steadies them",
                    report::TO_CUBIC
                );
            }
            if all || command == "core" {
                eprintln!("== core (in memory)");
                let budget = Duration::from_millis(if plan.quick { 30 } else { 150 });
                // Seconds in all, and a single thread that other work on the machine slows at
                // random: more runs to take the median of.
                let reps = plan.reps.max(CORE_REPS);
                results.decode = core_bench::decode(&[16, 1 << 10, 1 << 20], reps, budget);
                results.mask = core_bench::mask(&[64 << 10, 1 << 20], reps, budget);
                results.deflate = core_bench::deflate(&[1 << 10, 64 << 10], reps, budget);
            }
            if all || command == "server" {
                results.server = role_matrix(&plan, Role::Server)?;
            }
            if all || command == "client" {
                results.client = role_matrix(&plan, Role::Client)?;
            }
            if all || command == "memory" {
                results.memory = memory(&plan)?;
            }
            let markdown = results.markdown();
            let path = out.unwrap_or_else(|| {
                let name = if plan.quick || !all { "RESULTS-partial.md" } else { "RESULTS.md" };
                format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))
            });
            std::fs::write(&path, &markdown).map_err(|e| format!("{path}: {e}"))?;
            println!("{markdown}");
            eprintln!("wrote {path}");
            Ok(())
        }
        other => Err(format!("unknown command {other}")),
    }
}

/// Which side of the echo the libraries play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Server,
    Client,
}

/// One cell of a matrix: a message size, a connection count and the messages each keeps in
/// flight, with each library's medians.
pub(crate) struct Row {
    size: usize,
    conns: usize,
    depth: usize,
    figures: Vec<(Lib, Sample)>,
    /// Each library's slowest and fastest run in messages/s, which show a host that switched
    /// between a fast and a slow mode during the row (a median of such runs falls to either).
    ranges: Vec<(Lib, f64, f64)>,
}

fn role_matrix(plan: &Plan, role: Role) -> Result<Vec<Row>, String> {
    let echo = match role {
        Role::Client => Some(lean::raw_echo_server().map_err(|e| format!("echo server: {e}"))?),
        Role::Server => None,
    };
    let mut rows = Vec::new();
    for (size, conns, depth) in plan.cells() {
        let mut runs: Vec<(Lib, Vec<Sample>)> = plan.libs.iter().map(|&l| (l, vec![])).collect();
        let cell = plan.for_cell(size, conns, depth);
        for rep in 0..plan.cell_reps(size) {
            for (lib, samples) in &mut runs {
                let sample = match &echo {
                    None => server_run(&cell, *lib, size, conns, depth),
                    Some((_, addr)) => client_run(&cell, *lib, *addr, size, conns, depth),
                };
                let sample = sample.unwrap_or_else(|e| {
                    eprintln!("  {} failed: {e}", lib.name());
                    let nan = f64::NAN;
                    Sample { msgs_per_s: nan, slowest_share: nan, ..Sample::default() }
                });
                eprintln!(
                    "{role:?} {} x{conns} (depth {depth}) rep {rep}: {:<19} {:>10.0} msg/s \
                     {:>8.1} MiB/s p50 {:>8.1} us p99 {:>8.1} us cpu {:>6.2} us/msg (user {:.2}) \
                     slowest {:.2}",
                    report::size_label(size),
                    lib.name(),
                    sample.msgs_per_s,
                    sample.mib_per_s,
                    sample.p50_us,
                    sample.p99_us,
                    sample.cpu_us_per_msg,
                    sample.user_us_per_msg,
                    sample.slowest_share
                );
                samples.push(sample);
            }
        }
        let ranges = runs
            .iter()
            .map(|(lib, s)| {
                let done = s.iter().map(|s| s.msgs_per_s).filter(|v| !v.is_nan());
                let (min, max) =
                    done.fold((f64::NAN, f64::NAN), |(lo, hi), v| (lo.min(v), hi.max(v)));
                (*lib, min, max)
            })
            .collect();
        let figures = runs
            .into_iter()
            .map(|(lib, s)| {
                let m = |f: fn(&Sample) -> f64| stats::median(s.iter().map(f));
                let sample = Sample {
                    msgs_per_s: m(|s| s.msgs_per_s),
                    mib_per_s: m(|s| s.mib_per_s),
                    p50_us: m(|s| s.p50_us),
                    p99_us: m(|s| s.p99_us),
                    cpu_us_per_msg: m(|s| s.cpu_us_per_msg),
                    user_us_per_msg: m(|s| s.user_us_per_msg),
                    slowest_share: m(|s| s.slowest_share),
                };
                (lib, sample)
            })
            .collect();
        rows.push(Row { size, conns, depth, figures, ranges });
    }
    Ok(rows)
}

/// A server child process, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn spawn(lib: Lib, threads: usize, cpu: Option<usize>) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut command = Command::new(exe);
        if let Some(cpu) = cpu {
            command.env(affinity::CPU_VAR, cpu.to_string());
        }
        let mut child = command
            .args(["serve", lib.name(), &threads.to_string()])
            .env("SMOL_THREADS", threads.to_string())
            .env("ASYNC_STD_THREAD_COUNT", threads.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let port = line.trim().strip_prefix("PORT ").and_then(|p| p.parse::<u16>().ok());
        let mut server = Self { child, addr: SocketAddr::from(([127, 0, 0, 1], 0)) };
        match (read, port) {
            (Ok(_), Some(port)) => {
                server.addr.set_port(port);
                Ok(server)
            }
            _ => Err(format!("{} did not start: {line:?}", lib.name())),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Server role: `lib`'s echo server in a child, the lean load generator here.
fn server_run(
    plan: &Plan,
    lib: Lib,
    size: usize,
    conns: usize,
    depth: usize,
) -> Result<Sample, String> {
    let server = Server::spawn(lib, plan.threads, plan.cpu)?;
    let (load, stats) = lean::load(server.addr, size, conns, depth).map_err(|e| e.to_string())?;
    let pid = server.pid();
    let sample = stats::measure(&stats, size, plan.warmup, plan.window, || stats::process_cpu(pid));
    drop(server);
    drop(load);
    Ok(sample)
}

/// Client role: `lib`'s client in a child, which measures itself, against the lean echo server.
fn client_run(
    plan: &Plan,
    lib: Lib,
    addr: SocketAddr,
    size: usize,
    conns: usize,
    depth: usize,
) -> Result<Sample, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let threads = plan.threads.to_string();
    let mut command = Command::new(exe);
    if let Some(cpu) = plan.cpu {
        command.env(affinity::CPU_VAR, cpu.to_string());
    }
    let output = command
        .args([
            "client-run",
            lib.name(),
            &addr.to_string(),
            &size.to_string(),
            &conns.to_string(),
            &depth.to_string(),
            &plan.warmup.as_millis().to_string(),
            &plan.window.as_millis().to_string(),
            &threads,
        ])
        .env("SMOL_THREADS", &threads)
        .env("ASYNC_STD_THREAD_COUNT", &threads)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(Sample::from_line)
        .ok_or_else(|| format!("no result ({})", output.status))
}

/// Memory: resident bytes per idle open connection, `plan.idle_conns` held by the lean client.
fn memory(plan: &Plan) -> Result<Vec<(Lib, f64)>, String> {
    let n = plan.idle_conns;
    let mut runs: Vec<(Lib, Vec<f64>)> = plan.libs.iter().map(|&l| (l, vec![])).collect();
    for rep in 0..plan.reps {
        for (lib, samples) in &mut runs {
            let server = Server::spawn(*lib, plan.threads, plan.cpu)?;
            std::thread::sleep(Duration::from_millis(100));
            let before = stats::process_rss(server.pid());
            let per_conn = match lean::hold_idle(server.addr, n) {
                Ok(held) => {
                    std::thread::sleep(Duration::from_millis(if plan.quick { 100 } else { 400 }));
                    let after = stats::process_rss(server.pid());
                    drop(server);
                    drop(held);
                    after.saturating_sub(before) as f64 / n as f64
                }
                Err(e) => {
                    eprintln!("  {} failed: {e}", lib.name());
                    f64::NAN
                }
            };
            eprintln!("Memory {n} idle rep {rep}: {:<19} {:>8.0} B/conn", lib.name(), per_conn);
            samples.push(per_conn);
        }
    }
    Ok(runs.into_iter().map(|(lib, v)| (lib, stats::median(v))).collect())
}

/// Lets this process (and its children) hold the idle connections of the memory table.
fn raise_fd_limit() {
    // SAFETY: getrlimit and setrlimit only read and write the struct we pass.
    unsafe {
        let mut lim = std::mem::zeroed::<libc::rlimit>();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// A child dies with the orchestrator, even if it is killed.
fn die_with_parent() {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Plan {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        Plan::parse(&args).expect("a valid plan").0
    }

    #[test]
    fn deep_rows_follow_their_size() {
        let cells = plan(&["--no-pin"]).cells();
        assert_eq!(cells.len(), 10);
        assert_eq!(&cells[..3], &[(16, 1, 32), (16, 64, 32), (16, 1, DEEP_DEPTH)]);
        assert_eq!(&cells[3..6], &[(1024, 1, 32), (1024, 64, 32), (1024, 1, DEEP_DEPTH)]);
        assert_eq!(cells[6], (64 << 10, 1, 8));
        assert_eq!(cells[9], (1 << 20, 64, 2));
    }

    #[test]
    fn a_subset_gets_deep_rows_only_when_asked() {
        let cells = plan(&["--no-pin", "--sizes", "1024", "--conns", "1"]).cells();
        assert_eq!(cells, vec![(1024, 1, 32)]);
        let cells = plan(&["--no-pin", "--sizes", "16", "--deep", "16,1024"]).cells();
        assert_eq!(
            cells,
            vec![(16, 1, 32), (16, 64, 32), (16, 1, DEEP_DEPTH), (1024, 1, DEEP_DEPTH)]
        );
        assert_eq!(plan(&["--no-pin", "--deep", "none"]).cells().len(), 8);
    }

    #[test]
    fn large_messages_get_longer_windows() {
        let full = plan(&["--no-pin"]);
        assert_eq!(full.for_cell(1 << 10, 64, 32).window, Duration::from_millis(600));
        assert_eq!(full.for_cell(64 << 10, 1, 8).window, LARGE_WINDOW);
        assert_eq!(full.for_cell(1 << 20, 64, 2).window, LARGE_WINDOW);
        assert_eq!(full.for_cell(1 << 20, 64, 2).warmup, Duration::from_millis(320));
        assert_eq!(full.large_window(), LARGE_WINDOW);
        // A smoke run stays short, but for the cells with the most bytes in flight.
        let quick = plan(&["--no-pin", "--quick"]);
        assert_eq!(quick.for_cell(64 << 10, 1, 8).window, Duration::from_millis(150));
        assert_eq!(quick.for_cell(1 << 20, 64, 2).window, Duration::from_millis(1_280));
    }
}
