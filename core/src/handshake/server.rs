//! The server's side of the opening handshake: parsing and checking the request, and writing
//! the 101 response or a refusal (RFC 6455 4.2).

use std::fmt::Write as _;

use base64::Engine;

use crate::config::Config;
use crate::error::HandshakeError;
use crate::handshake::{
    Header, accept_key, has_token, header_section, http_error, list, own_headers, single, values,
};

/// A checked opening handshake request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The request target: path and query (`/chat?room=1`).
    pub path: String,
    /// Every header field, in order, names as received.
    pub headers: Vec<Header>,
    /// The subprotocols the client offers, in its order of preference.
    pub protocols: Vec<String>,
    /// The extension offers, one element of `Sec-WebSocket-Extensions` each
    /// (`permessage-deflate; client_max_window_bits`).
    pub extensions: Vec<String>,
    key: String,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        values(&self.headers, name).next()
    }

    /// The first value of header `name` as text, if it is UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The `Host` header.
    pub fn host(&self) -> Option<&str> {
        self.header_str("Host")
    }

    /// The `Origin` header, if the client sent one (browsers always do).
    pub fn origin(&self) -> Option<&str> {
        self.header_str("Origin")
    }

    /// The client's `Sec-WebSocket-Key`.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Parses requests that may arrive a byte at a time.
#[derive(Debug, Clone)]
pub struct RequestParser {
    scanned: usize,
    max_header_bytes: usize,
    max_headers: usize,
}

impl RequestParser {
    /// A parser with the limits of `config`.
    pub fn new(config: &Config) -> Self {
        Self {
            scanned: 0,
            max_header_bytes: config.max_header_bytes,
            max_headers: config.max_headers,
        }
    }

    /// Parses and checks the request at the start of `buf`.
    ///
    /// Returns `Ok(None)` while the header section is incomplete, else the request and the
    /// number of bytes it took.
    ///
    /// # Errors
    /// What is wrong with the request; [`HandshakeError::http_status`] gives the status to
    /// refuse it with ([`reject_response`]).
    pub fn parse(&mut self, buf: &[u8]) -> Result<Option<(Request, usize)>, HandshakeError> {
        let max_headers = self.max_headers;
        let prefix = |bytes: &[u8]| {
            let mut storage = vec![httparse::EMPTY_HEADER; max_headers];
            httparse::Request::new(&mut storage)
                .parse(bytes)
                .map(drop)
                .map_err(|e| http_error(e, max_headers))
        };
        let Some(end) = header_section(buf, &mut self.scanned, self.max_header_bytes, prefix)?
        else {
            return Ok(None);
        };
        let mut storage = vec![httparse::EMPTY_HEADER; self.max_headers];
        let mut req = httparse::Request::new(&mut storage);
        let used = match req.parse(&buf[..end]).map_err(|e| http_error(e, self.max_headers))? {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => return Err(HandshakeError::Http(httparse::Error::Token)),
        };
        // RFC 6455 4.2.1: "An HTTP/1.1 or higher GET request, including a "Request-URI"".
        let method = req.method.unwrap_or("");
        if method != "GET" {
            return Err(HandshakeError::Method(method.to_owned()));
        }
        if req.version != Some(1) {
            return Err(HandshakeError::Version);
        }
        let path = req.path.unwrap_or("/").to_owned();
        let headers = own_headers(req.headers);
        single(&headers, "Host")?.ok_or(HandshakeError::MissingHeader("Host"))?;
        if !has_token(&headers, "Upgrade", "websocket") {
            return Err(HandshakeError::MissingHeader("Upgrade: websocket"));
        }
        if !has_token(&headers, "Connection", "upgrade") {
            return Err(HandshakeError::MissingHeader("Connection: Upgrade"));
        }
        let version = single(&headers, "Sec-WebSocket-Version")?
            .ok_or(HandshakeError::MissingHeader("Sec-WebSocket-Version"))?;
        if super::trim(version) != b"13" {
            return Err(HandshakeError::UnsupportedVersion(
                String::from_utf8_lossy(version).into_owned(),
            ));
        }
        let key = single(&headers, "Sec-WebSocket-Key")?
            .ok_or(HandshakeError::MissingHeader("Sec-WebSocket-Key"))?;
        let key = super::trim(key);
        // RFC 6455 4.1: the key is a base64-encoded 16-byte value.
        match base64::engine::general_purpose::STANDARD.decode(key) {
            Ok(decoded) if decoded.len() == 16 => {}
            _ => return Err(HandshakeError::InvalidKey),
        }
        let key = String::from_utf8_lossy(key).into_owned();
        let protocols = list(&headers, "Sec-WebSocket-Protocol")
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        let extensions = list(&headers, "Sec-WebSocket-Extensions")
            .map(|e| String::from_utf8_lossy(e).into_owned())
            .collect();
        Ok(Some((Request { path, headers, protocols, extensions, key }, used)))
    }
}

/// Writes the 101 response accepting `request`.
///
/// `protocol` must be one of [`Request::protocols`] and `extensions` a value agreed from
/// [`Request::extensions`]; `headers` are extra fields (cookies, for example), whose names and
/// values the caller MUST have checked for CR and LF.
pub fn accept_response(
    request: &Request,
    protocol: Option<&str>,
    extensions: Option<&str>,
    headers: &[(String, String)],
    out: &mut Vec<u8>,
) {
    let mut res = String::with_capacity(160);
    let _ = write!(
        res,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        accept_key(request.key.as_bytes())
    );
    if let Some(p) = protocol {
        let _ = write!(res, "Sec-WebSocket-Protocol: {p}\r\n");
    }
    if let Some(e) = extensions {
        let _ = write!(res, "Sec-WebSocket-Extensions: {e}\r\n");
    }
    for (name, value) in headers {
        let _ = write!(res, "{name}: {value}\r\n");
    }
    res.push_str("\r\n");
    out.extend_from_slice(res.as_bytes());
}

/// Writes a refusal: `status` with a plain-text `body` (426 adds `Sec-WebSocket-Version: 13`,
/// as RFC 6455 4.4 asks).
pub fn reject_response(status: u16, body: &str, out: &mut Vec<u8>) {
    let reason = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Refused",
    };
    let mut res = String::with_capacity(160 + body.len());
    let _ = write!(res, "HTTP/1.1 {status} {reason}\r\n");
    if status == 426 {
        res.push_str("Sec-WebSocket-Version: 13\r\n");
    }
    if status == 405 {
        res.push_str("Allow: GET\r\n");
    }
    let _ = write!(
        res,
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    out.extend_from_slice(res.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";

    fn parse(req: &str) -> Result<Option<(Request, usize)>, HandshakeError> {
        RequestParser::new(&Config::default()).parse(req.as_bytes())
    }

    #[test]
    fn parses_the_rfc_request_byte_by_byte() {
        let mut p = RequestParser::new(&Config::default());
        let bytes = RFC_REQUEST.as_bytes();
        for end in 0..bytes.len() {
            assert_eq!(p.parse(&bytes[..end]), Ok(None));
        }
        let (req, used) = p.parse(bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(req.path, "/chat");
        assert_eq!(req.protocols, ["chat", "superchat"]);
        assert_eq!(req.origin(), Some("http://example.com"));
        let mut out = Vec::new();
        accept_response(&req, Some("chat"), None, &[], &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
        );
    }

    #[test]
    fn refuses_bad_requests_with_the_right_status() {
        let cases = [
            (RFC_REQUEST.replace("GET", "POST"), 405),
            (RFC_REQUEST.replace("HTTP/1.1", "HTTP/1.0"), 400),
            (RFC_REQUEST.replace("Host: server.example.com\r\n", ""), 400),
            (RFC_REQUEST.replace("Upgrade: websocket\r\n", ""), 400),
            (RFC_REQUEST.replace("Connection: Upgrade", "Connection: keep-alive"), 400),
            (RFC_REQUEST.replace("Version: 13", "Version: 8"), 426),
            (RFC_REQUEST.replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ="), 400),
            (RFC_REQUEST.replace("dGhlIHNhbXBsZSBub25jZQ==", "!!!"), 400),
        ];
        for (req, status) in cases {
            let err = parse(&req).unwrap_err();
            assert_eq!(err.http_status(), status, "{err}");
        }
        let mut out = Vec::new();
        reject_response(426, "version", &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"));
        assert!(text.ends_with("\r\n\r\nversion"));
    }

    #[test]
    fn fails_at_once_on_what_cannot_be_http() {
        let mut p = RequestParser::new(&Config::default());
        // The start of a TLS ClientHello.
        assert!(matches!(p.parse(b"\x16\x03\x01\x02\x00\x01"), Err(HandshakeError::Http(_))));
        let mut p = RequestParser::new(&Config::default());
        assert_eq!(p.parse(b"GET /chat HTTP/1.1\r\nHost: a"), Ok(None));
    }

    #[test]
    fn accepts_case_variants() {
        let req = RFC_REQUEST
            .replace("Upgrade: websocket", "upgrade: WEBSOCKET")
            .replace("Connection: Upgrade", "connection: keep-alive, upgrade");
        assert!(parse(&req).unwrap().is_some());
    }
}
