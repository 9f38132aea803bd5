//! [`AbortController`] and [`AbortSignal`], as in the DOM: abort a connection while it opens.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Waker};

use crate::error::WebSocketError;

#[derive(Default)]
struct State {
    reason: Option<WebSocketError>,
    wakers: Vec<Waker>,
}

/// Aborts the operations its [`signal`](Self::signal) was given to.
///
/// # Examples
/// ```
/// use wsstream_driver::{AbortController, ErrorKind};
///
/// let controller = AbortController::new();
/// let signal = controller.signal();
/// assert!(!signal.is_aborted());
/// controller.abort();
/// assert_eq!(signal.reason().map(|e| e.kind()), Some(ErrorKind::Abort));
/// ```
#[derive(Clone, Default)]
pub struct AbortController {
    signal: AbortSignal,
}

impl AbortController {
    /// A controller whose signal is not aborted.
    pub fn new() -> Self {
        Self::default()
    }

    /// The signal to pass to [`Options::signal`](crate::Options::signal).
    pub fn signal(&self) -> AbortSignal {
        self.signal.clone()
    }

    /// Aborts with the default reason, an [`ErrorKind::Abort`](crate::ErrorKind::Abort) error.
    /// Does nothing if already aborted.
    pub fn abort(&self) {
        self.abort_with(WebSocketError::aborted());
    }

    /// Aborts with `reason`: a connection still opening fails with this very error.
    /// Does nothing if already aborted.
    pub fn abort_with(&self, reason: WebSocketError) {
        let wakers = {
            let mut state = self.signal.lock();
            if state.reason.is_some() {
                return;
            }
            state.reason = Some(reason);
            std::mem::take(&mut state.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl fmt::Debug for AbortController {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortController").field("signal", &self.signal).finish()
    }
}

/// Tells whether, and why, its [`AbortController`] aborted. Cheap to clone.
#[derive(Clone, Default)]
pub struct AbortSignal(Arc<Mutex<State>>);

impl AbortSignal {
    /// A signal that is already aborted with the default reason (the DOM's `AbortSignal.abort()`).
    pub fn aborted() -> Self {
        let controller = AbortController::new();
        controller.abort();
        controller.signal
    }

    /// Whether the controller aborted.
    pub fn is_aborted(&self) -> bool {
        self.lock().reason.is_some()
    }

    /// The abort reason, once aborted.
    pub fn reason(&self) -> Option<WebSocketError> {
        self.lock().reason.clone()
    }

    /// The abort reason if aborted; otherwise `cx` is woken when it is.
    pub(crate) fn poll_aborted(&self, cx: &Context<'_>) -> Option<WebSocketError> {
        let mut state = self.lock();
        if let Some(reason) = &state.reason {
            return Some(reason.clone());
        }
        if !state.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            state.wakers.push(cx.waker().clone());
        }
        None
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave `State` inconsistent: recover it.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for AbortSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortSignal").field("reason", &self.lock().reason).finish()
    }
}
