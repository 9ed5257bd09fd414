//! A loop over one stage of the pipeline on filter F4, for instruction counts:
//!
//! ```sh
//! cargo build --release --example stages
//! STAGE=parse N=1000 valgrind --tool=cachegrind --cache-sim=no target/release/examples/stages
//! ```
//!
//! `STAGE` is `parse` or `validate`; the count with `N=2000` less the count with `N=1000`, divided
//! by 1,000, is the cost of one call.

use std::hint::black_box;

const F4: &str = r#"((severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*) OR (asset.tags:8543820 AND file.fullPath:"\\windows\\" AND NOT action:Delete)) AND NOT (platform:LINUX AND type:Directory) AND (action:Content OR NOT actor.userName:SYSTEM)"#;

fn main() {
    let stage = std::env::var("STAGE").unwrap_or_else(|_| "parse".into());
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let query = fimql::parse(F4).expect("F4 parses");
    let opts = fimql::Options::default();
    let mut total = 0;
    for _ in 0..n {
        total += match stage.as_str() {
            "parse" => black_box(fimql::parse(black_box(F4)).map_or(0, |q| q.warnings.len())),
            _ => black_box(fimql::validate_query(black_box(&query), &opts).len()),
        };
    }
    black_box(total);
}
