//! wss: against our own TLS server with a certificate made for the test.

use std::sync::Arc;

use futures_rustls::TlsAcceptor;
use futures_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use futures_rustls::rustls::{self, RootCertStore, ServerConfig};

use super::util::{listen, options, run};
use crate::ws::{self, CloseInfo, ErrorKind, Message, Opened, WebSocketStream};

/// A TLS echo server for `localhost` on a free port, for one connection; gives its URL and certificate.
async fn tls_echo_server() -> (String, CertificateDer<'static>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let (listener, addr) = listen().await;
    crate::rt::spawn(async move {
        // One connection, so that nothing outlives the test.
        if let Ok((tcp, _)) = listener.accept().await {
            crate::rt::spawn(async move {
                let Ok(tls) = acceptor.accept(crate::rt::raw(tcp)).await else { return };
                let Ok(incoming) = WebSocketStream::accept(tls, options()).await else {
                    return;
                };
                let wss = incoming.accept(None).unwrap();
                let Opened { mut readable, mut writable, .. } = wss.opened().await.unwrap();
                while let Some(Ok(m)) = readable.read().await {
                    let _ = writable.send(m).await;
                }
                let _ = wss.closed().await;
            });
        }
    });
    (format!("wss://localhost:{}/", addr.port()), cert)
}

#[test]
fn wss_against_our_tls_server() {
    run(async {
        let (url, cert) = tls_echo_server().await;
        let mut roots = RootCertStore::empty();
        roots.add(cert).unwrap();
        let tls = ws::tls_client_config(roots).unwrap();
        let wss = WebSocketStream::new(&url, ws::Options { tls: Some(tls), ..options() }).unwrap();
        let Opened { mut readable, mut writable, .. } = wss.opened().await.unwrap();
        writable.send("over tls").await.unwrap();
        assert_eq!(readable.read().await.unwrap().unwrap(), Message::text("over tls"));
        wss.close(CloseInfo::new(1000, "bye")).unwrap();
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(1000, "bye"));
    });
}

#[test]
fn an_untrusted_certificate_fails_the_handshake() {
    run(async {
        let (url, _) = tls_echo_server().await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let e = wss.opened().await.unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Handshake, Some(1006)));
        assert!(e.to_string().contains("TLS"), "{e}");
    });
}
