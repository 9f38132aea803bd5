//! The client's side of the opening handshake: the request, and the checks on the response
//! (RFC 6455 4.1).

use std::fmt::Write as _;

use crate::config::ClientConfig;
use crate::error::HandshakeError;
use crate::handshake::{
    Header, accept_key, encode_key, has_token, header_section, http_error, list, own_headers,
    single,
};

/// What the client remembers of its request to check the response.
#[derive(Debug, Clone)]
pub struct ClientHandshake {
    expected_accept: String,
    protocols: Vec<String>,
    extensions: Vec<String>,
    max_header_bytes: usize,
    max_headers: usize,
    scanned: usize,
}

/// A response that completed the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// Always 101.
    pub status: u16,
    /// Every header field of the response.
    pub headers: Vec<Header>,
    /// The subprotocol the server chose, if any.
    pub protocol: Option<String>,
    /// The extensions the server agreed to, as it wrote them (`Sec-WebSocket-Extensions`).
    pub extensions: Option<String>,
}

impl ClientHandshake {
    /// Writes the GET request for `config` with the given 16-byte nonce into `out`.
    ///
    /// `extensions` are `Sec-WebSocket-Extensions` offers (already formatted); each offer's
    /// extension name is remembered so that the response may only accept those.
    ///
    /// The caller MUST have checked `config` with [`ClientConfig::validate`].
    pub fn new(
        config: &ClientConfig,
        nonce: [u8; 16],
        extensions: &[String],
        out: &mut Vec<u8>,
    ) -> Self {
        let key = encode_key(nonce);
        let mut req = String::with_capacity(256);
        // Writing to a String cannot fail.
        let _ = write!(req, "GET {} HTTP/1.1\r\nHost: {}", config.path, config.host);
        if let Some(port) = config.port {
            let _ = write!(req, ":{port}");
        }
        let _ = write!(
            req,
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n\
             Sec-WebSocket-Version: 13\r\n"
        );
        if !config.protocols.is_empty() {
            let _ = write!(req, "Sec-WebSocket-Protocol: {}\r\n", config.protocols.join(", "));
        }
        if !extensions.is_empty() {
            let _ = write!(req, "Sec-WebSocket-Extensions: {}\r\n", extensions.join(", "));
        }
        if let Some(origin) = &config.origin {
            let _ = write!(req, "Origin: {origin}\r\n");
        }
        for (name, value) in &config.headers {
            let _ = write!(req, "{name}: {value}\r\n");
        }
        req.push_str("\r\n");
        out.extend_from_slice(req.as_bytes());
        let names = extensions
            .iter()
            .flat_map(|e| e.split(','))
            .filter_map(|offer| offer.split(';').next())
            .map(|name| name.trim().to_ascii_lowercase())
            .collect();
        Self {
            expected_accept: accept_key(key.as_bytes()),
            protocols: config.protocols.clone(),
            extensions: names,
            max_header_bytes: config.config.max_header_bytes,
            max_headers: config.config.max_headers,
            scanned: 0,
        }
    }

    /// Parses and checks the response at the start of `buf`.
    ///
    /// Returns `Ok(None)` while the header section is incomplete, else the response and the
    /// number of bytes it took; what follows those bytes belongs to the frame decoder.
    ///
    /// # Errors
    /// A [`HandshakeError`] that says what was wrong; a non-101 status carries its headers.
    pub fn parse_response(
        &mut self,
        buf: &[u8],
    ) -> Result<Option<(Response, usize)>, HandshakeError> {
        let max_headers = self.max_headers;
        let prefix = |bytes: &[u8]| {
            let mut storage = vec![httparse::EMPTY_HEADER; max_headers];
            httparse::Response::new(&mut storage)
                .parse(bytes)
                .map(drop)
                .map_err(|e| http_error(e, max_headers))
        };
        let Some(end) = header_section(buf, &mut self.scanned, self.max_header_bytes, prefix)?
        else {
            return Ok(None);
        };
        let mut storage = vec![httparse::EMPTY_HEADER; self.max_headers];
        let mut res = httparse::Response::new(&mut storage);
        let used = match res.parse(&buf[..end]).map_err(|e| http_error(e, self.max_headers))? {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => return Err(HandshakeError::Http(httparse::Error::Status)),
        };
        let status = res.code.unwrap_or(0);
        let headers = own_headers(res.headers);
        if status != 101 {
            let reason = res.reason.unwrap_or("").to_owned();
            return Err(HandshakeError::Status { status, reason, headers });
        }
        if res.version != Some(1) {
            return Err(HandshakeError::Version);
        }
        // RFC 6455 4.1: "If the response lacks an |Upgrade| header field or the |Upgrade| header
        // field contains a value that is not an ASCII case-insensitive match for the value
        // "websocket", the client MUST _Fail the WebSocket Connection_." Likewise Connection.
        if !has_token(&headers, "Upgrade", "websocket") {
            return Err(HandshakeError::MissingHeader("Upgrade: websocket"));
        }
        if !has_token(&headers, "Connection", "upgrade") {
            return Err(HandshakeError::MissingHeader("Connection: Upgrade"));
        }
        let accept = single(&headers, "Sec-WebSocket-Accept")?
            .ok_or(HandshakeError::MissingHeader("Sec-WebSocket-Accept"))?;
        if super::trim(accept) != self.expected_accept.as_bytes() {
            return Err(HandshakeError::AcceptMismatch);
        }
        let protocol = self.check_protocol(&headers)?;
        let extensions = self.check_extensions(&headers)?;
        Ok(Some((Response { status, headers, protocol, extensions }, used)))
    }

    fn check_protocol(&self, headers: &[Header]) -> Result<Option<String>, HandshakeError> {
        let chosen = single(headers, "Sec-WebSocket-Protocol")?.map(super::trim);
        match chosen {
            None | Some(b"") if self.protocols.is_empty() => Ok(None),
            // The browser fails when protocols were offered and none was chosen.
            None | Some(b"") => Err(HandshakeError::ProtocolNotOffered(String::new())),
            Some(p) => {
                let p = String::from_utf8_lossy(p).into_owned();
                if self.protocols.contains(&p) {
                    Ok(Some(p))
                } else {
                    Err(HandshakeError::ProtocolNotOffered(p))
                }
            }
        }
    }

    fn check_extensions(&self, headers: &[Header]) -> Result<Option<String>, HandshakeError> {
        let mut agreed = Vec::new();
        for ext in list(headers, "Sec-WebSocket-Extensions") {
            let ext = String::from_utf8_lossy(ext).into_owned();
            let name = ext.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if !self.extensions.contains(&name) {
                return Err(HandshakeError::ExtensionNotOffered(ext));
            }
            agreed.push(ext);
        }
        Ok((!agreed.is_empty()).then(|| agreed.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: [u8; 16] = *b"the sample nonce";

    fn handshake(config: &ClientConfig) -> (ClientHandshake, String) {
        let mut out = Vec::new();
        let hs = ClientHandshake::new(config, NONCE, &[], &mut out);
        (hs, String::from_utf8(out).unwrap())
    }

    fn response(extra: &str) -> String {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n{extra}\r\n"
        )
    }

    #[test]
    fn builds_the_rfc_request() {
        let config = ClientConfig::new("server.example.com", "/chat")
            .with_port(8080)
            .with_protocols(["chat", "superchat"])
            .with_origin("http://example.com");
        let (_, req) = handshake(&config);
        assert_eq!(
            req,
            "GET /chat HTTP/1.1\r\nHost: server.example.com:8080\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
             Origin: http://example.com\r\n\r\n"
        );
    }

    #[test]
    fn parses_a_response_fed_byte_by_byte_and_keeps_what_follows() {
        let config = ClientConfig::new("h", "/").with_protocols(["chat"]);
        let (mut hs, _) = handshake(&config);
        let mut input = response("Sec-WebSocket-Protocol: chat\r\n").into_bytes();
        let header_len = input.len();
        input.extend_from_slice(b"\x81\x05Hello");
        for end in 0..header_len {
            assert_eq!(hs.parse_response(&input[..end]), Ok(None));
        }
        let (res, used) = hs.parse_response(&input).unwrap().unwrap();
        assert_eq!(used, header_len);
        assert_eq!(res.protocol.as_deref(), Some("chat"));
    }

    #[test]
    fn fails_at_once_on_what_cannot_be_http() {
        let (mut hs, _) = handshake(&ClientConfig::new("h", "/"));
        // A TLS alert record.
        assert!(matches!(hs.parse_response(b"\x15\x03\x03\x00\x02"), Err(HandshakeError::Http(_))));
    }

    #[test]
    fn is_case_insensitive_about_tokens() {
        let (mut hs, _) = handshake(&ClientConfig::new("h", "/"));
        let res = "HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\nCONNECTION: keep-alive, UPGRADE\r\n\
                   sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        assert!(hs.parse_response(res.as_bytes()).unwrap().is_some());
    }

    #[test]
    fn reports_what_was_wrong() {
        let cases: Vec<(ClientConfig, String, HandshakeError)> = vec![
            (
                ClientConfig::new("h", "/"),
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".into(),
                HandshakeError::Status {
                    status: 404,
                    reason: "Not Found".into(),
                    headers: vec![("Content-Length".into(), b"0".to_vec())],
                },
            ),
            (
                ClientConfig::new("h", "/"),
                response("").replace("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "wrong"),
                HandshakeError::AcceptMismatch,
            ),
            (
                ClientConfig::new("h", "/"),
                response("").replace("Upgrade: websocket\r\n", ""),
                HandshakeError::MissingHeader("Upgrade: websocket"),
            ),
            (
                ClientConfig::new("h", "/").with_protocols(["a"]),
                response("Sec-WebSocket-Protocol: b\r\n"),
                HandshakeError::ProtocolNotOffered("b".into()),
            ),
            (
                ClientConfig::new("h", "/").with_protocols(["a"]),
                response(""),
                HandshakeError::ProtocolNotOffered(String::new()),
            ),
            (
                ClientConfig::new("h", "/"),
                response("Sec-WebSocket-Protocol: a\r\n"),
                HandshakeError::ProtocolNotOffered("a".into()),
            ),
            (
                ClientConfig::new("h", "/"),
                response("Sec-WebSocket-Extensions: permessage-deflate\r\n"),
                HandshakeError::ExtensionNotOffered("permessage-deflate".into()),
            ),
        ];
        for (config, res, expected) in cases {
            let (mut hs, _) = handshake(&config);
            assert_eq!(hs.parse_response(res.as_bytes()), Err(expected), "{res}");
        }
    }

    #[test]
    fn limits_the_header_section() {
        let mut config = ClientConfig::new("h", "/");
        config.config.max_header_bytes = 100;
        config.config.max_headers = 2;
        let (mut hs, _) = handshake(&config);
        let mut long = b"HTTP/1.1 101 Switching Protocols\r\nX-Long: ".to_vec();
        long.resize(200, b'a');
        assert_eq!(hs.parse_response(&long), Err(HandshakeError::HeadersTooLarge { limit: 100 }));
        // Garbage fails as what it is, before the size counts.
        let (mut hs, _) = handshake(&config);
        assert!(matches!(hs.parse_response(&[b'a'; 200]), Err(HandshakeError::Http(_))));
        let (mut hs, _) = handshake(&config);
        assert_eq!(
            hs.parse_response(b"HTTP/1.1 101 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"),
            Err(HandshakeError::TooManyHeaders { limit: 2 })
        );
    }
}
