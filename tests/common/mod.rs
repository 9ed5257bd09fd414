//! Shared helpers: loading the conformance files from `../shared/spec/conformance`, and running
//! the `fimql` binary.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

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

/// Runs the `fimql` binary with `args`, feeding `stdin` (or nothing: standard input is closed).
pub fn fimql(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fimql"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fimql");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.map(<[u8]>::to_vec);
    // Write from another thread so that a large input cannot deadlock against a full stdout.
    let writer = thread::spawn(move || {
        if let Some(data) = data {
            let _ = input.write_all(&data);
        }
    });
    let out = child.wait_with_output().expect("wait for fimql");
    writer.join().expect("stdin writer");
    out
}

/// A directory under the system temp dir, unique to one test, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(test: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("fimql-test-{test}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// Writes a file and returns its path as a string for the command line.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write input file");
        path_str(&path)
    }

    pub fn path(&self, name: &str) -> String {
        path_str(&self.0.join(name))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn path_str(p: &Path) -> String {
    p.to_str().expect("UTF-8 temp path").to_string()
}

/// `bytes` compressed with gzip.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

/// Runs `fimql filter ARGS` with no standard input.
pub fn filter(args: &[&str]) -> Output {
    let mut all = vec!["filter"];
    all.extend_from_slice(args);
    fimql(&all, None)
}
