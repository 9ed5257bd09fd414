//! The end-to-end ceiling of `fimql filter --jobs 1` on a file: read it, split it into records
//! and check each record with the scanner, evaluating no filter. `fimql filter` does all of this
//! and then evaluates its filter on top, so no filter can run faster than this on the same file
//! (see "The ceiling" in BENCHMARKS.md, and `benches/compare.sh`, which times it beside DuckDB):
//!
//! ```sh
//! cargo build --release --features testing --example ceiling
//! target/release/examples/ceiling target/bench-data/events-200000-42.ndjson
//! MODE=split target/release/examples/ceiling target/bench-data/events-200000-42.ndjson
//! ```
//!
//! It reads the file as `fimql filter` does (`stream::RecordReader`, one thread, the batches'
//! buffers recycled) and prints how many records the scanner accepted. `MODE=split` reads and
//! splits only, checking nothing: the cost of the input itself.

// An example prints its result.
#![allow(clippy::print_stdout)]

use fimql::stream::RecordReader;
use fimql::{Options, Scope, compile};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: ceiling FILE (MODE=split: read and split only)")?;
    let split_only = std::env::var("MODE").is_ok_and(|m| m == "split");
    // Any filter: only its matcher's buffers are used, and no term is evaluated.
    let filter = compile("action:Create", &Options::new(Scope::Events))?;
    let mut matcher = filter.matcher();
    let mut reader = RecordReader::new(std::fs::File::open(&path)?);
    let (mut records, mut accepted, mut errors) = (0u64, 0u64, 0u64);
    while let Some(batch) = reader.next_batch()? {
        for item in &batch.items {
            match batch.record(item) {
                Some(bytes) => {
                    records += 1;
                    if !split_only && matcher.scanner_validates(bytes) {
                        accepted += 1;
                    }
                }
                None => errors += 1,
            }
        }
        reader.recycle(batch.bytes);
    }
    if split_only {
        println!("{records} records, {errors} errors while splitting (not checked)");
    } else {
        println!(
            "{accepted} of {records} records accepted by the scanner, {errors} errors while splitting"
        );
    }
    Ok(())
}
