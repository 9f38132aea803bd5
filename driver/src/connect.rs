//! The client's way to an open transport: DNS and TCP through the runtime, then TLS, raced
//! against the abort signal, `close()`, dropped handles and the connect timeout.

use std::future::poll_fn;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_rustls::TlsConnector;
use futures_rustls::rustls::pki_types::ServerName;
use wsstream_core::ClientConfig;

use crate::abort::AbortSignal;
use crate::driver::{Driver, Settings};
use crate::error::{ErrorKind, WebSocketError};
use crate::options::Options;
use crate::runtime::Runtime;
use crate::shared::{Shared, SharedRef};
use crate::target::Target;
use crate::tls::{MaybeTls, default_config};

/// The core's client configuration for `target` and `options`.
pub(crate) fn client_config(
    target: &Target,
    options: &Options,
) -> Result<ClientConfig, WebSocketError> {
    let mut config = ClientConfig::new(target.host_header.clone(), target.resource.clone())
        .with_protocols(options.protocols.iter().cloned())
        .with_config(options.core_config());
    if let Some(port) = target.explicit_port {
        config = config.with_port(port);
    }
    if let Some(origin) = &options.origin {
        config = config.with_origin(origin.clone());
    }
    for (name, value) in &options.headers {
        config = config.with_header(name.clone(), value.clone());
    }
    #[cfg(feature = "deflate")]
    {
        config.deflate = options.deflate;
    }
    config.validate().map_err(|e| WebSocketError::new(ErrorKind::Syntax, e.to_string()))?;
    Ok(config)
}

/// Whether the connection, still opening, must be abandoned: an abort, a `close()`, or no
/// handle left. Registers `cx` to hear of them otherwise.
pub(crate) fn opening_cancelled(
    s: &mut Shared,
    signal: Option<&AbortSignal>,
    cx: &Context<'_>,
) -> Option<WebSocketError> {
    s.register_driver(cx);
    if let Some(reason) = signal.and_then(|sig| sig.poll_aborted(cx)) {
        return Some(reason);
    }
    if s.close_request.take().is_some() {
        // The browser rejects `opened` without a code, and `closed` with 1006.
        s.opened = Some(Err(WebSocketError::new(ErrorKind::Closed, "closed before it opened")));
        return Some(WebSocketError::abnormal(ErrorKind::Closed, "closed before it opened", None));
    }
    if s.handles == 0 {
        return Some(WebSocketError::abnormal(ErrorKind::Closed, "every handle was dropped", None));
    }
    None
}

/// The client's task: connect, then hand the connection to a driver task of its own.
pub(crate) async fn run_client<R: Runtime>(
    runtime: R,
    shared: SharedRef,
    target: Target,
    options: Options,
) {
    let deadline = options.connect_timeout.map(|t| runtime.now() + t);
    let transport = match open_transport(&runtime, &shared, &target, &options, deadline).await {
        Ok(transport) => transport,
        Err(e) => {
            shared.lock().set_closed(Err(e));
            return;
        }
    };
    let settings = Settings::new(&options, deadline);
    // A task is as large as its future's largest state for as long as it runs. This one's is
    // the connecting (TLS included), about 2 KB with the options, while a driver is a few
    // hundred bytes: the driver gets a task sized for it, and this one ends.
    let driver = Driver::new(runtime.clone(), shared, transport, settings);
    runtime.spawn(Box::pin(driver));
}

/// DNS, TCP and TLS, abandoned on cancellation or at the deadline.
async fn open_transport<R: Runtime>(
    runtime: &R,
    shared: &SharedRef,
    target: &Target,
    options: &Options,
    deadline: Option<Instant>,
) -> Result<MaybeTls<R::Tcp>, WebSocketError> {
    let connect = async {
        let (host, port) = (target.connect_host.as_str(), target.port);
        let tcp = runtime.connect(host, port).await.map_err(|e| {
            let message = format!("could not connect to {host} port {port}");
            WebSocketError::abnormal(ErrorKind::Handshake, message, Some(Box::new(e)))
        })?;
        if !target.tls {
            return Ok(MaybeTls::Plain(tcp));
        }
        let tls_failed = |message: &str, e: Box<dyn std::error::Error + Send + Sync>| {
            WebSocketError::abnormal(ErrorKind::Handshake, message, Some(e))
        };
        let config = match &options.tls {
            Some(config) => config.clone(),
            None => default_config().map_err(|e| tls_failed("no TLS configuration", e.into()))?,
        };
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| tls_failed("invalid TLS server name", e.into()))?;
        let tls = TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| tls_failed("the TLS handshake failed", e.into()))?;
        Ok(MaybeTls::Tls(Box::new(tls)))
    };
    let mut connect = pin!(connect);
    let mut timer = deadline.map(|d| runtime.timer(d));
    poll_fn(|cx| {
        if let Some(e) = opening_cancelled(&mut shared.lock(), options.signal.as_ref(), cx) {
            return Poll::Ready(Err(e));
        }
        if let (Some(timer), Some(deadline)) = (&mut timer, deadline) {
            if timer.as_mut().poll(cx).is_ready() || runtime.now() >= deadline {
                let e = WebSocketError::abnormal(ErrorKind::Timeout, "connect timed out", None);
                return Poll::Ready(Err(e));
            }
        }
        connect.as_mut().poll(cx)
    })
    .await
}
