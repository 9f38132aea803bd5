//! What the connection reports to its caller, and what it asks the caller to send.

use bytes::Bytes;

use crate::error::Error;
use crate::handshake::Request;
use crate::message::{CloseFrame, Message};

/// Something that happened on the connection, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Server only: a valid opening handshake request arrived. Answer it with
    /// [`Connection::accept`](crate::Connection::accept) or
    /// [`Connection::reject`](crate::Connection::reject).
    Request(Box<Request>),
    /// The handshake completed: messages may flow.
    Opened {
        /// The subprotocol agreed on, if any.
        protocol: Option<String>,
        /// The extensions agreed on, as the server wrote them, if any.
        extensions: Option<String>,
    },
    /// A complete text or binary message.
    Message(Message),
    /// A Ping arrived (it has been answered already when [`Config::auto_pong`] is set).
    ///
    /// [`Config::auto_pong`]: crate::Config::auto_pong
    Ping(Bytes),
    /// A Pong arrived.
    Pong(Bytes),
    /// The peer sent a Close frame (an empty one is reported as code 1005). No more input will
    /// be processed. Unless we had sent a Close already, or [`Config::auto_close_reply`] answered
    /// it, the caller MUST answer with [`Connection::reply_close`](crate::Connection::reply_close)
    /// or [`Connection::close`](crate::Connection::close).
    ///
    /// [`Config::auto_close_reply`]: crate::Config::auto_close_reply
    CloseReceived(CloseFrame),
    /// The connection failed: the handshake failed, the peer broke the protocol, or the
    /// transport ended without a closing handshake. A Close frame (or an HTTP refusal) has been
    /// queued where one is due; send it, then close the transport.
    Failed(Error),
}

/// What the caller should do with the transport next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Write these bytes.
    Data(Bytes),
    /// Everything has been written: close the transport for writing (TCP FIN) now. Given once.
    Shutdown,
}
