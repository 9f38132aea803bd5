//! The opening handshake (RFC 6455 section 4), as pure functions over byte buffers.
//!
//! Parsers answer `Ok(None)` while the header section is incomplete, so input may arrive one byte
//! at a time; they never read past the blank line, so the bytes after it (the first frames) stay
//! for the frame decoder.

pub mod client;
pub mod server;

use base64::Engine;
use sha1::{Digest, Sha1};

use crate::error::HandshakeError;

pub use client::{ClientHandshake, Response};
pub use server::{Request, accept_response, reject_response};

/// The GUID that RFC 6455 4.2.2 appends to the key.
const WEBSOCKET_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` (RFC 6455 4.2.2, step 5.4).
///
/// # Examples
/// ```
/// // RFC 6455 1.3
/// let accept = wsstream_core::handshake::accept_key(b"dGhlIHNhbXBsZSBub25jZQ==");
/// assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(WEBSOCKET_GUID);
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// Encodes 16 random bytes as a `Sec-WebSocket-Key`.
pub fn encode_key(nonce: [u8; 16]) -> String {
    base64::engine::general_purpose::STANDARD.encode(nonce)
}

/// A header field: its name as received and its raw value.
pub type Header = (String, Vec<u8>);

/// Where the header section ends (just past the blank line), if it is all in `buf`.
///
/// RFC 9112 2.2: "a recipient MAY recognize a single LF as a line terminator and ignore any
/// preceding CR", and httparse does; so the blank line is found as httparse finds it: LF, an
/// optional CR, LF. (Looking for CRLF CRLF alone made a section that ends in a bare LF wait for
/// a CRLF CRLF that later frames might or might not hold.)
///
/// `from` is how far an earlier call already looked, so that byte-by-byte input is scanned once.
pub(crate) fn find_header_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(2);
    let tail = buf.get(start..)?;
    (0..tail.len()).find_map(|i| match tail[i..] {
        [b'\n', b'\n', ..] => Some(start + i + 2),
        [b'\n', b'\r', b'\n', ..] => Some(start + i + 3),
        _ => None,
    })
}

/// Finds the complete header section at the start of `buf`: `Ok(Some(end))` once it is all
/// there within `max_bytes`, `Ok(None)` while it may still come.
///
/// Bytes that cannot be HTTP fail at once (a TLS ClientHello sent to a plain server, say), not
/// when a blank line that never comes would arrive: `parse_prefix` runs httparse on what came.
/// Only the first `max_bytes` are ever looked at, so the answer is the same however the input
/// was split: the first error in byte order, else the size limit.
pub(crate) fn header_section(
    buf: &[u8],
    scanned: &mut usize,
    max_bytes: usize,
    parse_prefix: impl FnOnce(&[u8]) -> Result<(), HandshakeError>,
) -> Result<Option<usize>, HandshakeError> {
    let fresh = buf.len() > *scanned;
    let end = find_header_end(buf, *scanned);
    *scanned = buf.len();
    match end {
        Some(end) if end <= max_bytes => Ok(Some(end)),
        _ if !fresh => Ok(None),
        _ => {
            parse_prefix(&buf[..buf.len().min(max_bytes)])?;
            if buf.len() > max_bytes {
                return Err(HandshakeError::HeadersTooLarge { limit: max_bytes });
            }
            Ok(None)
        }
    }
}

/// Maps httparse's error, naming the header count limit.
pub(crate) fn http_error(e: httparse::Error, max_headers: usize) -> HandshakeError {
    match e {
        httparse::Error::TooManyHeaders => HandshakeError::TooManyHeaders { limit: max_headers },
        e => HandshakeError::Http(e),
    }
}

/// Copies parsed headers out of httparse's borrowed form.
pub(crate) fn own_headers(headers: &[httparse::Header<'_>]) -> Vec<Header> {
    headers.iter().map(|h| (h.name.to_owned(), h.value.to_vec())).collect()
}

/// The values of every field named `name` (case-insensitive), in order.
pub(crate) fn values<'a, 'n>(
    headers: &'a [Header],
    name: &'n str,
) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
    headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
}

/// The comma-separated elements of every field named `name`, trimmed, empty ones skipped.
pub(crate) fn list<'a, 'n>(
    headers: &'a [Header],
    name: &'n str,
) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
    values(headers, name).flat_map(|v| v.split(|&b| b == b',')).map(trim).filter(|t| !t.is_empty())
}

/// Whether the list header `name` contains `token`, compared case-insensitively.
pub(crate) fn has_token(headers: &[Header], name: &str, token: &str) -> bool {
    list(headers, name).any(|t| t.eq_ignore_ascii_case(token.as_bytes()))
}

/// The one value of a field that must appear once.
pub(crate) fn single<'a>(
    headers: &'a [Header],
    name: &'static str,
) -> Result<Option<&'a [u8]>, HandshakeError> {
    let mut it = values(headers, name);
    let first = it.next();
    if it.next().is_some() {
        return Err(HandshakeError::InvalidHeader(name));
    }
    Ok(first)
}

/// Trims optional white space (RFC 9110 5.6.3).
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_section_1_3_key() {
        assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn finds_the_blank_line_incrementally() {
        let msg = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest";
        let mut scanned = 0;
        let mut found = None;
        for end in 1..=msg.len() {
            found = find_header_end(&msg[..end], scanned);
            scanned = end;
            if found.is_some() {
                break;
            }
        }
        assert_eq!(found, Some(msg.len() - 4));
    }

    #[test]
    fn finds_a_blank_line_ended_by_bare_lf_as_httparse_does() {
        for (msg, end) in [
            (&b"GET / HTTP/1.1\nHost: a\n\n\x81"[..], 24),
            (b"GET / HTTP/1.1\r\nHost: a\n\r\n\r\n", 26),
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27),
        ] {
            assert_eq!(find_header_end(msg, 0), Some(end), "{msg:?}");
            let mut headers = [httparse::EMPTY_HEADER; 4];
            let parsed = httparse::Request::new(&mut headers).parse(msg).unwrap();
            assert_eq!(parsed, httparse::Status::Complete(end));
            for from in 0..end {
                assert_eq!(find_header_end(&msg[..end], from), Some(end), "{msg:?} from {from}");
            }
        }
        assert_eq!(find_header_end(b"GET / HTTP/1.1\r\nHost: a\r\n\r", 0), None);
    }

    #[test]
    fn lists_and_tokens() {
        let h: Vec<Header> = vec![
            ("Connection".into(), b"keep-alive, Upgrade".to_vec()),
            ("sec-websocket-protocol".into(), b" a ,b,, c".to_vec()),
            ("Sec-WebSocket-Protocol".into(), b"d".to_vec()),
        ];
        assert!(has_token(&h, "connection", "upgrade"));
        let l: Vec<&[u8]> = list(&h, "Sec-WebSocket-Protocol").collect();
        assert_eq!(l, [&b"a"[..], b"b", b"c", b"d"]);
    }
}
