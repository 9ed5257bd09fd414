//! Calls `Matcher::matches_json` on the first records of an NDJSON file, for instruction counts
//! of the fast path alone (see BENCHMARKS.md):
//!
//! ```sh
//! cargo build --release --example matches_json
//! F=F4 N=2000 valgrind --tool=cachegrind --cache-sim=no \
//!     target/release/examples/matches_json target/bench-data/events-200000-42.ndjson
//! ```
//!
//! `F` picks the benchmark filter (F1..F4, default F1), `N` the number of records (default
//! 2,000) and `R` the number of passes over them (default 1). The count with `R=2` less the count
//! with `R=1` is one pass of the fast path, without the harness's own cost (reading the file,
//! splitting it into lines).
//!
//! `MODE=validate` measures the ceiling instead: each record is only indexed and checked by the
//! scanner, with no filter evaluated; `MODE=serde` checks it with serde_json
//! (`serde::de::IgnoredAny`) for comparison. Both count the records accepted.

// An example prints its result.
#![allow(clippy::print_stdout)]

use fimql::{Options, Scope, compile};

const FILTERS: [(&str, &str); 4] = [
    ("F1", "action:Create"),
    (
        "F2",
        "dateTime:['2023-03-01T00:00:00.000Z'..'2023-06-30T23:59:59.999Z'] AND \
         (action:Content OR action:Attributes) AND file.attribute.hidden:`Added`",
    ),
    (
        "F3",
        "asset.name:DESKTOP* AND NOT actor.process:explorer.exe",
    ),
    (
        "F4",
        r#"((severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*) OR (asset.tags:8543820 AND file.fullPath:"\\windows\\" AND NOT action:Delete)) AND NOT (platform:LINUX AND type:Directory) AND (action:Content OR NOT actor.userName:SYSTEM)"#,
    ),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: matches_json FILE")?;
    let var = |name: &str, default: usize| -> Result<usize, Box<dyn std::error::Error>> {
        Ok(match std::env::var(name) {
            Ok(v) => v.parse()?,
            Err(_) => default,
        })
    };
    let (n, rounds) = (var("N", 2000)?, var("R", 1)?);
    let name = std::env::var("F").unwrap_or_else(|_| "F1".into());
    let (_, src) = FILTERS
        .iter()
        .find(|(f, _)| *f == name)
        .ok_or("F must be one of F1, F2, F3, F4")?;
    let data = std::fs::read(&path)?;
    let records: Vec<&[u8]> = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .take(n)
        .collect();
    let filter = compile(src, &Options::new(Scope::Events))?;
    let mut matcher = filter.matcher();
    let mode = std::env::var("MODE").unwrap_or_default();
    let mut hits = 0;
    for _ in 0..rounds {
        for r in &records {
            hits += usize::from(match mode.as_str() {
                "validate" => matcher.scanner_validates(r),
                "serde" => serde_json::from_slice::<serde::de::IgnoredAny>(r).is_ok(),
                _ => matcher.matches_json(r)?,
            });
        }
    }
    println!(
        "{name}: {hits} matches in {} records, {rounds} passes",
        records.len()
    );
    Ok(())
}
