//! # wsstream, the command
//!
//! The front door of the project: the WebSocketStream guide's sample client (`wsstream demo`),
//! an interactive client in the manner of websocat (`wsstream connect`), and a small echo or
//! broadcast server (`wsstream serve`), all on `wsstream-tokio`.
//!
//! ```text
//!  main.rs     arguments (clap), diagnostics (tracing, RUST_LOG), the runtime, the exit status
//!  args.rs     options shared by the commands, and their value parsers (durations, sizes, headers)
//!  exit.rs     Failure and Status: one line on standard error, and the documented exit statuses
//!  interrupt.rs  CtrlC: a first press closes cleanly, a second gives up
//!  tls.rs      PEM files, --ca, --insecure, the server's certificate
//!  demo.rs     `wsstream demo`: the guide's ping client, with an embedded echo server
//!  connect.rs  `wsstream connect`: standard input to messages, messages to standard output
//!  serve.rs    `wsstream serve`: echo or broadcast, ws or wss, one log line per open and close
//! ```
//!
//! The process never returns through the runtime's destructor: tokio reads standard input on
//! a blocking thread that cannot be cancelled, so `main` shuts the runtime down in the
//! background and exits with the status it chose.

mod args;
mod connect;
mod demo;
mod exit;
mod interrupt;
mod serve;
mod tls;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::exit::{Failure, Status};

/// The exit statuses, as `--help` shows them.
const EXIT_STATUSES: &str = "\
Exit status:
  0    the connection closed cleanly with 1000 (or no code); serve stopped by Ctrl-C
  1    could not connect or serve: invalid URL, connection refused, DNS, TLS, handshake
       refused (the HTTP status is shown), unreadable certificate, address in use
  2    usage error: unknown option, bad value
  3    the connection closed cleanly, but the peer's close code was not 1000: code and
       reason on standard error
  4    the connection failed after it opened: lost (1006), protocol error, timeout, or an
       unclean close
  130  interrupted: Ctrl-C before the connection opened, or a second Ctrl-C while
       closing";

/// The examples `--help` shows.
const EXAMPLES: &str = "\
Examples:
  wsstream demo                                   # the guide's ping client, embedded server
  wsstream demo --interval 1s --count 3 ws://127.0.0.1:9001/
  wsstream serve 127.0.0.1:9001                   # an echo server
  wsstream serve 0.0.0.0:9443 --broadcast --cert cert.pem --key key.pem
  wsstream connect ws://127.0.0.1:9001/           # type lines, read the replies
  echo hello | wsstream connect ws://127.0.0.1:9001/
  wsstream connect wss://localhost:9443/ --ca cert.pem --protocol chat \\
      --header 'Authorization: Bearer 123'

Diagnostics: RUST_LOG=debug (serve logs each connection at info by default).";

/// The examples of `wsstream demo --help`.
const DEMO_HELP: &str = "\
Examples:
  wsstream demo                                   # against an embedded echo server
  wsstream demo --interval 100ms --count 3        # three rounds, then close
  wsstream demo wss://example.com/ws --ca ca.pem";

/// The examples of `wsstream connect --help`.
const CONNECT_HELP: &str = "\
Examples:
  wsstream connect ws://127.0.0.1:9001/
  echo hello | wsstream connect ws://127.0.0.1:9001/
  wsstream connect --binary --raw ws://127.0.0.1:9001/ < in.bin > out.bin
  wsstream connect wss://localhost:9443/chat --ca cert.pem --protocol chat \\
      -H 'Authorization: Bearer 123' --ping-interval 30s";

/// The examples of `wsstream serve --help`.
const SERVE_HELP: &str = "\
Examples:
  wsstream serve 127.0.0.1:9001
  wsstream serve 127.0.0.1:0 --broadcast          # a free port; the URL is printed
  wsstream serve 0.0.0.0:9443 --cert cert.pem --key key.pem --protocol chat
  RUST_LOG=warn wsstream serve 127.0.0.1:9001     # no connection log";

/// wsstream: WebSocket demo, client and server, on the wsstream library.
#[derive(Debug, Parser)]
#[command(name = "wsstream", version, after_help = format!("{EXAMPLES}\n\n{EXIT_STATUSES}"))]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// The sample client of the guide "Using WebSocketStream to write a client": ping, pong.
    ///
    /// Connects, prints CONNECTED, sends `ping` and prints each message received; another
    /// `ping` follows each message after the interval. On Ctrl-C or after --count messages it
    /// closes with 1000 "That's all folks". Without a URL it connects to an echo server of its
    /// own on a free port of 127.0.0.1 that answers `ping` with `pong`.
    #[command(after_help = format!("{DEMO_HELP}\n\n{EXIT_STATUSES}"))]
    Demo(demo::Args),
    /// An interactive client: standard input to messages, messages to standard output.
    ///
    /// Each line of standard input is sent as a text message (without its line ending); each
    /// message received is written to standard output, text followed by a newline, binary as
    /// hexadecimal followed by a newline (or as raw bytes with --raw). The end of input, or
    /// Ctrl-C, closes the connection with 1000.
    #[command(after_help = format!("{CONNECT_HELP}\n\n{EXIT_STATUSES}"))]
    Connect(connect::Args),
    /// A server: echo (the default) or broadcast, over ws or, with --cert and --key, wss.
    ///
    /// Prints `listening on ws://ADDR/` on standard output, then logs each connection's open
    /// and close (code and reason) on standard error. Ctrl-C closes every connection (1000, "server
    /// shutting down") and stops.
    #[command(after_help = format!("{SERVE_HELP}\n\n{EXIT_STATUSES}"))]
    Serve(serve::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are "errors" that print to standard output and exit 0.
            let _ = e.print();
            return if e.use_stderr() { Status::Usage.into() } else { ExitCode::SUCCESS };
        }
    };
    init_tracing(matches!(cli.command, Command::Serve(_)));
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return Failure::new(Status::Connect, format!("cannot start tokio: {e}")).exit(),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(args) => demo::run(args).await,
            Command::Connect(args) => connect::run(args).await,
            Command::Serve(args) => serve::run(args).await,
        }
    });
    // Not a plain drop: a read of standard input may still block a thread of the runtime.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

/// Diagnostics on standard error, filtered by `RUST_LOG`; by default warnings, and for the
/// server also its connection log (info).
fn init_tracing(server: bool) {
    let default = if server { "warn,wsstream=info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}
