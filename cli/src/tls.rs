//! TLS for the command: PEM files, a client that trusts given CA certificates (`--ca`), a
//! client that trusts anything (`--insecure`, for tests only), and the server's certificate
//! (`serve --cert --key`). Everything is rustls on the ring provider, as in the driver.

use std::path::Path;
use std::sync::Arc;

use futures_rustls::TlsAcceptor;
use wsstream_tokio::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use wsstream_tokio::rustls::crypto::{self, CryptoProvider, WebPkiSupportedAlgorithms};
use wsstream_tokio::rustls::pki_types::pem::PemObject;
use wsstream_tokio::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use wsstream_tokio::rustls::{
    self, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme,
};

use crate::exit::{Failure, Status};

/// A failure to set TLS up: exit status 1.
fn failed(message: String) -> Failure {
    Failure::new(Status::Connect, message)
}

/// The ring provider, as the driver uses.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(crypto::ring::default_provider())
}

/// The certificates of a PEM file.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| failed(format!("cannot read certificates from {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(failed(format!("no certificate in {}", path.display())));
    }
    Ok(certs)
}

/// A client configuration trusting only the CA certificates of the PEM file `path`.
pub(crate) fn client_config_with_ca(path: &Path) -> Result<Arc<ClientConfig>, Failure> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(path)? {
        roots.add(cert).map_err(|e| {
            failed(format!("cannot trust a certificate of {}: {e}", path.display()))
        })?;
    }
    wsstream_tokio::tls_client_config(roots).map_err(|e| failed(format!("TLS setup: {e}")))
}

/// A client configuration that accepts any server certificate, for any name. For tests only.
pub(crate) fn insecure_client_config() -> Result<Arc<ClientConfig>, Failure> {
    let provider = provider();
    let verifier = Arc::new(AcceptAnyCertificate(provider.signature_verification_algorithms));
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A TLS acceptor serving the certificate chain of the PEM file `cert` with the private key of
/// the PEM file `key`.
pub(crate) fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, Failure> {
    let chain = certificates(cert)?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| failed(format!("cannot read a private key from {}: {e}", key.display())))?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(format!("TLS setup: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| failed(format!("the certificate and key do not fit: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// `--insecure`: a certificate verifier that accepts every certificate, whoever issued it and
/// whatever name it is for. FOR TESTS ONLY: it defeats the point of TLS against an active
/// attacker. Handshake signatures are still checked, so the peer holds the certificate's key.
#[derive(Debug)]
struct AcceptAnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
