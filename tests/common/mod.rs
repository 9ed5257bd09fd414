//! Shared helpers: loading the conformance files from `../shared/spec/conformance`.
#![allow(dead_code)]

use std::path::PathBuf;

use std::process::Output;

use serde_json::Value;

/// The conformance directory beside the repository.
pub fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/conformance")
}

/// The `cases` array of a conformance file.
pub fn cases(file: &str) -> Vec<Value> {
    let path = conformance_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).expect("conformance file is JSON");
    v["cases"].as_array().expect("cases array").clone()
}

/// The spec's `language.md`.
pub fn language_md() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/language.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The error codes that the parser alone must produce (`errors.json` cases with these codes).
pub const SYNTAX_CODES: &[&str] = &[
    "empty-filter",
    "expected-value",
    "expected-term",
    "unclosed-paren",
    "unexpected-token",
    "missing-operator",
    "unterminated-string",
];

/// A command's standard output, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

/// A command's standard error, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// A command's exit status.
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}
