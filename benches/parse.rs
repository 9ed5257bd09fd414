//! Parser benchmarks: a sweep over filter size (time per byte should stay flat), deep nesting, and
//! the four benchmark filters of the project (F1–F4) and the seed documents' filters (S1–S4).
//!
//! Run with `cargo bench --bench parse`; add `-- --warm-up-time 1 --measurement-time 2` for a
//! quick run.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fimql::Options;

mod common;
use common::all_filters;

/// Terms of every kind, used in turn.
const TERMS: &[&str] = &[
    "action:Create",
    "severity>=4",
    "file.fullPath:'C:\\Windows\\System32'",
    "asset.name:DESKTOP*",
    "dateTime:['2023-03-01T00:00:00.000Z'..'2023-06-30T23:59:59.999Z']",
    "action:[Create, Delete, Rename]",
    "file.attribute.hidden:`Added`",
    "profiles.name:Windows Profile - PCI(NJJ)",
    "platform:(WINDOWS OR LINUX)",
    "file.hash:*",
];

/// A filter of `n` terms: groups of four terms joined by AND (every third one negated), the
/// groups joined by OR.
fn filter_of(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push_str(if i % 4 == 0 { ") OR " } else { " AND " });
        }
        if i % 4 == 0 {
            s.push('(');
        }
        if i % 3 == 2 {
            s.push_str("NOT ");
        }
        s.push_str(TERMS[i % TERMS.len()]);
    }
    s.push(')');
    s
}

fn sweep(c: &mut Criterion) {
    let mut group = c.benchmark_group("terms");
    for n in [10, 100, 1_000, 10_000] {
        let src = filter_of(n);
        assert!(fimql::parse(&src).is_ok(), "{n} terms do not parse");
        group.throughput(Throughput::Bytes(src.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &src, |b, src| {
            b.iter(|| fimql::parse(black_box(src)))
        });
    }
    group.finish();
}

fn nesting(c: &mut Criterion) {
    let depth = 100;
    let cases = [
        (
            "parens",
            format!("{}action:Create{}", "(".repeat(depth), ")".repeat(depth)),
        ),
        ("not", format!("{}action:Create", "NOT ".repeat(depth))),
        ("and_or", {
            // Alternating AND and OR, one level per parenthesis: a tree as deep as the nesting.
            let mut s = String::from("action:Create");
            for i in 0..depth {
                let op = if i % 2 == 0 { "AND" } else { "OR" };
                s = format!("severity:{i} {op} ({s})");
            }
            s
        }),
    ];
    let opts = Options::default();
    let mut group = c.benchmark_group("nesting_100");
    for (name, src) in &cases {
        assert!(
            fimql::parse_with(src, &opts).is_ok(),
            "{name} does not parse"
        );
        group.throughput(Throughput::Bytes(src.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), src, |b, src| {
            b.iter(|| fimql::parse_with(black_box(src), &opts))
        });
    }
    group.finish();
}

fn benchmark_filters(c: &mut Criterion) {
    let mut group = c.benchmark_group("filters");
    for (name, src) in all_filters() {
        assert!(fimql::parse(src).is_ok(), "{name} does not parse");
        group.throughput(Throughput::Bytes(src.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), src, |b, src| {
            b.iter(|| fimql::parse(black_box(src)))
        });
    }
    group.finish();
}

criterion_group!(benches, sweep, nesting, benchmark_filters);
criterion_main!(benches);
