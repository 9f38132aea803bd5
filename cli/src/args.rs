//! Options shared by the commands ([`ConnectionArgs`], [`TlsArgs`]) and the parsers of their
//! values: durations (`100ms`, `5s`), sizes (`64KiB`, `16M`) and headers (`Name: value`).

use std::path::PathBuf;
use std::time::Duration;

use clap::ValueEnum;
use wsstream_tokio::{DeflateConfig, Keepalive, Options};

use crate::exit::Failure;
use crate::tls;

/// Options of a connection, client or server.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ConnectionArgs {
    /// Ping after this long without input, and fail the connection if nothing arrives within
    /// as long again (e.g. 30s, 500ms). Default: no keepalive pings.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) ping_interval: Option<Duration>,
    /// The largest message accepted; a larger one fails the connection with 1009 (e.g. 1MiB,
    /// 65536). Default 64MiB.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) max_message_size: Option<usize>,
    /// permessage-deflate: offered by a client, accepted by a server.
    #[arg(long, value_name = "ON|OFF", default_value = "on")]
    pub(crate) compression: Switch,
}

impl ConnectionArgs {
    /// These settings applied to `options`.
    pub(crate) fn apply(&self, mut options: Options) -> Options {
        options.keepalive =
            self.ping_interval.map(|interval| Keepalive { interval, timeout: interval });
        if let Some(max) = self.max_message_size {
            options.max_message_size = max;
            options.max_frame_size = options.max_frame_size.min(max);
        }
        options.deflate = match self.compression {
            Switch::On => Some(DeflateConfig::default()),
            Switch::Off => None,
        };
        options
    }
}

/// On or off. (The variants have no doc comments so that `--help` lists them on one line.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Switch {
    On,
    Off,
}

/// How a client checks a `wss:` server's certificate.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TlsArgs {
    /// For wss: trust only the CA certificates in this PEM file (instead of Mozilla's roots).
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub(crate) ca: Option<PathBuf>,
    /// For wss: accept any certificate, for any name. FOR TESTS ONLY: anyone on the path can
    /// read and change the traffic.
    #[arg(long, short = 'k')]
    pub(crate) insecure: bool,
}

impl TlsArgs {
    /// These settings applied to `options`.
    ///
    /// # Errors
    /// The CA file cannot be read or holds no certificate.
    pub(crate) fn apply(&self, mut options: Options) -> Result<Options, Failure> {
        if self.insecure {
            options.tls = Some(tls::insecure_client_config()?);
        } else if let Some(ca) = &self.ca {
            options.tls = Some(tls::client_config_with_ca(ca)?);
        }
        Ok(options)
    }
}

/// Parses a duration: a number and a unit among `ms`, `s`, `m` and `h` (`100ms`, `1.5s`); a
/// bare number is seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 100ms, 5s or 1m"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        other => return Err(format!("unknown unit {other:?}: use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

/// Parses a size in bytes: a whole number with an optional unit, `K`/`KiB`, `M`/`MiB` or
/// `G`/`GiB` (powers of 1024), or `B`.
pub(crate) fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize =
        number.parse().map_err(|_| format!("{text:?} is not a size such as 65536 or 1MiB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("unknown unit {:?}: use B, KiB, MiB or GiB", unit.trim())),
    };
    number.checked_mul(1 << shift).ok_or_else(|| format!("{text:?} is too large"))
}

/// Parses a header field given as `Name: value`.
pub(crate) fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(format!("{text:?} is not a header such as 'Name: value'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("100ms"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 fortnights").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("16M"), Ok(16 << 20));
        assert_eq!(parse_size("1gib"), Ok(1 << 30));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("1.5M").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("Authorization: Bearer a:b"),
            Ok(("Authorization".into(), "Bearer a:b".into()))
        );
        assert_eq!(parse_header("X-Empty:"), Ok(("X-Empty".into(), String::new())));
        assert!(parse_header("no colon").is_err());
        assert!(parse_header(": value").is_err());
    }
}
