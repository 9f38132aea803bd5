//! The constructor's checks: the URL (WHATWG rules, `url` crate) and the subprotocols.

use url::{Host, Url};
use wsstream_core::config::is_token;

use crate::error::{ErrorKind, WebSocketError};

/// Where a client connects, from a checked URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The URL, with `http` and `https` rewritten to `ws` and `wss`.
    pub(crate) url: Url,
    /// The host to resolve: a name or an address without brackets.
    pub(crate) connect_host: String,
    /// The `Host` header's host: IPv6 literals bracketed.
    pub(crate) host_header: String,
    /// The port to connect to.
    pub(crate) port: u16,
    /// The port to write in `Host`, when not the scheme's default.
    pub(crate) explicit_port: Option<u16>,
    /// Path and query, starting with `/`.
    pub(crate) resource: String,
    /// Whether this is `wss:`.
    pub(crate) tls: bool,
}

fn syntax(message: String) -> WebSocketError {
    WebSocketError::new(ErrorKind::Syntax, message)
}

impl Target {
    /// Parses and checks `url` as the WebSocketStream constructor does.
    pub(crate) fn parse(url: &str) -> Result<Self, WebSocketError> {
        // A relative URL has no base to resolve against here: the parser rejects it.
        let mut url = Url::parse(url).map_err(|e| syntax(format!("invalid URL {url:?}: {e}")))?;
        let rewritten = match url.scheme() {
            "http" => Some("ws"),
            "https" => Some("wss"),
            "ws" | "wss" => None,
            other => return Err(syntax(format!("URL scheme {other:?} is not ws or wss"))),
        };
        if let Some(scheme) = rewritten {
            // http and ws are both special schemes, so the change is always allowed.
            url.set_scheme(scheme).map_err(|()| syntax(format!("cannot use {url} as ws")))?;
        }
        if url.fragment().is_some() {
            return Err(syntax(format!("URL {url} has a fragment")));
        }
        let tls = url.scheme() == "wss";
        let (connect_host, host_header) = match url.host() {
            Some(Host::Domain(d)) => (d.to_owned(), d.to_owned()),
            Some(Host::Ipv4(a)) => (a.to_string(), a.to_string()),
            Some(Host::Ipv6(a)) => (a.to_string(), format!("[{a}]")),
            None => return Err(syntax(format!("URL {url} has no host"))),
        };
        let port = url.port_or_known_default().unwrap_or(if tls { 443 } else { 80 });
        let mut resource = url.path().to_owned();
        if let Some(query) = url.query() {
            resource.push('?');
            resource.push_str(query);
        }
        Ok(Self { explicit_port: url.port(), url, connect_host, host_header, port, resource, tls })
    }
}

/// Checks the subprotocols: non-empty tokens, no duplicates (compared case-sensitively).
pub(crate) fn check_protocols(protocols: &[String]) -> Result<(), WebSocketError> {
    for (i, p) in protocols.iter().enumerate() {
        if !is_token(p) {
            return Err(syntax(format!("invalid subprotocol {p:?}")));
        }
        if protocols[..i].contains(p) {
            return Err(syntax(format!("subprotocol {p:?} given twice")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_and_serializes() {
        let t = Target::parse("ws://h").unwrap();
        assert_eq!(t.url.as_str(), "ws://h/");
        let t = Target::parse("https://example.com:8443/a/b?x=1").unwrap();
        assert_eq!(t.url.as_str(), "wss://example.com:8443/a/b?x=1");
        assert_eq!((t.port, t.explicit_port, t.tls), (8443, Some(8443), true));
        assert_eq!(t.resource, "/a/b?x=1");
        let t = Target::parse("http://[::1]:80/").unwrap();
        assert_eq!((t.connect_host.as_str(), t.host_header.as_str()), ("::1", "[::1]"));
        assert_eq!((t.port, t.explicit_port), (80, None));
    }

    #[test]
    fn rejects() {
        for bad in ["", "/relative", "ftp://h/", "ws://h/#", "ws://h/#frag", "file:///x", "ws://"] {
            let e = Target::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Syntax, "{bad}");
        }
        assert!(check_protocols(&["a".into(), "A".into()]).is_ok());
        for bad in [vec!["a".to_owned(), "a".to_owned()], vec![String::new()], vec!["a b".into()]] {
            assert!(check_protocols(&bad).is_err());
        }
    }
}
