//! How a command ends: [`Status`], the documented exit statuses, and [`Failure`], one line on
//! standard error with the status to exit with.

use std::fmt;
use std::io::Write;
use std::process::ExitCode;

use wsstream_tokio::{CloseInfo, WebSocketError};

/// The exit statuses other than success; `--help` lists them (`main.rs`, `EXIT_STATUSES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// 1: could not connect or serve (URL, DNS, TCP, TLS, handshake, files, bind).
    Connect = 1,
    /// 2: bad arguments, as clap reports them.
    Usage = 2,
    /// 3: a clean close with a code other than 1000 (or none).
    CloseCode = 3,
    /// 4: the connection failed after it opened.
    Failed = 4,
    /// 130: a second Ctrl-C.
    Interrupted = 130,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        Self::from(status as u8)
    }
}

/// Why a command failed: a one-line message for standard error and the exit status.
#[derive(Debug)]
pub(crate) struct Failure {
    status: Status,
    message: String,
}

impl Failure {
    /// A failure with `status` and `message`.
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    /// The connection could not be opened.
    pub(crate) fn connect(e: &WebSocketError) -> Self {
        Self::new(Status::Connect, one_line(&e.to_string()))
    }

    /// Prints the message on standard error and gives the exit status.
    pub(crate) fn exit(self) -> ExitCode {
        // Not `eprintln!`, which panics when standard error is closed.
        let _ = writeln!(std::io::stderr(), "wsstream: error: {self}");
        self.status.into()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What the outcome of `closed()` means for the exit status: `Ok` for a clean close with 1000
/// or no code (1005), [`Status::CloseCode`] for a clean close with another code,
/// [`Status::Failed`] for an unclean one.
pub(crate) fn closed(result: &Result<CloseInfo, WebSocketError>) -> Result<(), Failure> {
    match result {
        Ok(CloseInfo { close_code: None | Some(1000 | 1005), .. }) => Ok(()),
        Ok(CloseInfo { close_code: Some(code), reason }) => Err(Failure::new(
            Status::CloseCode,
            format!("the peer closed with code {code}, reason {reason:?}"),
        )),
        Err(e) => {
            let mut message = one_line(&e.to_string());
            match (e.code(), e.reason()) {
                (Some(code), "") => message.push_str(&format!(" (code {code})")),
                (Some(code), reason) => {
                    message.push_str(&format!(" (code {code}, reason {reason:?})"))
                }
                (None, _) => {}
            }
            Err(Failure::new(Status::Failed, message))
        }
    }
}

/// `message` on one line: an error's source may span several.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_closes_with_1000_or_no_code_succeed() {
        assert!(closed(&Ok(CloseInfo::new(1000, "bye"))).is_ok());
        assert!(closed(&Ok(CloseInfo::new(1005, ""))).is_ok());
        let other = closed(&Ok(CloseInfo::new(4000, "go away"))).unwrap_err();
        assert_eq!(other.status, Status::CloseCode);
        assert_eq!(other.to_string(), r#"the peer closed with code 4000, reason "go away""#);
    }

    #[test]
    fn messages_are_one_line() {
        assert_eq!(one_line("a\n  b\tc "), "a b c");
    }
}
