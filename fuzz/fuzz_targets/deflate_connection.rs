//! Arbitrary frames into a server that agreed to permessage-deflate with a small message limit:
//! inflation never panics, never exceeds the limit, and failure is sticky.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsstream_core::{Config, Connection, Event, ServerConfig};

const MAX_MESSAGE_BYTES: usize = 1 << 16;

fuzz_target!(|data: &[u8]| {
    let mut config = Config::default();
    config.max_message_size = MAX_MESSAGE_BYTES;
    let mut server = Connection::server(ServerConfig::new().with_config(config));
    server.receive(
        b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
          Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
    );
    let Some(Event::Request(_)) = server.poll_event() else { panic!("no request") };
    server.accept(None, None).expect("a request is waiting");
    let _ = server.poll_event();
    for piece in data.chunks(61) {
        server.receive(piece);
        while let Some(event) = server.poll_event() {
            if let Event::Message(m) = &event {
                assert!(m.len() <= MAX_MESSAGE_BYTES);
            }
            if let Event::Failed(e) = event {
                assert_eq!(server.error(), Some(&e));
            }
        }
    }
});
