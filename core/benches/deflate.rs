//! permessage-deflate backends: compress and decompress throughput of a compressible text payload
//! (JSON-like records) at 16 B, 1 KiB, 64 KiB and 1 MiB, as a message is compressed on the wire:
//! raw deflate, window 15, level 6, sync flush.
//!
//! `zlib-rs` is measured through flate2 (what wsstream-core uses); `miniz_oxide` (flate2's
//! default backend) directly through its stream API, which is what flate2's `rust_backend`
//! calls, since both cannot be flate2's backend in one build. Throughput counts uncompressed
//! bytes.
//!
//! Run with `cargo bench -p wsstream-core --bench deflate`.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use miniz_oxide::deflate::core::{CompressorOxide, create_comp_flags_from_zip_params};
use miniz_oxide::inflate::stream::InflateState;
use miniz_oxide::{DataFormat, MZFlush};

const SIZES: [usize; 4] = [16, 1 << 10, 64 << 10, 1 << 20];
const LEVEL: u32 = 6;

/// JSON-like records with varying numbers: compressible, but not trivially.
fn payload(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 128);
    let mut i = 0u64;
    while out.len() < size {
        let x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
        out.extend_from_slice(
            format!(
                r#"{{"id":{i},"user":"user{}","price":{}.{:02},"tags":["ws","deflate"]}},"#,
                x % 977,
                x % 10_000,
                x % 100
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.truncate(size);
    out
}

fn zlib_rs_compress(c: &mut Compress, input: &[u8], out: &mut Vec<u8>) {
    c.reset();
    out.clear();
    let start = c.total_in();
    loop {
        out.reserve(input.len() / 2 + 64);
        let consumed = (c.total_in() - start) as usize;
        c.compress_vec(&input[consumed..], out, FlushCompress::Sync).unwrap();
        if (c.total_in() - start) as usize == input.len() && out.len() < out.capacity() {
            return;
        }
    }
}

fn zlib_rs_decompress(d: &mut Decompress, input: &[u8], out: &mut Vec<u8>) {
    d.reset(false);
    out.clear();
    loop {
        out.reserve(input.len() * 4 + 64);
        let consumed = d.total_in() as usize;
        d.decompress_vec(&input[consumed..], out, FlushDecompress::Sync).unwrap();
        if d.total_in() as usize == input.len() && out.len() < out.capacity() {
            return;
        }
    }
}

fn miniz_compress(c: &mut CompressorOxide, input: &[u8], out: &mut Vec<u8>) {
    c.reset();
    out.clear();
    let mut consumed = 0;
    loop {
        let len = out.len();
        out.resize(len + input.len() / 2 + 64, 0);
        let r = miniz_oxide::deflate::stream::deflate(
            c,
            &input[consumed..],
            &mut out[len..],
            MZFlush::Sync,
        );
        r.status.unwrap();
        consumed += r.bytes_consumed;
        let room = out.len() - len;
        out.truncate(len + r.bytes_written);
        if consumed == input.len() && r.bytes_written < room {
            return;
        }
    }
}

fn miniz_decompress(d: &mut InflateState, input: &[u8], out: &mut Vec<u8>) {
    d.reset(DataFormat::Raw);
    out.clear();
    let mut consumed = 0;
    loop {
        let len = out.len();
        out.resize(len + input.len() * 4 + 64, 0);
        let r = miniz_oxide::inflate::stream::inflate(
            d,
            &input[consumed..],
            &mut out[len..],
            MZFlush::Sync,
        );
        r.status.unwrap();
        consumed += r.bytes_consumed;
        let room = out.len() - len;
        out.truncate(len + r.bytes_written);
        if consumed == input.len() && r.bytes_written < room {
            return;
        }
    }
}

fn deflate(c: &mut Criterion) {
    let mut group = c.benchmark_group("deflate");
    for size in SIZES {
        let input = payload(size);
        group.throughput(Throughput::Bytes(size as u64));

        let mut z = Compress::new_with_window_bits(Compression::new(LEVEL), false, 15);
        let mut compressed = Vec::new();
        zlib_rs_compress(&mut z, &input, &mut compressed);
        let mut m = CompressorOxide::new(create_comp_flags_from_zip_params(LEVEL as i32, -15, 0));
        let mut m_compressed = Vec::new();
        miniz_compress(&mut m, &input, &mut m_compressed);
        eprintln!(
            "{size} B: zlib-rs -> {} B, miniz_oxide -> {} B",
            compressed.len(),
            m_compressed.len()
        );

        let mut out = Vec::new();
        group.bench_function(BenchmarkId::new("compress/zlib-rs", size), |b| {
            b.iter(|| zlib_rs_compress(&mut z, black_box(&input), &mut out))
        });
        group.bench_function(BenchmarkId::new("compress/miniz_oxide", size), |b| {
            b.iter(|| miniz_compress(&mut m, black_box(&input), &mut out))
        });

        let mut zd = Decompress::new_with_window_bits(false, 15);
        zlib_rs_decompress(&mut zd, &compressed, &mut out);
        assert_eq!(out, input);
        let mut md = InflateState::new_boxed(DataFormat::Raw);
        miniz_decompress(&mut md, &compressed, &mut out);
        assert_eq!(out, input);
        group.bench_function(BenchmarkId::new("decompress/zlib-rs", size), |b| {
            b.iter(|| zlib_rs_decompress(&mut zd, black_box(&compressed), &mut out))
        });
        group.bench_function(BenchmarkId::new("decompress/miniz_oxide", size), |b| {
            b.iter(|| miniz_decompress(&mut md, black_box(&compressed), &mut out))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = deflate
}
criterion_main!(benches);
