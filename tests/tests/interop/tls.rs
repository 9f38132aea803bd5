//! wss with Python `websockets`, both ways, on a certificate made for the test (rcgen): trusted
//! through a custom root store, and refused when it is not trusted.

use super::peer::{Behaviour, Cert, Peer, Program, SHORT, Server, echo, options, run};
use super::python::PYTHON;
use super::scenarios::connect;
use crate::ws::{CloseInfo, ErrorKind, Opened, WebSocketStream};

/// Starts `py_server.py` over TLS with `cert`; gives it and its URL.
async fn python_tls_server(cert: &Cert) -> (Peer, String) {
    let args = ["echo", "--tls", &cert.cert_pem(), &cert.key_pem()];
    let (peer, port) = Peer::server(Program::Python, "py_server.py", &args).await;
    (peer, format!("wss://localhost:{port}/"))
}

#[test]
fn our_client_over_wss_to_a_python_server() {
    run(SHORT, async {
        let cert = Cert::new();
        let (mut peer, url) = python_tls_server(&cert).await;
        let (wss, Opened { mut readable, mut writable, .. }) =
            connect(&url, cert.trusting(options())).await;
        echo(&mut readable, &mut writable, &["t0", "t125", "b126", "b65536", "u"]).await;
        wss.close(CloseInfo::new(4002, "later")).unwrap();
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4002, "later"));
        assert_eq!(peer.line("CLOSED").await, "4002 later");
    });
}

#[test]
fn an_untrusted_python_server_certificate_fails_our_handshake() {
    run(SHORT, async {
        let cert = Cert::new();
        let (_peer, url) = python_tls_server(&cert).await;
        // The default roots (Mozilla's) do not have the test's certificate.
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let e = wss.opened().await.unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Handshake, Some(1006)), "{e}");
        assert!(e.to_string().contains("TLS"), "{e}");
    });
}

#[test]
fn a_python_client_over_wss_to_our_server() {
    run(SHORT, async {
        let cert = Cert::new();
        let server = Server::start(options(), |_| None, Behaviour::Echo, Some(&cert), None).await;
        let url = format!("wss://localhost:{}/", server.port);
        let mut peer =
            PYTHON.client(&url, &["--cafile", &cert.cert_pem(), "echo:t0,b1,t65535,b65536,u"]);
        assert_eq!(peer.line("OPEN").await, "- -");
        assert_eq!(peer.line("CLOSED").await, "1000 -");
        peer.success().await;
        let served = server.report().await.unwrap();
        let received: Vec<&str> = served.messages.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(received, ["t0", "b1", "t65535", "b65536", "u"]);
        assert_eq!(served.closed.unwrap(), CloseInfo::new(1000, ""));
    });
}

#[test]
fn a_python_client_refuses_our_untrusted_certificate() {
    run(SHORT, async {
        let cert = Cert::new();
        let server = Server::start(options(), |_| None, Behaviour::Echo, Some(&cert), None).await;
        let url = format!("wss://localhost:{}/", server.port);
        // Without --cafile it trusts the system's roots only.
        let mut peer = PYTHON.client(&url, &["wait"]);
        let error = peer.line("ERROR").await;
        assert!(error.contains("CERTIFICATE_VERIFY_FAILED"), "{error}");
        assert!(!peer.exit().await.success());
        let refused = server.report().await.unwrap_err();
        assert!(refused.starts_with("TLS accept"), "{refused}");
    });
}
