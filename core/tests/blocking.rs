//! The blocking example against the in-process server role over real loopback TCP.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/blocking_client.rs"]
mod example;

#[test]
fn blocking_client_talks_to_the_in_process_server() {
    let (addr, server) = example::spawn_echo_server().unwrap();
    let words: Vec<String> = ["ping", "hello", "κόσμε", ""].map(String::from).to_vec();
    let mut out = Vec::new();
    let summary = example::run_client(&format!("ws://{addr}/chat?x=1"), &words, &mut out).unwrap();
    assert_eq!(summary, "closed cleanly: 1000 \"That's all folks\"");
    let out = String::from_utf8(out).unwrap();
    assert!(out.starts_with("CONNECTED\nSENT: ping\n"), "{out}");
    for w in &words {
        assert!(out.contains(&format!("RECEIVED: {w}\n")), "{out}");
    }
    assert!(out.ends_with("DISCONNECTED: code 1000, message \"That's all folks\"\n"), "{out}");
    server.join().unwrap().unwrap();
}
