//! Regression tests for evaluation, each decided by `language.md`.

use chrono::{TimeZone, Utc};
use fimql::{CompileOptions, Scope, compile};
use serde_json::{Value as Json, json};

fn opts(scope: Scope) -> CompileOptions {
    let now = Utc.with_ymd_and_hms(2023, 3, 31, 12, 0, 0).unwrap();
    CompileOptions::new(scope).now(now).allow_unknown(true)
}

fn matches(filter: &str, event: &Json) -> bool {
    compile(filter, &opts(Scope::Events))
        .unwrap_or_else(|e| panic!("{filter}: {}", e.render(filter)))
        .matches(event)
}

/// Integer tokens match strings of digits by their value (section 3), however many digits: leading
/// zeros do not change the value, and a number beyond every filter integer still compares.
#[test]
fn long_digit_strings_compare_numerically() {
    let ev = |v: &str| json!({ "severity": v });
    let four = format!("{}4", "0".repeat(42));
    assert!(matches("severity:4", &ev(&four)));
    assert!(matches("severity:[1..5]", &ev(&four)));
    assert!(!matches("severity:5", &ev(&four)));
    let huge = format!("1{}", "0".repeat(41));
    assert!(matches("severity>=1", &ev(&huge)));
    assert!(matches("severity:[1..*]", &ev(&huge)));
    assert!(!matches("severity<=9223372036854775807", &ev(&huge)));
    assert!(!matches("severity:4", &ev(&huge)));
    let minus = format!("-{huge}");
    assert!(matches("severity<0", &ev(&minus)));
    assert!(!matches("severity>=-9223372036854775808", &ev(&minus)));
    assert!(matches("severity:0", &ev(&"0".repeat(50))));
    assert!(matches("severity:0", &ev(&format!("-{}", "0".repeat(50)))));
}

/// Case-insensitive forms fold every character alike wherever it stands. `str::to_lowercase`
/// gives a word-final `Σ` the form `ς`, so the pattern piece `ΟΔΥΣ` folded to `οδυς` while the
/// value `ΟΔΥΣΣΕΑΣ` folded to `οδυσσεας`, and `"Σ"` (`σ`) was not found in `ΑΣ` (`ας`).
#[test]
fn final_sigma_folds_like_sigma() {
    let name = |v: &str| json!({ "name": v, "id": v });
    assert!(matches("file.name:ΟΔΥΣ*", &name("ΟΔΥΣΣΕΑΣ")));
    assert!(matches("file.name:ΟΔΥΣ?ΕΑΣ", &name("οδυσσεας")));
    assert!(matches("file.name:\"Σ\"", &name("ΑΣ")));
    assert!(matches("file.name:'ας'", &name("ΑΣ")));
    assert!(matches("file.name:ας", &name("ΑΣ")));
    assert!(matches("file.name:ασ", &name("ας")));
    assert!(matches("id:\"ασ\"", &name("ΑΣ")));
    assert!(matches("id:ΑΣ*", &name("ασα")));
    assert!(!matches("file.name:`ας`", &name("ΑΣ")));
    assert!(!matches("file.name:ΑΣ?", &name("ας")));
}

/// A boolean token with both values (`[true, false]`, `(true OR false)`) matches the booleans
/// (JSON `true`/`false`, the strings `true`/`false` in any case), not every present value.
#[test]
fn both_booleans_match_only_booleans() {
    for filter in [
        "baseline:[true, false]",
        "baseline:(FALSE OR 'true')",
        "baseline:[`false`, true, false]",
    ] {
        for yes in [json!(true), json!(false), json!("TRUE"), json!("False")] {
            assert!(
                matches(filter, &json!({ "baseline": yes })),
                "{filter} on {yes}"
            );
        }
        for no in [
            json!(1),
            json!("1"),
            json!("yes"),
            json!(""),
            json!({}),
            json!(null),
        ] {
            assert!(
                !matches(filter, &json!({ "baseline": no })),
                "{filter} on {no}"
            );
        }
        assert!(
            matches(filter, &json!({ "baseline": ["no", [false]] })),
            "{filter}"
        );
        assert!(!matches(filter, &json!({})), "{filter}");
    }
}
