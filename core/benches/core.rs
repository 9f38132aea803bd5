//! Core throughput: decode + unmask + UTF-8 validation of large messages, the frame rate of
//! small messages, and masking against a plain memcpy of the same buffer.
//!
//! Run with `cargo bench -p wsstream-core --bench core`.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wsstream_core::Role;
use wsstream_core::frame::{Decoder, FramePayload, OpCode, OutQueue};
use wsstream_core::mask::apply_mask;

/// `count` masked text frames of `size` bytes each, as a client sends them.
fn masked_frames(size: usize, count: usize) -> Vec<u8> {
    let text: Vec<u8> = "wsstream ✓ κόσμε ".bytes().cycle().take(size).collect();
    // Keep the payload valid UTF-8 by trimming to a character boundary.
    let text = match std::str::from_utf8(&text) {
        Ok(_) => text,
        Err(e) => {
            let mut t = text[..e.valid_up_to()].to_vec();
            t.resize(size, b'.');
            t
        }
    };
    let mut q = OutQueue::new();
    for i in 0..count {
        let key = (i as u32).wrapping_mul(0x9e37_79b9).to_ne_bytes();
        q.push_frame(true, 0, OpCode::Text, FramePayload::Borrowed(&text), Some(key));
    }
    let mut out = Vec::with_capacity(q.len());
    while let Some(c) = q.pop() {
        out.extend_from_slice(&c);
    }
    out
}

fn decode_all(wire: &[u8], expected: usize) {
    let mut decoder = Decoder::new(Role::Server, 64 << 20, 64 << 20);
    let mut input = BytesMut::from(wire);
    let mut n = 0;
    while let Some(m) = decoder.decode(&mut input).unwrap() {
        black_box(m);
        n += 1;
    }
    assert_eq!(n, expected);
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (size, count) in [(16usize, 10_000usize), (1024, 2_000), (1 << 20, 8)] {
        let wire = masked_frames(size, count);
        group.throughput(Throughput::Bytes((size * count) as u64));
        group.bench_with_input(BenchmarkId::new("masked_text", size), &wire, |b, wire| {
            b.iter(|| decode_all(wire, count))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("frame_rate");
    let wire = masked_frames(16, 10_000);
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("decode_16B", |b| b.iter(|| decode_all(&wire, 10_000)));
    group.finish();
}

fn mask(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask");
    for size in [1024usize, 64 << 10, 1 << 20] {
        let src = vec![0x5au8; size];
        let mut buf = src.clone();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("apply_mask", size), |b| {
            b.iter(|| apply_mask(black_box(&mut buf), [1, 2, 3, 4], 0))
        });
        group.bench_function(BenchmarkId::new("memcpy", size), |b| {
            b.iter(|| buf.copy_from_slice(black_box(&src)))
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    // A client's frames: the payload copied and masked into the outgoing queue.
    for size in [1usize << 10, 64 << 10, 1 << 20] {
        let payload = vec![b'a'; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("client_masked", size), |b| {
            let mut q = OutQueue::new();
            b.iter(|| {
                q.push_frame(
                    true,
                    0,
                    OpCode::Binary,
                    FramePayload::Borrowed(&payload),
                    Some([1, 2, 3, 4]),
                );
                let n = q.len();
                q.advance(n);
            })
        });
    }
    let payload = vec![b'a'; 16];
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("server_16B", |b| {
        let mut q = OutQueue::new();
        b.iter(|| {
            for _ in 0..10_000 {
                q.push_frame(true, 0, OpCode::Text, FramePayload::Borrowed(&payload), None);
            }
            let n = q.len();
            q.advance(n);
        })
    });
    group.finish();
}

/// Reading a received text message: `as_str` against the validation it used to repeat.
fn text(c: &mut Criterion) {
    let mut group = c.benchmark_group("text");
    for size in [1usize << 10, 1 << 20] {
        let text: String = "héllo wörld ".chars().cycle().take(size).collect();
        let message = wsstream_core::Utf8Bytes::from(text);
        group.throughput(Throughput::Bytes(message.len() as u64));
        group.bench_function(BenchmarkId::new("as_str", size), |b| {
            b.iter(|| black_box(&message).as_str().len())
        });
        group.bench_function(BenchmarkId::new("str_from_utf8", size), |b| {
            b.iter(|| std::str::from_utf8(black_box(&message).as_bytes()).map(str::len))
        });
    }
    group.finish();
}

criterion_group!(benches, decode, mask, encode, text);
criterion_main!(benches);
