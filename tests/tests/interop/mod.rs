//! Interop with real peers: Python `websockets` and Node `ws`, installed by `scripts/peers.sh`
//! into `.peers/` and run as child processes from the scripts in `tests/peers/`. Mounted once per
//! runtime, as `semantics` (the whole set takes about 13 s per runtime).
//!
//! - `scenarios`, run by `python` and `node`: our client against the peer's server and the
//!   peer's client against our server: text and binary of 0 B to 16 MiB, subprotocols, close
//!   codes and reasons both ways.
//! - `tls`: wss both ways with Python, on an rcgen certificate, trusted and not.
//! - `deflate`: permessage-deflate with Python in both roles, context takeover and windows.
//!
//! A missing peer fails the tests, with a message saying to run `scripts/peers.sh`. Every test
//! is bounded in time, and a peer process is killed when its guard drops.

mod deflate;
mod node;
mod peer;
mod python;
mod scenarios;
mod tls;
