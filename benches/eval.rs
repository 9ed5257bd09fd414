//! Evaluation benches over named filters (F1–F4 of the benchmark kit; the compile stages and
//! `Filter::matches` also over S1–S4, the seed documents' filters), split by stage: validate and compile, `Filter::matches` on a parsed
//! `Value`, the byte-level fast path, end to end in memory (reading, splitting and filtering, in
//! bytes and in events per second), and the ceiling it is measured against: deserializing only
//! the fields each filter reads into a plain serde struct (what a hand-written Rust program would
//! do), with no filtering at all.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fimql::stream::RecordReader;
use fimql::{Options, Scope, compile};
use serde::Deserialize;

mod common;
use common::{FILTERS, all_filters, lines, sample};

const EVENTS: usize = 2_000;

fn compile_stages(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    for (name, src) in all_filters() {
        g.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| fimql::parse(black_box(src)).unwrap())
        });
        let q = fimql::parse(src).unwrap();
        let vopts = fimql::Options::default();
        g.bench_function(format!("validate/{name}"), |b| {
            b.iter(|| fimql::validate_query(black_box(&q), &vopts))
        });
        let copts = Options::new(Scope::Events).now(chrono::Utc::now());
        g.bench_function(format!("compile/{name}"), |b| {
            b.iter(|| fimql::compile_query(black_box(&q), &copts).unwrap())
        });
        g.bench_function(format!("parse+validate+compile/{name}"), |b| {
            b.iter(|| {
                let q = fimql::parse(black_box(src)).unwrap();
                fimql::compile_query(&q, &copts).unwrap()
            })
        });
    }
    g.finish();
}

fn matches_value(c: &mut Criterion) {
    // A handful of events, so that the measure is the evaluation, not cache misses in 5 MB of trees.
    let data = sample(16);
    let events: Vec<serde_json::Value> = lines(&data)
        .iter()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let mut g = c.benchmark_group("matches_value");
    g.throughput(Throughput::Elements(1));
    for (name, src) in all_filters() {
        let f = compile(src, &Options::new(Scope::Events)).unwrap();
        let mut i = 0;
        g.bench_function(*name, |b| {
            b.iter(|| {
                i = (i + 1) % events.len();
                f.matches(black_box(&events[i]))
            })
        });
    }
    g.finish();
}

fn matches_bytes(c: &mut Criterion) {
    let data = sample(EVENTS);
    let recs = lines(&data);
    let mut g = c.benchmark_group("matches_json");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);
    for (name, src) in FILTERS {
        let f = compile(src, &Options::new(Scope::Events)).unwrap();
        let mut m = f.matcher();
        g.bench_function(*name, |b| {
            b.iter(|| {
                recs.iter()
                    .filter(|r| m.matches_json(black_box(r)).unwrap())
                    .count()
            })
        });
    }
    g.bench_function("value_then_matches/F1", |b| {
        let f = compile(FILTERS[0].1, &Options::new(Scope::Events)).unwrap();
        b.iter(|| {
            recs.iter()
                .filter(|r| f.matches(&serde_json::from_slice::<serde_json::Value>(r).unwrap()))
                .count()
        })
    });
    g.finish();
}

// The ceiling: only the needed fields, into structs, no filtering. The fields are read by serde
// only, hence `dead_code`.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Envelope<T> {
    data: T,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct F1 {
    action: Option<String>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Attr {
    hidden: Option<String>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
#[allow(non_snake_case)]
struct F2 {
    dateTime: Option<String>,
    action: Option<String>,
    fileAttribute: Option<Attr>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Named {
    name: Option<String>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Actor {
    process: Option<String>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct F3 {
    asset: Option<Named>,
    actor: Option<Actor>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Profile {
    rules: Option<Vec<Named>>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Asset4 {
    tags: Option<Vec<serde_json::Value>>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
#[allow(non_snake_case)]
struct Actor4 {
    userName: Option<String>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
#[allow(non_snake_case)]
struct F4 {
    severity: Option<serde_json::Value>,
    platform: Option<String>,
    profiles: Option<Vec<Profile>>,
    asset: Option<Asset4>,
    fullPath: Option<String>,
    action: Option<String>,
    r#type: Option<String>,
    actor: Option<Actor4>,
}

fn ceiling(c: &mut Criterion) {
    let data = sample(EVENTS);
    let recs = lines(&data);
    let mut g = c.benchmark_group("ceiling");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);
    fn run<T: for<'de> Deserialize<'de>>(recs: &[&[u8]]) -> usize {
        recs.iter()
            .map(|r| serde_json::from_slice::<Envelope<T>>(r).is_ok() as usize)
            .sum()
    }
    g.bench_function("needed_fields/F1", |b| b.iter(|| run::<F1>(&recs)));
    g.bench_function("needed_fields/F2", |b| b.iter(|| run::<F2>(&recs)));
    g.bench_function("needed_fields/F3", |b| b.iter(|| run::<F3>(&recs)));
    g.bench_function("needed_fields/F4", |b| b.iter(|| run::<F4>(&recs)));
    g.bench_function("ignored_any", |b| {
        b.iter(|| {
            recs.iter()
                .filter(|r| serde_json::from_slice::<serde::de::IgnoredAny>(r).is_ok())
                .count()
        })
    });
    g.bench_function("value", |b| {
        b.iter(|| {
            recs.iter()
                .filter(|r| serde_json::from_slice::<serde_json::Value>(r).is_ok())
                .count()
        })
    });
    g.finish();
}

/// End to end in memory: the sample is read, split into records and filtered, as `fimql filter
/// --jobs 1` does (without the file system and the output). Reported in bytes and in events.
fn end_to_end(c: &mut Criterion) {
    let data = sample(EVENTS);
    let events = lines(&data).len() as u64;
    for (group, throughput) in [
        ("end_to_end_bytes", Throughput::Bytes(data.len() as u64)),
        ("end_to_end_events", Throughput::Elements(events)),
    ] {
        let mut g = c.benchmark_group(group);
        g.throughput(throughput);
        g.sample_size(20);
        for (name, src) in FILTERS {
            let f = compile(src, &Options::new(Scope::Events)).unwrap();
            let mut m = f.matcher();
            g.bench_function(*name, |b| {
                b.iter(|| {
                    let mut reader = RecordReader::new(std::io::Cursor::new(black_box(&data[..])));
                    let mut hits = 0usize;
                    while let Some(batch) = reader.next_batch().unwrap() {
                        for item in &batch.items {
                            if let Some(r) = batch.record(item) {
                                hits += usize::from(m.matches_json(r).unwrap());
                            }
                        }
                        reader.recycle(batch.bytes);
                    }
                    hits
                })
            });
        }
        g.finish();
    }
}

criterion_group!(
    benches,
    compile_stages,
    matches_value,
    matches_bytes,
    end_to_end,
    ceiling
);
criterion_main!(benches);
