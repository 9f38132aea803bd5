//! permessage-deflate: parsing and negotiation (RFC 7692 5 and 7.1), and the codec against the
//! RFC 7692 7.2.3 examples.

use bytes::BytesMut;

use super::*;
use crate::error::{ExtensionError, ProtocolError};
use crate::frame::Inflate;

fn params(
    server_nct: bool,
    client_nct: bool,
    server_bits: Option<u8>,
    client_bits: ClientMaxWindowBits,
) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: server_nct,
        client_no_context_takeover: client_nct,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
    }
}

fn config(
    server_nct: bool,
    client_nct: bool,
    server_bits: Option<u8>,
    client_bits: ClientMaxWindowBits,
) -> DeflateConfig {
    DeflateConfig {
        server_no_context_takeover: server_nct,
        client_no_context_takeover: client_nct,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
        ..DeflateConfig::default()
    }
}

/// Every value of each parameter, for exhaustive tests.
fn all_params() -> Vec<DeflateParams> {
    let server_bits = std::iter::once(None).chain((8..=15).map(Some));
    let client_bits = [ClientMaxWindowBits::Absent, ClientMaxWindowBits::NoValue]
        .into_iter()
        .chain((8..=15).map(ClientMaxWindowBits::Bits));
    let mut out = vec![];
    for s in server_bits {
        for c in client_bits.clone() {
            for (snct, cnct) in [(false, false), (false, true), (true, false), (true, true)] {
                out.push(params(snct, cnct, s, c));
            }
        }
    }
    out
}

fn as_config(p: &DeflateParams) -> DeflateConfig {
    config(
        p.server_no_context_takeover,
        p.client_no_context_takeover,
        p.server_max_window_bits,
        p.client_max_window_bits,
    )
}

// ----- parsing -----

#[test]
fn parses_valid_elements() {
    use ClientMaxWindowBits::*;
    let cases = [
        ("permessage-deflate", params(false, false, None, Absent)),
        ("PerMessage-Deflate", params(false, false, None, Absent)),
        ("permessage-deflate; client_max_window_bits", params(false, false, None, NoValue)),
        (
            "permessage-deflate;server_no_context_takeover;client_no_context_takeover",
            params(true, true, None, Absent),
        ),
        (
            "permessage-deflate ; server_max_window_bits = 8 ;\tclient_max_window_bits=15",
            params(false, false, Some(8), Bits(15)),
        ),
        ("permessage-deflate; client_max_window_bits=\"10\"", params(false, false, None, Bits(10))),
        (
            "permessage-deflate; server_max_window_bits=\"1\\2\"",
            params(false, false, Some(12), Absent),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(DeflateParams::parse(text), Ok(expected), "{text}");
    }
}

#[test]
fn rejects_invalid_elements() {
    use ExtensionError::*;
    let cases = [
        ("", Syntax),
        ("permessage-deflate;", Syntax),
        ("permessage-deflate; ; client_max_window_bits", Syntax),
        ("permessage-deflate; client_max_window_bits=", Syntax),
        ("permessage-deflate; client_max_window_bits=\"10", Syntax),
        ("permessage-deflate; client_max_window_bits=\"1\"0\"", Syntax),
        ("permessage-deflate; client_max_window_bits=\"\"", Syntax),
        ("permessage-deflate; client max_window_bits", Syntax),
        ("permessage-deflate x", Syntax),
        ("x-webkit-deflate-frame", Name),
        ("permessage-deflate; foo", UnknownParameter),
        ("permessage-deflate; Client_Max_Window_Bits", UnknownParameter),
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            DuplicateParameter,
        ),
        (
            "permessage-deflate; client_max_window_bits; client_max_window_bits=9",
            DuplicateParameter,
        ),
        ("permessage-deflate; server_no_context_takeover=1", InvalidValue),
        ("permessage-deflate; client_no_context_takeover=\"\"x", Syntax),
        ("permessage-deflate; server_max_window_bits", InvalidValue),
        ("permessage-deflate; server_max_window_bits=7", InvalidValue),
        ("permessage-deflate; server_max_window_bits=16", InvalidValue),
        ("permessage-deflate; server_max_window_bits=08", InvalidValue),
        ("permessage-deflate; client_max_window_bits=+9", InvalidValue),
        ("permessage-deflate; client_max_window_bits=9999999999999999999999", InvalidValue),
        ("permessage-deflate; client_max_window_bits=\u{e9}", Syntax),
    ];
    for (text, expected) in cases {
        assert_eq!(DeflateParams::parse(text), Err(expected), "{text}");
    }
}

#[test]
fn every_element_formats_and_parses_back() {
    for p in all_params() {
        assert_eq!(DeflateParams::parse(&p.to_string()), Ok(p), "{p}");
    }
}

#[test]
fn parsing_never_panics_on_any_short_input() {
    // Every string of up to three characters from an alphabet of the grammar's troublemakers,
    // appended to a valid prefix.
    let alphabet = ['p', ';', '=', '"', '\\', ' ', ',', '1', '8', '\u{e9}'];
    let mut inputs = vec![String::new()];
    for _ in 0..3 {
        let next: Vec<String> =
            inputs.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
        inputs.extend(next);
    }
    let config = DeflateConfig::default();
    for tail in inputs {
        for prefix in ["", "permessage-deflate", "permessage-deflate; server_max_window_bits="] {
            let text = format!("{prefix}{tail}");
            let _ = DeflateParams::parse(&text);
            let _ = config.accept_offer(&text);
            let _ = config.accept_response(&text);
        }
    }
}

// ----- negotiation -----

#[test]
fn client_offers() {
    use ClientMaxWindowBits::*;
    assert_eq!(DeflateConfig::default().offer(), "permessage-deflate; client_max_window_bits");
    assert_eq!(config(false, false, None, Absent).offer(), "permessage-deflate");
    assert_eq!(
        config(true, true, Some(10), Bits(9)).offer(),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=10; client_max_window_bits=9"
    );
}

#[test]
fn server_answers_offers() {
    use ClientMaxWindowBits::*;
    let default = DeflateConfig::default();
    let strict = config(true, true, Some(10), Bits(9));
    let cases = [
        (default, "permessage-deflate", "permessage-deflate"),
        (default, "permessage-deflate; client_max_window_bits", "permessage-deflate"),
        (
            default,
            "permessage-deflate; client_max_window_bits=12",
            "permessage-deflate; client_max_window_bits=12",
        ),
        (
            default,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=8",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=8",
        ),
        // The server's own demands; client_max_window_bits only if the client offered it.
        (
            strict,
            "permessage-deflate",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10",
        ),
        (
            strict,
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=9",
        ),
        (
            strict,
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=8",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=8",
        ),
        (
            strict,
            "permessage-deflate; server_max_window_bits=9",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9",
        ),
        // Out-of-range configuration values are clamped.
        (
            config(false, false, Some(30), Bits(0)),
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_max_window_bits=15; client_max_window_bits=8",
        ),
    ];
    for (config, offer, response) in cases {
        let agreed = config.accept_offer(offer).unwrap();
        assert_eq!(agreed.to_string(), response, "{offer}");
        assert_eq!(config.negotiate(&[offer]), Some(agreed));
    }
    let _ = Absent;
}

#[test]
fn server_picks_the_first_acceptable_offer() {
    let config = DeflateConfig::default();
    // RFC 7692 5.1: unknown parameters or invalid values make an offer unacceptable.
    let offers = [
        "x-webkit-deflate-frame",
        "permessage-deflate; foo=1",
        "permessage-deflate; server_max_window_bits=20",
        "permessage-deflate; client_max_window_bits=10",
        "permessage-deflate",
    ];
    assert_eq!(
        config.negotiate(&offers).map(|p| p.to_string()).as_deref(),
        Some("permessage-deflate; client_max_window_bits=10")
    );
    assert_eq!(config.negotiate(&offers[..3]), None);
    assert_eq!(config.negotiate::<&str>(&[]), None);
}

#[test]
fn client_checks_responses() {
    use ClientMaxWindowBits::*;
    use ExtensionError::*;
    let default = DeflateConfig::default();
    let none = config(false, false, None, Absent);
    let asks = config(true, true, Some(10), Bits(12));
    let ok = [
        (default, "permessage-deflate", params(false, false, None, Absent)),
        (
            default,
            "permessage-deflate; client_max_window_bits=8",
            params(false, false, None, Bits(8)),
        ),
        (
            none,
            "permessage-deflate; server_max_window_bits=9",
            params(false, false, Some(9), Absent),
        ),
        (none, "permessage-deflate; client_no_context_takeover", params(false, true, None, Absent)),
        // The client keeps to what it asked of itself when the server leaves it out.
        (
            asks,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
            params(true, true, Some(10), Bits(12)),
        ),
        (
            asks,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=8; \
             client_max_window_bits=9",
            params(true, true, Some(8), Bits(9)),
        ),
    ];
    for (config, response, expected) in ok {
        assert_eq!(config.accept_response(response), Ok(expected), "{response}");
    }
    let bad = [
        (default, "permessage-deflate; client_max_window_bits", InvalidValue),
        (default, "permessage-deflate; foo", UnknownParameter),
        (
            default,
            "permessage-deflate; server_max_window_bits=8; server_max_window_bits=8",
            DuplicateParameter,
        ),
        (default, "permessage-deflate; server_max_window_bits=x", InvalidValue),
        (none, "permessage-deflate; client_max_window_bits=10", NotOffered),
        (asks, "permessage-deflate; server_max_window_bits=10", MissingParameter),
        (asks, "permessage-deflate; server_no_context_takeover", MissingParameter),
        (
            asks,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11",
            NotOffered,
        ),
        (
            asks,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; \
             client_max_window_bits=13",
            NotOffered,
        ),
        (default, "other-extension", Name),
    ];
    for (config, response, expected) in bad {
        assert_eq!(config.accept_response(response), Err(expected), "{response}");
    }
}

#[test]
fn every_client_and_server_configuration_agree() {
    let all = all_params();
    for client in &all {
        let client = as_config(client);
        let offer = client.offer();
        for server in &all {
            let server = as_config(server);
            let agreed = server.negotiate(&[&offer]).expect("an acceptable offer");
            assert_eq!(
                client.accept_response(&agreed.to_string()),
                Ok(agreed),
                "{offer} {server:?}"
            );
            // What each end asked of the other holds.
            assert!(agreed.server_no_context_takeover >= client.server_no_context_takeover);
            assert!(agreed.server_no_context_takeover >= server.server_no_context_takeover);
            assert!(agreed.client_no_context_takeover >= server.client_no_context_takeover);
            let server_bits = agreed.server_max_window_bits.unwrap_or(15);
            assert!(server_bits <= client.server_max_window_bits.unwrap_or(15));
            assert!(server_bits <= server.server_max_window_bits.unwrap_or(15));
        }
    }
}

#[test]
fn directions_use_nine_for_an_eight_bit_window() {
    let p = params(true, false, Some(8), ClientMaxWindowBits::Bits(12));
    assert_eq!(p.direction(false), Direction { no_context_takeover: true, window_bits: 9 });
    assert_eq!(p.direction(true), Direction { no_context_takeover: false, window_bits: 12 });
    let p = DeflateParams::default();
    assert_eq!(p.direction(true), Direction { no_context_takeover: false, window_bits: 15 });
}

#[test]
fn validates_window_sizes() {
    assert!(DeflateConfig::default().validate().is_ok());
    assert!(config(false, false, Some(7), ClientMaxWindowBits::Absent).validate().is_err());
    assert!(config(false, false, None, ClientMaxWindowBits::Bits(16)).validate().is_err());
}

// ----- the codec -----

const TAKEOVER: Direction = Direction { no_context_takeover: false, window_bits: 15 };
const NO_TAKEOVER: Direction = Direction { no_context_takeover: true, window_bits: 15 };

fn inflate(
    inflater: &mut Inflater,
    frames: &[&[u8]],
    max_len: usize,
) -> Result<Vec<u8>, ProtocolError> {
    let mut out = BytesMut::new();
    for (i, frame) in frames.iter().enumerate() {
        inflater.inflate(frame, i + 1 == frames.len(), &mut out, max_len)?;
    }
    Ok(out.to_vec())
}

#[test]
fn rfc7692_section_7_2_3_examples() {
    let mut d = Deflater::new(TAKEOVER, DEFAULT_LEVEL, 0);
    let mut i = Inflater::new(TAKEOVER);
    // 7.2.3.1: "Hello" in one compressed frame, and in two fragments.
    let hello: &[u8] = b"\xf2\x48\xcd\xc9\xc9\x07\x00";
    assert_eq!(d.compress(b"Hello").as_deref(), Some(hello));
    assert_eq!(inflate(&mut i, &[hello], 100).unwrap(), b"Hello");
    // 7.2.3.2: the second "Hello" refers to the first through the shared window.
    let again: &[u8] = b"\xf2\x00\x11\x00\x00";
    assert_eq!(d.compress(b"Hello").as_deref(), Some(again));
    assert_eq!(inflate(&mut i, &[again], 100).unwrap(), b"Hello");

    let mut i = Inflater::new(NO_TAKEOVER);
    assert_eq!(inflate(&mut i, &[b"\xf2\x48\xcd", b"\xc9\xc9\x07\x00"], 100).unwrap(), b"Hello");
    // 7.2.3.3: a block with no compression.
    assert_eq!(inflate(&mut i, &[b"\x00\x05\x00\xfa\xffHello\x00"], 100).unwrap(), b"Hello");
    // 7.2.3.4: a block with BFINAL set, followed by one octet; the next message starts afresh.
    assert_eq!(inflate(&mut i, &[b"\xf3\x48\xcd\xc9\xc9\x07\x00\x00"], 100).unwrap(), b"Hello");
    assert_eq!(inflate(&mut i, &[b"\xf3\x48\xcd\xc9\xc9\x07\x00"], 100).unwrap(), b"Hello");
    // 7.2.3.5: two DEFLATE blocks in one message.
    let two = b"\xf2\x48\x05\x00\x00\x00\xff\xff\xca\xc9\xc9\x07\x00";
    assert_eq!(inflate(&mut i, &[two], 100).unwrap(), b"Hello");
    // 7.2.3.6: an empty message, with and without the empty block.
    assert_eq!(inflate(&mut i, &[b"\x00"], 100).unwrap(), b"");
    assert_eq!(inflate(&mut i, &[b""], 100).unwrap(), b"");
    assert_eq!(Deflater::new(NO_TAKEOVER, 6, 0).compress(b"").as_deref(), Some(&b"\x00"[..]));
}

#[test]
fn context_takeover_needs_the_previous_message() {
    let mut i = Inflater::new(NO_TAKEOVER);
    assert!(inflate(&mut i, &[b"\xf2\x48\xcd\xc9\xc9\x07\x00"], 100).is_ok());
    assert_eq!(
        inflate(&mut i, &[b"\xf2\x00\x11\x00\x00"], 100),
        Err(ProtocolError::InvalidCompressedData)
    );
}

#[test]
fn round_trips_with_every_window_and_level() {
    let text: Vec<u8> =
        (0..40_000u32).flat_map(|i| format!("{},", i % 1000 * 7).into_bytes()).collect();
    for bits in 9..=15 {
        for takeover in [false, true] {
            let dir = Direction { no_context_takeover: !takeover, window_bits: bits };
            let mut d = Deflater::new(dir, (bits - 9) * 2, 0);
            let mut i = Inflater::new(dir);
            for piece in [&text[..], b"", b"x", &text[..1000], &text[..]] {
                let c = d.compress(piece).unwrap();
                assert_eq!(inflate(&mut i, &[&c], usize::MAX).unwrap(), piece, "{bits}");
            }
        }
    }
}

#[test]
fn nine_bit_windows_round_trip_and_decode_independently() {
    // An agreed 8-bit window compresses with 9: zlib-rs keeps zlib's bound on distances
    // (`max_dist() = w_size - MIN_LOOKAHEAD`, 250 bytes for 9 bits), under 256.
    let dir = Direction { no_context_takeover: false, window_bits: 9 };
    let mut d = Deflater::new(dir, 9, 0);
    let text: Vec<u8> = (0..20_000u32).map(|i| b"abcdefghij"[(i * i % 7) as usize]).collect();
    let c = d.compress(&text).unwrap();
    assert_eq!(inflate(&mut Inflater::new(dir), &[&c], usize::MAX).unwrap(), text);
    // Append the tail and a final empty block to make a complete stream for miniz_oxide.
    let mut with_tail = c.to_vec();
    with_tail.extend_from_slice(&TAIL_BYTES);
    with_tail.extend_from_slice(b"\x03\x00");
    assert_eq!(miniz_oxide::inflate::decompress_to_vec(&with_tail).unwrap_or_default(), text);
}

const TAIL_BYTES: [u8; 4] = [0, 0, 0xff, 0xff];

#[test]
fn threshold_leaves_small_messages_uncompressed() {
    let mut d = Deflater::new(TAKEOVER, 6, 10);
    assert_eq!(d.compress(b"short"), None);
    assert!(d.compress(b"long enough to compress").is_some());
}

#[test]
fn a_bomb_fails_within_the_limit() {
    // 16 MiB of zeros compress to about 16 KiB.
    let mut d = Deflater::new(NO_TAKEOVER, 9, 0);
    let bomb = d.compress(&vec![0u8; 16 << 20]).unwrap();
    assert!(bomb.len() < 32 << 10, "{}", bomb.len());
    let mut i = Inflater::new(NO_TAKEOVER);
    let mut out = BytesMut::new();
    let max = 1 << 20;
    assert_eq!(i.inflate(&bomb, true, &mut out, max), Err(ProtocolError::MessageTooLarge));
    assert!(out.capacity() <= 2 * (max + MAX_INFLATE_STEP), "{}", out.capacity());
    // Exactly at the limit is fine.
    let exact = d.compress(&vec![0u8; max]).unwrap();
    let mut i = Inflater::new(NO_TAKEOVER);
    assert_eq!(inflate(&mut i, &[&exact], max).map(|v| v.len()), Ok(max));
    assert_eq!(inflate(&mut i, &[&exact], max - 1), Err(ProtocolError::MessageTooLarge));
}

const MAX_INFLATE_STEP: usize = 1 << 20;

#[test]
fn garbage_fails_with_invalid_data() {
    let mut i = Inflater::new(TAKEOVER);
    // BTYPE 11 is reserved.
    assert_eq!(inflate(&mut i, &[b"\xff\xff\xff"], 100), Err(ProtocolError::InvalidCompressedData));
    let mut i = Inflater::new(TAKEOVER);
    // A stored block whose length and complement disagree.
    assert_eq!(
        inflate(&mut i, &[b"\x00\x05\x00\x00\x00Hello"], 100),
        Err(ProtocolError::InvalidCompressedData)
    );
}
