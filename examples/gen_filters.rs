//! Prints random filters from the crate's generator, one JSON string per line.
//!
//! `cargo run --example gen_filters -- --seed 7 --count 500 --now 2023-06-01T00:00:00Z
//! [--scope events] [--sample events.ndjson]`: values are drawn from the sample events (NDJSON),
//! so that terms match some of them. The same arguments print the same filters.

use std::io::{BufRead, BufReader, Write};

use fimql::catalog::{Catalog, Scope};
use fimql::date::FilterDate;
use fimql::testing::filtergen::{FilterGen, Samples};

fn main() {
    let mut seed = 1u64;
    let mut count = 10usize;
    let mut scope = Scope::Events;
    let mut now = chrono::Utc::now();
    let mut sample: Option<String> = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().map(String::as_str).unwrap_or_default();
        match a.as_str() {
            "--seed" => seed = v.parse().expect("--seed N"),
            "--count" => count = v.parse().expect("--count N"),
            "--scope" => {
                scope = match v {
                    "incidents" => Scope::Incidents,
                    _ => Scope::Events,
                }
            }
            "--now" => {
                now = FilterDate::parse(v)
                    .ok()
                    .and_then(|d| d.fixed())
                    .expect("--now TIMESTAMP")
            }
            "--sample" => sample = Some(v.to_string()),
            _ => panic!("unknown argument {a}"),
        }
    }
    let catalog = Catalog::builtin();
    let events: Vec<serde_json::Value> = match sample {
        Some(path) => {
            let f = std::fs::File::open(&path).expect("the sample file");
            BufReader::new(f)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| serde_json::from_str(&l).ok())
                .collect()
        }
        None => Vec::new(),
    };
    let samples = Samples::from_events(&catalog, scope, &events);
    let mut generator = FilterGen::new(seed, &catalog, scope, &samples, now);
    let mut out = std::io::stdout().lock();
    for _ in 0..count {
        let f = generator.next_filter();
        let line = serde_json::to_string(&f).expect("a string");
        writeln!(out, "{line}").expect("stdout");
    }
}
