//! Interop with real peers: Python `websockets` and Node `ws`, installed by `scripts/peers.sh`
//! into `.peers/` and run as child processes from the scripts in `tests/peers/`. Mounted once per
//! runtime, as `semantics`.
//!
//! A missing peer fails the tests, with a message saying to run `scripts/peers.sh`.

mod deflate;
mod peer;
mod python;
mod tls;
