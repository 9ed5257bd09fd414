//! Shared by the benches: the four benchmark filters and a generated sample.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The benchmark filters of the benchmark kit's README, by name.
pub const FILTERS: &[(&str, &str)] = &[
    ("F1", "action:Create"),
    (
        "F2",
        "dateTime:['2023-03-01T00:00:00.000Z'..'2023-06-30T23:59:59.999Z'] AND (action:Content OR action:Attributes) AND file.attribute.hidden:`Added`",
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

/// The filters of the two Qualys FIM API documents the project comes from, by name.
pub const SEED_FILTERS: &[(&str, &str)] = &[
    (
        "S1",
        "dateTime:['2022-11-15T16:07:00.000Z'..'2022-12-15T16:07:00.000Z'] AND (action:Content)",
    ),
    (
        "S2",
        "dateTime: ['2020-01-14T18:30:00.000Z'..'2022-12-16T09:29:59.999Z'] and action:`Create`",
    ),
    ("S3", "file.attribute.hidden:`Added`"),
    ("S4", "file.attribute.readOnly: `Removed`"),
];

/// The benchmark filters, then the seed filters.
pub fn all_filters() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    FILTERS.iter().chain(SEED_FILTERS)
}

/// `count` events from the benchmark kit's generator (seed 42), one per line.
pub fn sample(count: usize) -> Vec<u8> {
    let gen_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_events.py");
    let out = Command::new("python3")
        .arg(&gen_path)
        .args(["--count", &count.to_string(), "--seed", "42"])
        .output()
        .expect("python3 runs the event generator");
    assert!(out.status.success(), "the generator failed");
    out.stdout
}

/// The lines of a sample.
pub fn lines(sample: &[u8]) -> Vec<&[u8]> {
    sample
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}
