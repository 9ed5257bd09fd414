//! End-to-end tests of `fimql filter` on compressed input: zstd gives what plain input gives
//! (one file, several files, several frames, mixed with plain and gzip files, on one thread or
//! several), and a damaged zstd file is reported by name while the other files are still read.

mod common;

use common::{TempDir, code, filter, fimql, gzip, stderr, stdout};

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).expect("zstd")
}

/// `bytes` as zstd frames one after another, a frame for every `frame` bytes (cut anywhere, not
/// only at line ends).
fn zstd_frames(bytes: &[u8], frame: usize) -> Vec<u8> {
    bytes.chunks(frame).flat_map(zstd).collect()
}

/// About 3 MB of varied events, one per line: several batches.
fn events(count: usize, seed: u64) -> String {
    const ACTIONS: [&str; 4] = ["Create", "Delete", "Content", "Rename"];
    let mut out = String::new();
    let mut x = seed | 1;
    for n in 0..count {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let action = ACTIONS[(x % 4) as usize];
        let platform = if (x >> 8).is_multiple_of(3) {
            "LINUX"
        } else {
            "WINDOWS"
        };
        out.push_str(&format!(
            r#"{{"sortValues":[{n}],"data":{{"id":"e{n}","action":"{action}","platform":"{platform}","severity":{},"pad":"{}"}}}}"#,
            (x >> 16) % 5 + 1,
            "p".repeat(((x >> 24) % 300) as usize),
        ));
        out.push('\n');
    }
    out
}

const FILTERS: [&[&str]; 5] = [
    &["action:Create"],
    &["--count", "severity>=4 AND platform:WINDOWS"],
    &["--group-by", "action", "NOT platform:LINUX"],
    &["--invert", "action:Delete"],
    &["--limit", "1500", "action:Content OR action:Rename"],
];

/// Runs every filter of [`FILTERS`] on `files` with `--jobs 1` and `--jobs 2` and checks that
/// each gives `want`'s output and exit status.
fn same_as(want: &[&str], files: &[&str]) {
    for args in FILTERS {
        let mut expected = args.to_vec();
        expected.extend_from_slice(want);
        let expected = filter(&expected);
        assert_eq!(code(&expected), 0, "{args:?}: {}", stderr(&expected));
        assert!(expected.stdout.len() > 2, "{args:?}");
        for jobs in ["1", "2"] {
            let mut all = vec!["--jobs", jobs];
            all.extend_from_slice(args);
            all.extend_from_slice(files);
            let o = filter(&all);
            assert_eq!(code(&o), 0, "{args:?} --jobs {jobs}: {}", stderr(&o));
            assert!(
                o.stdout == expected.stdout,
                "{args:?} --jobs {jobs} on {files:?} differs from plain input"
            );
            assert_eq!(stderr(&o), "");
        }
    }
}

#[test]
fn zstd_gives_the_output_of_plain_input() {
    let dir = TempDir::new("one");
    let input = events(12_000, 7);
    assert!(input.len() > 2 << 20, "{} bytes", input.len());
    let plain = dir.write("events.ndjson", &input);
    // The name does not matter: zstd is recognised by its content.
    let zst = dir.write("events.data", zstd(input.as_bytes()));
    same_as(&[&plain], &[&zst]);
    // Several frames one after another, cut in the middle of lines.
    let frames = dir.write("frames.zst", zstd_frames(input.as_bytes(), 100_001));
    same_as(&[&plain], &[&frames]);
    // Standard input.
    let o = fimql(
        &["filter", "--count", "action:Create"],
        Some(&zstd(input.as_bytes())),
    );
    let p = filter(&["--count", "action:Create", &plain]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), stdout(&p));
}

#[test]
fn several_files_plain_gzip_and_zstd_give_the_output_of_plain_input() {
    let dir = TempDir::new("mixed");
    let parts: Vec<String> = (0..4)
        .map(|i| events(3000 + 500 * i, 11 + i as u64))
        .collect();
    let plain: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| dir.write(&format!("p{i}.ndjson"), p))
        .collect();
    let plain: Vec<&str> = plain.iter().map(String::as_str).collect();
    let zst: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| dir.write(&format!("p{i}.ndjson.zst"), zstd(p.as_bytes())))
        .collect();
    let zst: Vec<&str> = zst.iter().map(String::as_str).collect();
    same_as(&plain, &zst);
    let gz = dir.write("p1.ndjson.gz", gzip(parts[1].as_bytes()));
    let frames = dir.write("p3.zst", zstd_frames(parts[3].as_bytes(), 77_777));
    same_as(&plain, &[zst[0], &gz, plain[2], &frames]);
    same_as(&plain, &[plain[0], zst[1], plain[2], zst[3]]);
}

#[test]
fn line_numbers_of_damaged_records_in_zstd_input() {
    let dir = TempDir::new("damaged");
    let mut input = events(9000, 5);
    // Damage a few lines, far apart: several batches lie between them.
    let mut lines: Vec<String> = input.lines().map(str::to_string).collect();
    for n in [3, 4000, 8990] {
        lines[n] = format!("{{\"data\": {n}");
    }
    input = lines.join("\n") + "\n";
    let plain = dir.write("events.ndjson", &input);
    let zst = dir.write("events.ndjson.zst", zstd(input.as_bytes()));
    let want = filter(&["--jobs", "1", "action:Create", &plain]);
    assert_eq!(code(&want), 2);
    let want_err = stderr(&want).replace(&plain, "FILE");
    assert_eq!(want_err.lines().count(), 4, "{want_err}");
    for jobs in ["1", "2", "3"] {
        let o = filter(&["--jobs", jobs, "action:Create", &zst]);
        assert_eq!(code(&o), 2);
        assert!(o.stdout == want.stdout, "--jobs {jobs}");
        assert_eq!(stderr(&o).replace(&zst, "FILE"), want_err, "--jobs {jobs}");
    }
}

#[test]
fn a_damaged_zstd_file_is_named_and_the_other_files_are_read() {
    let dir = TempDir::new("broken");
    let first = events(2000, 3);
    let last = events(2500, 4);
    let a = dir.write("a.ndjson.zst", zstd(first.as_bytes()));
    let c = dir.write("c.ndjson.gz", gzip(last.as_bytes()));
    let whole = zstd(events(3000, 9).as_bytes());
    let truncated = dir.write("truncated.zst", &whole[..whole.len() / 2]);
    let mut garbage = whole[..4].to_vec();
    garbage.extend(b"this is not a zstd frame at all, only its magic bytes".repeat(10));
    let corrupt = dir.write("corrupt.zst", garbage);
    let count = |text: &str| text.lines().filter(|l| l.contains("\"Create\"")).count();
    for bad in [&truncated, &corrupt] {
        for jobs in ["1", "2"] {
            let o = filter(&["--jobs", jobs, "--count", "action:Create", &a, bad, &c]);
            assert_eq!(code(&o), 2, "{bad} --jobs {jobs}");
            let err = stderr(&o);
            assert!(!err.contains("panicked"), "{err}");
            assert!(err.contains(&format!("fimql: {bad}: ")), "{err}");
            let n: usize = stdout(&o).trim().parse().expect("a count");
            // The records before the damage count too.
            assert!(
                n >= count(&first) + count(&last),
                "{n} --jobs {jobs}: {err}"
            );
            if *bad == corrupt {
                assert_eq!(n, count(&first) + count(&last), "{err}");
            }
        }
    }
}
