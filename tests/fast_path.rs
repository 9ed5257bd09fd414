//! Differential tests of the fast path: `Matcher::matches_json` on raw bytes against
//! `Filter::matches` on the record parsed by serde_json, over adversarial records.
//!
//! The contract, on every input: when serde_json parses the record into a `Value` holding an
//! object, `matches_json` answers `Ok(filter.matches(&value))`, with and without the prefilter;
//! otherwise `matches_json` is an error (and with the prefilter an error or `Ok(false)`).
//!
//! Records are events shaped like the real ones, with values drawn from small pools so that the
//! filters match often, written by a JSON writer of this file that varies what serde_json reads
//! the same way (whitespace, string and key escapes, member order) and, on purpose, what it reads
//! differently (numbers in every form, duplicate keys, where the last one wins). The events also
//! get structural changes (arrays where objects are expected, `data` that is no object, deep
//! nesting), and some records are corrupted byte by byte. Matchers are reused across records, as
//! in a stream. Each generated record is checked against a random share of the filters, to keep a
//! debug build quick.
//!
//! The generator is deterministic. For a longer hunt, set `FAST_PATH_CASES` to a multiple of the
//! default number of records and `FAST_PATH_SEED` to another seed (a number), e.g.
//! `FAST_PATH_CASES=100 FAST_PATH_SEED=7 cargo test --release --test fast_path`. A failure prints
//! the filter, the record (lossily as text and exactly as bytes) and a smaller record that still
//! fails.

// The crate's small deterministic generator (SplitMix64).
use fimql::eval::Matcher;
use fimql::testing::filtergen::Rng;
use fimql::{Filter, Options, Scope, compile};
use serde_json::{Map, Value as Json, json};

// ---------------------------------------------------------------------------------------------
// The generator of each test.

/// The generator of one test: `base`, changed by `FAST_PATH_SEED` when set (for longer hunts).
fn rng(base: u64) -> Rng {
    let seed = std::env::var("FAST_PATH_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    Rng::new(base ^ seed.wrapping_mul(0x2545_F491_4F6C_DD1D))
}

/// How many records each test generates: the default times `FAST_PATH_CASES` (1 when unset).
fn cases(default: usize) -> usize {
    let factor = std::env::var("FAST_PATH_CASES")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(1);
    default * factor.max(1)
}

// ---------------------------------------------------------------------------------------------
// The filters.

/// The benchmark filters (`benches/common/mod.rs`), then single and compound terms over strings,
/// integers, booleans, dates and arrays.
const FILTERS: &[&str] = &[
    "action:Create",
    "dateTime:['2023-03-01T00:00:00.000Z'..'2023-06-30T23:59:59.999Z'] AND (action:Content OR action:Attributes) AND file.attribute.hidden:`Added`",
    "asset.name:DESKTOP* AND NOT actor.process:explorer.exe",
    r#"((severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*) OR (asset.tags:8543820 AND file.fullPath:"\\windows\\" AND NOT action:Delete)) AND NOT (platform:LINUX AND type:Directory) AND (action:Content OR NOT actor.userName:SYSTEM)"#,
    // Strings: exact, case-insensitive, phrase, wildcards, non-ASCII.
    "action:`Create`",
    "action:cr*",
    "action:(Delete OR Rename)",
    "actor.process:explorer.exe",
    "actor.process:ΣΊΣΥΦΟΣ.exe",
    "actor.process:*σος*",
    "actor.userName:\"system\"",
    "file.name:*.DLL",
    "file.fullPath:'C:\\Windows\\System32'",
    "file.fullPath:C\\:\\\\Windows\\\\*",
    "file.oldHash:abc*",
    "asset.name:\"ΔESKTOP\" OR asset.name:desktop-?b*",
    "file.attribute.hidden:`Added`",
    "NOT file.attribute.hidden:*",
    "action:*",
    // Integers.
    "severity>=4",
    "severity:[2..3]",
    "severity<2 OR severity:5",
    "profiles.rules.severity>=3",
    "file.size>1000",
    "actor.processID:[100..40000]",
    // Booleans.
    "baseline:true",
    "NOT baseline:false",
    // Dates.
    "dateTime:['2023-03-01T00:00:00.000Z'..'2023-06-30T23:59:59.999Z']",
    "dateTime>='2023-05-01T00:00:00Z'",
    "dateTime:'2023-06-22'",
    // Arrays.
    "asset.tags:8543820",
    "asset.tags:[123, 8543820]",
    "profiles.rules.name:*CR_*",
    "profiles.rules.name:`CR_Windows_System32_Changes`",
    // NOT, OR, compounds.
    "NOT platform:WINDOWS",
    "platform:WINDOWS OR type:Directory",
    "(action:Create OR action:Delete) AND NOT (severity<3 OR baseline:true)",
    "NOT (asset.tags:8543820 AND platform:linux) OR file.name:*.ini",
];

fn compile_all() -> Vec<(&'static str, Filter)> {
    FILTERS
        .iter()
        .map(|&src| {
            let f = compile(src, &Options::new(Scope::Events))
                .unwrap_or_else(|e| panic!("filter {src:?} does not compile: {e:?}"));
            (src, f)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Pools of values, close to the real events.

const ACTIONS: &[&str] = &[
    "Create",
    "Delete",
    "Content",
    "Attributes",
    "Rename",
    "Security",
    "create",
    "CREATE",
    "CRÉATE",
    "Créate",
    "Create ",
    "",
];
const PLATFORMS: &[&str] = &["WINDOWS", "LINUX", "windows", "Linux", "WINDOWS\u{0}"];
const TYPES: &[&str] = &["File", "Directory", "Registry", "directory"];
const DATES: &[&str] = &[
    "2023-01-24T19:59:04.068+0000",
    "2023-03-01T00:00:00.000Z",
    "2023-02-28T23:59:59.999Z",
    "2023-04-15T12:00:00.000+0000",
    "2023-05-01T00:00:00+00:00",
    "2023-06-22T01:19:20.481+0000",
    "2023-06-30T23:59:59.999Z",
    "2023-07-01T00:00:00.000Z",
    "2023-06-22",
    "2023-06-22T10:00:00-0500",
    "1687396760481",
    "not a date",
];
const PATHS: &[&str] = &[
    "C:\\Windows\\System32\\x.dll",
    "C:\\windows\\system32\\drivers\\etc\\hosts",
    "C:\\Users\\Public\\Documents\\config.ini",
    "C:\\WINDOWS\\Temp\\ΣΊΣΥΦΟΣ.DLL",
    "/usr/local/bin/syslog",
    "/etc/windows/x.ini",
    "C:/Windows/System32/x.dll",
];
const NAMES: &[&str] = &[
    "x.dll",
    "X.DLL",
    "hosts",
    "config.ini",
    "syslog",
    "ΣΊΣΥΦΟΣ.DLL",
    "a.dll.bak",
];
const HIDDEN: &[&str] = &["Added", "Removed", "added", "ADDED"];
const PROCESSES: &[&str] = &[
    "explorer.exe",
    "EXPLORER.EXE",
    "sshd",
    "svchost.exe",
    "σίσυφος.exe",
    "ΣΊΣΥΦΟΣ.exe",
    "Σίσυφος.EXE",
    "ςος",
    "explorer.exe\u{1F600}",
];
const USERS: &[&str] = &[
    "SYSTEM",
    "system",
    "NT AUTHORITY\\SYSTEM",
    "root",
    "admin",
    "Administrator",
];
const ASSETS: &[&str] = &[
    "DESKTOP-FR23SL8",
    "desktop-ab12",
    "Desktop",
    "ip-10-0-105",
    "ΔESKTOP-1",
    "δesktop",
    "web01.example.com",
];
const RULES: &[&str] = &[
    "CR_Windows_System32_Changes",
    "Program Files watch",
    "cr_all",
    "CRÉ_x",
    "my CR_rule",
    "Registry run keys",
];
const HASHES: &[&str] = &["abc123", "ABCdef", "xyz", "ab", "àbc"];
const TAGS: &[&str] = &["8543820", "123", "8543820 ", "08543820"];
const PROFILES: &[&str] = &["Linux Baseline", "Windows Profile - PCI(NJJ)", "PCI"];

/// Any string of the pools, for decoys and odd values.
fn any_string(rng: &mut Rng) -> String {
    let pools: [&[&str]; 10] = [
        ACTIONS, PLATFORMS, TYPES, DATES, PATHS, PROCESSES, USERS, ASSETS, RULES, TAGS,
    ];
    let pool = *rng.pick(&pools);
    rng.pick(pool).to_string()
}

/// Numbers whose text is a trap: at and beyond the integer limits, out of `f64`'s range,
/// underflowing, very long.
const ODD_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-0.0",
    "0e0",
    "-0E-0",
    "4",
    "4.0",
    "4e0",
    "40E-1",
    "0.4e1",
    "4.000",
    "4e+0",
    "999999999999999999",
    "-99999999999999999",
    "-999999999999999999",
    "1000000000000000000",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "8543820",
    "8543820.0",
    "8.54382e6",
    "1e400",
    "-1e400",
    "1e-400",
    "1.7976931348623157e308",
    "1.7976931348623159e308",
    "4.9e-324",
    "0.000000000000000000000000000000000000000000004e45",
];

/// Marks a string of the template as JSON text to write as it is (a number's exact text).
const RAW: char = '\u{E000}';

/// A value the writer writes as the JSON text `text`.
fn raw(text: &str) -> Json {
    Json::String(format!("{RAW}{text}"))
}

/// Texts of severities: integers, and the same values as floats, out of range or signed zero.
const SEVERITY_TEXTS: &[&str] = &[
    "0",
    "-0",
    "-0.0",
    "0e0",
    "4",
    "4.0",
    "4e0",
    "40E-1",
    "0.4e1",
    "4.000",
    "4e+0",
    "5",
    "5.0",
    "5E0",
    "1",
    "1.0",
    "-1",
    "2e0",
    "3.00",
    "18446744073709551616",
    "18446744073709551615",
    "-9223372036854775809",
    "999999999999999999",
    "-999999999999999999",
    "1e400",
    "-1e400",
    "1e-400",
    "4.9e-324",
];

/// Texts of numeric tags: the tag the filters look for, as an integer and as floats.
const TAG_TEXTS: &[&str] = &[
    "8543820",
    "8543820.0",
    "8.54382e6",
    "8543820e0",
    "85438200e-1",
    "-8543820",
    "123",
    "123.0",
    "8543820000000000000000",
];

/// Texts of file sizes around the filter's bound (1000).
const SIZE_TEXTS: &[&str] = &[
    "1000",
    "1001",
    "1000.0",
    "1001.0",
    "1e3",
    "1.001e3",
    "1000.5",
    "-1001",
    "1e400",
    "100000000000000000000",
];

/// Texts of epoch-millisecond dates, as integers and floats.
const DATE_TEXTS: &[&str] = &[
    "1682899200000",
    "1682899200000.0",
    "1.6828992e12",
    "-0",
    "0",
    "99999999999999999999",
    "1687396760481",
    "1687396760481e0",
];

/// A number at the JSON text level, possibly too long or too big for any machine type.
fn long_number(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(30) {
        s.push('-');
    }
    s.push(char::from(b'1' + rng.below(9) as u8));
    let n = *rng.pick(&[17, 18, 19, 20, 40, 310, 400]);
    for _ in 0..n {
        s.push(char::from(b'0' + rng.below(10) as u8));
    }
    if rng.chance(30) {
        s.push('.');
        for _ in 0..rng.below(60) + 1 {
            s.push(char::from(b'0' + rng.below(10) as u8));
        }
    }
    if rng.chance(30) {
        s.push_str(rng.pick::<&str>(&["e", "E", "e-", "E+"]));
        s.push_str(rng.pick::<&str>(&["0", "1", "308", "309", "400", "0000000000000000000001"]));
    }
    s
}

/// A scalar from the pools, of any JSON type.
fn any_scalar(rng: &mut Rng) -> Json {
    match rng.below(8) {
        0 => Json::Null,
        1 => Json::Bool(rng.chance(50)),
        2 => json!(rng.below(7)),
        3 => json!(*rng.pick(&[8543820u64, 123, 4, 1_000_000, u64::MAX])),
        4 => json!(*rng.pick(&[4.0f64, 4.5, -0.0, 1e300, 8543820.0])),
        _ => Json::String(any_string(rng)),
    }
}

/// Nests `leaf` in `depth` arrays or objects (or a mix). Objects use `key` as their only key.
fn nest(rng: &mut Rng, depth: usize, leaf: Json, key: &str) -> Json {
    let mode = rng.below(3);
    let mut v = leaf;
    for _ in 0..depth {
        let array = match mode {
            0 => true,
            1 => false,
            _ => rng.chance(50),
        };
        v = if array {
            if rng.chance(20) {
                json!([[], v, 1])
            } else {
                json!([v])
            }
        } else {
            let mut m = Map::new();
            m.insert(key.to_string(), v);
            Json::Object(m)
        };
    }
    v
}

/// Depths around the scanner's and serde_json's limits (the record and `data` add two levels).
const DEPTHS: &[usize] = &[
    1, 2, 50, 90, 96, 97, 98, 99, 100, 101, 102, 124, 125, 126, 127, 128, 129, 130, 200,
];

// ---------------------------------------------------------------------------------------------
// Events.

fn date(rng: &mut Rng) -> Json {
    if rng.chance(4) {
        json!(*rng.pick(&[1_687_396_760_481i64, 1_674_590_344_068, 1_682_899_200_000]))
    } else if rng.chance(4) {
        raw(rng.pick::<&str>(DATE_TEXTS))
    } else {
        Json::String(rng.pick(DATES).to_string())
    }
}

/// The `data` of an event, like the real ones.
fn event_data(rng: &mut Rng) -> Map<String, Json> {
    let windows = rng.chance(60);
    let mut d = Map::new();
    d.insert("dateTime".into(), date(rng));
    d.insert("processedTime".into(), date(rng));
    d.insert("fullPath".into(), json!(rng.pick(PATHS)));
    d.insert("name".into(), json!(rng.pick(NAMES)));
    let hidden = if rng.chance(60) {
        json!(if rng.chance(70) {
            "Added"
        } else {
            rng.pick(HIDDEN)
        })
    } else {
        Json::Null
    };
    d.insert(
        "fileAttribute".into(),
        json!({"readonly": null, "hidden": hidden, "encrypted": null, "compressed": rng.pick(&[Json::Null, json!("Removed")])}),
    );
    d.insert("ownership".into(), Json::Null);
    d.insert("registryPath".into(), Json::Null);
    d.insert(
        "fileCertificateHash".into(),
        json!(*rng.pick(&[Json::Null, json!("abc123")])),
    );
    d.insert(
        "size".into(),
        if rng.chance(10) {
            raw(rng.pick::<&str>(SIZE_TEXTS))
        } else {
            json!(*rng.pick(&[4_332_552u64, 12, 1000, 1001, 0]))
        },
    );
    d.insert("fileContentHashOld".into(), json!(rng.pick(HASHES)));
    // Same length and first and last eight bytes as `fileContentHashOld`.
    if rng.chance(30) {
        d.insert("fileContXXtHashOld".into(), json!("abc999"));
    }
    d.insert(
        "type".into(),
        json!(if rng.chance(70) {
            "File"
        } else {
            rng.pick(TYPES)
        }),
    );
    d.insert(
        "platform".into(),
        json!(if rng.chance(80) {
            if windows { "WINDOWS" } else { "LINUX" }
        } else {
            rng.pick(PLATFORMS)
        }),
    );
    d.insert(
        "customerId".into(),
        json!("bdd640fb-0667-4ad1-9c80-317fa3b1799d"),
    );
    let action = if rng.chance(50) {
        &ACTIONS[..4]
    } else {
        ACTIONS
    };
    d.insert("action".into(), json!(rng.pick(action)));
    d.insert("id".into(), json!("6759d978-bf14-4332-8f6a-648fcca97f81"));
    d.insert("class".into(), json!("Disk"));
    let severity = match rng.below(10) {
        0 => json!(rng.below(6).to_string()),
        1 => Json::Null,
        2 => raw(rng.pick::<&str>(SEVERITY_TEXTS)),
        _ => json!(rng.below(5) + 1),
    };
    d.insert("severity".into(), severity);
    let rules: Vec<Json> = (0..rng.below(3) + 1)
        .map(|k| {
            json!({"severity": rng.below(5) + 1, "number": k, "name": rng.pick(RULES),
                   "description": "Monitors creation, deletion, content and attribute changes.",
                   "section": {"number": 2, "name": "2. Configuration files"},
                   "id": "87407d86-fa3a-4705-bf3d-cbf9a0a51b74", "type": "directory"})
        })
        .collect();
    let mut profiles = vec![json!({"name": rng.pick(PROFILES), "rules": rules,
        "id": "404c86f1-6cc2-420f-83a0-2289b88ba445", "type": if windows { "WINDOWS" } else { "LINUX" },
        "category": {"name": "Custom", "id": "3310401b-9610-43cd-859d-f649cdf9d1d6"}})];
    if rng.chance(25) {
        profiles.push(
            json!({"name": "PCI", "rules": [{"name": rng.pick(RULES), "severity": rng.below(5)}]}),
        );
    }
    d.insert("profiles".into(), Json::Array(profiles));
    d.insert(
        "baseline".into(),
        rng.pick(&[
            json!(true),
            json!(false),
            json!(false),
            json!("TRUE"),
            json!("false"),
            Json::Null,
        ])
        .clone(),
    );
    d.insert("changedAttributes".into(), json!([2, 7]));
    d.insert(
        "actor".into(),
        json!({"process": rng.pick(PROCESSES), "auditUserName": "root", "processID": rng.pick(&[30927, 4, 99, 100, 40000, 40001]),
               "imagePath": "C:\\Windows\\explorer.exe", "procTitle": "sshd /usr/local/bin/syslog",
               "userName": rng.pick(USERS), "userID": "1000"}),
    );
    d.insert("reputationStatus".into(), json!("UNKNOWN"));
    d.insert(
        "attributes".into(),
        json!({"newAttribute": [], "oldAttribute": null}),
    );
    let tags: Vec<Json> = (0..rng.below(3))
        .map(|_| {
            if rng.chance(50) {
                json!(rng.pick(TAGS))
            } else {
                match rng.below(5) {
                    0 => raw(rng.pick::<&str>(TAG_TEXTS)),
                    _ => json!(*rng.pick(&[8_543_820u64, 123, 7])),
                }
            }
        })
        .collect();
    d.insert(
        "asset".into(),
        json!({"agentId": "f7fd5646-37bb-4eec-8bf5-0b52309d258c",
               "interfaces": [{"hostname": "ip-10-0-105", "macAddress": "CD:1E:54:C2:01:C7", "address": "10.135.232.74"}],
               "lastCheckedIn": "2023-01-23T17:06:13.000+0000", "hostId": 9_196_526,
               "operatingSystem": if windows { "Microsoft Windows 10 Pro" } else { "Red Hat Enterprise Linux 8.7" },
               "tags": tags, "assetType": "HOST", "system": {"lastBoot": "2023-01-24T16:09:56.000+0000"},
               "lastLoggedOnUser": "admin", "netbiosName": null, "name": rng.pick(ASSETS), "agentVersion": "5.1.0.25"}),
    );
    d.insert("incidentId".into(), Json::Null);
    // Most events are shorter than the template: fields no filter reads go now and then.
    if rng.chance(50) {
        d.retain(|k, _| HOT_KEYS.contains(&k.as_str()) || rng.chance(50));
    }
    d
}

/// Keys close to the ones the filters read (a letter more or less, another case, a space).
const NEAR_KEYS: &[&str] = &[
    "actions",
    "Action",
    "actio",
    "action ",
    " action",
    "ACTION",
    "severit",
    "Severity",
    "dateTime2",
    "fullpath",
    "fileattribute",
    "assets",
    "asse",
    "tag",
    "profile",
    "Data",
    "data ",
    "dat",
    "datA",
    "baseline\u{0}",
    "actor.process",
    "asset.name",
    "",
];

/// One of the filters' keys changed a little: a byte replaced, added or dropped, or its case.
fn near_key(rng: &mut Rng) -> String {
    let mut k: Vec<char> = rng.pick(HOT_KEYS).chars().collect();
    let at = rng.below(k.len() + 1);
    let c = *rng.pick(&[
        'a', 'e', 'i', 'o', 's', 'A', 'X', '_', '.', ' ', 'é', 'σ', '\u{0}',
    ]);
    match rng.below(5) {
        0 if at < k.len() => k[at] = c,
        1 => k.insert(at, c),
        2 if at < k.len() => {
            k.remove(at);
        }
        3 => k.iter_mut().for_each(|c| *c = c.to_ascii_uppercase()),
        _ => k.truncate(at),
    }
    k.into_iter().collect()
}

/// The keys the filters read (duplicates of these are the interesting ones).
const HOT_KEYS: &[&str] = &[
    "data",
    "action",
    "severity",
    "dateTime",
    "fullPath",
    "name",
    "fileAttribute",
    "hidden",
    "asset",
    "tags",
    "profiles",
    "rules",
    "actor",
    "process",
    "userName",
    "platform",
    "type",
    "baseline",
    "size",
    "processID",
    "fileContentHashOld",
];

/// A value to replace `v` with: another value at the same place, or one of another shape.
fn decoy(rng: &mut Rng, v: &Json) -> Json {
    match rng.below(8) {
        0 => Json::Null,
        1 => json!([]),
        2 => json!({}),
        3 => Json::Array(vec![v.clone(), any_scalar(rng)]),
        4 => match v {
            Json::Object(m) => {
                let mut out = Map::new();
                for (k, x) in m {
                    if rng.chance(50) {
                        continue;
                    }
                    let x = if rng.chance(30) {
                        any_scalar(rng)
                    } else {
                        x.clone()
                    };
                    out.insert(k.clone(), x);
                }
                Json::Object(out)
            }
            _ => any_scalar(rng),
        },
        _ => any_scalar(rng),
    }
}

/// Changes the shape of a few values of an object: arrays around them, arrays of arrays, empty
/// containers, nulls, removals, other values.
fn reshape(rng: &mut Rng, m: &mut Map<String, Json>, pct: u32) {
    let keys: Vec<String> = m.keys().cloned().collect();
    for k in keys {
        if !rng.chance(pct) {
            if let Some(Json::Object(inner)) = m.get_mut(&k)
                && rng.chance(pct * 3)
            {
                reshape(rng, inner, pct);
            }
            continue;
        }
        let v = m.remove(&k).unwrap_or(Json::Null);
        let new = match rng.below(9) {
            0 => continue,
            1 => json!([v]),
            2 => json!([[v], []]),
            3 => json!([[], [[v]], null]),
            4 => json!([v.clone(), v]),
            5 => Json::Null,
            6 => json!([]),
            7 => json!({}),
            _ => decoy(rng, &v),
        };
        m.insert(k, new);
    }
}

/// How a record was made, for the failure message and the statistics.
#[derive(Clone, Copy, Debug, Default)]
struct Made {
    /// The writer kept the value's meaning (no duplicates, numbers in their own form).
    exact: bool,
    /// Has a nested part, maybe deeper than serde_json accepts.
    deep: bool,
}

/// One event record as a `Value`, with `deep` set when it nests deep.
fn event(rng: &mut Rng, deep: &mut bool) -> Json {
    let mut data = event_data(rng);
    if rng.chance(30) {
        reshape(rng, &mut data, 6);
    }
    if rng.chance(25) {
        for _ in 0..rng.below(4) + 1 {
            let k = if rng.chance(50) {
                rng.pick(NEAR_KEYS).to_string()
            } else {
                near_key(rng)
            };
            let v = if rng.chance(60) {
                json!(rng.pick(ACTIONS))
            } else {
                any_scalar(rng)
            };
            data.insert(k, v);
        }
    }
    if rng.chance(5) {
        // A long padding string, to move everything across the 64-byte words of the index.
        let n = rng.below(200);
        let pad: String = (0..n)
            .map(|i| if i % 17 == 16 { '"' } else { 'p' })
            .collect();
        data.insert("padding".into(), json!(pad));
    }
    if rng.chance(8) {
        *deep = true;
        let depth = *rng.pick(DEPTHS);
        match rng.below(6) {
            0 => {
                let leaf = json!(rng.pick(ACTIONS));
                data.insert("ownership".into(), nest(rng, depth, leaf, "a"));
            }
            1 => {
                let leaf = data.remove("action").unwrap_or(Json::Null);
                data.insert("action".into(), nest(rng, depth, leaf, "action"));
            }
            2 => {
                if let Some(Json::Object(asset)) = data.get_mut("asset") {
                    let leaf = asset.remove("tags").unwrap_or(json!(8543820));
                    asset.insert("tags".into(), nest(rng, depth, leaf, "tags"));
                }
            }
            3 => {
                let leaf = data.remove("profiles").unwrap_or(Json::Null);
                data.insert("profiles".into(), nest(rng, depth, leaf, "profiles"));
            }
            4 => {
                let leaf = data.remove("actor").unwrap_or(Json::Null);
                data.insert("actor".into(), nest(rng, depth, leaf, "actor"));
            }
            _ => {
                let leaf = json!("x");
                data.insert("asset2".into(), nest(rng, depth, leaf, "asset"));
            }
        }
    }
    let sort = json!([1_674_590_344_068u64, "6759d978-bf14-4332-8f6a-648fcca97f81"]);
    match rng.below(20) {
        // The event without its envelope.
        0 | 1 => Json::Object(data),
        // `data` that is no object: the filter reads the top level, which holds a few fields.
        2 | 3 => {
            let mut top = Map::new();
            for (k, v) in data.iter() {
                if rng.chance(40) {
                    top.insert(k.clone(), v.clone());
                }
            }
            let not_object = match rng.below(6) {
                0 => json!("{\"action\":\"Create\"}"),
                1 => json!([Json::Object(data)]),
                2 => Json::Null,
                3 => json!([]),
                4 => json!(4),
                _ => json!("data"),
            };
            top.insert("data".into(), not_object);
            top.insert("sortValues".into(), sort);
            Json::Object(top)
        }
        // Fields beside `data` too, which the filter must not read.
        4 | 5 => {
            let mut top = Map::new();
            top.insert("sortValues".into(), sort);
            top.insert("action".into(), json!("Create"));
            top.insert("severity".into(), json!(5));
            top.insert("platform".into(), json!("WINDOWS"));
            top.insert("data".into(), Json::Object(data));
            Json::Object(top)
        }
        _ => json!({"sortValues": sort, "data": data}),
    }
}

// ---------------------------------------------------------------------------------------------
// The JSON text writer.

/// Which whitespace goes between tokens.
#[derive(Clone, Copy, Debug)]
enum Space {
    /// None, as most real records.
    Compact,
    /// Spaces only (no byte below 0x20 in the record).
    Spaces,
    /// Any of space, tab, line feed and carriage return.
    Any,
}

struct Writer<'r> {
    rng: &'r mut Rng,
    out: Vec<u8>,
    space: Space,
    /// Percent of strings (values and keys) written with random escapes.
    escape_pct: u32,
    /// Percent of numbers written in another form.
    number_pct: u32,
    /// Percent of members of the filters' keys written twice (before or after with another value).
    hot_dup_pct: u32,
    /// Percent of other members written twice.
    dup_pct: u32,
    /// Percent of objects whose members are shuffled.
    shuffle_pct: u32,
    /// Percent of values replaced by an odd number.
    odd_pct: u32,
    /// Percent of the filters' keys whose value is an odd number.
    odd_hot_pct: u32,
    /// Nothing changed the meaning of the value.
    exact: bool,
}

impl Writer<'_> {
    fn ws(&mut self) {
        match self.space {
            Space::Compact => {}
            Space::Spaces => {
                if self.rng.chance(30) {
                    for _ in 0..self.rng.below(3) + 1 {
                        self.out.push(b' ');
                    }
                }
            }
            Space::Any => {
                if self.rng.chance(40) {
                    for _ in 0..self.rng.below(3) + 1 {
                        let c = *self.rng.pick(b" \t\n\r");
                        self.out.push(c);
                    }
                }
            }
        }
    }

    fn value(&mut self, v: &Json) {
        if self.odd_pct > 0 && !v.is_object() && !v.is_array() && self.rng.chance(self.odd_pct) {
            self.odd_number();
            return;
        }
        match v {
            Json::Null => self.out.extend_from_slice(b"null"),
            Json::Bool(b) => self
                .out
                .extend_from_slice(if *b { b"true" } else { b"false" }),
            Json::Number(n) => self.number(n),
            Json::String(s) => self.string(s),
            Json::Array(items) => {
                self.out.push(b'[');
                self.ws();
                for (k, x) in items.iter().enumerate() {
                    if k > 0 {
                        self.comma();
                    }
                    self.value(x);
                }
                self.ws();
                self.out.push(b']');
            }
            Json::Object(m) => {
                let mut members: Vec<(&String, &Json)> = m.iter().collect();
                if self.rng.chance(self.shuffle_pct) {
                    for k in (1..members.len()).rev() {
                        let j = self.rng.below(k + 1);
                        members.swap(k, j);
                    }
                }
                self.out.push(b'{');
                self.ws();
                let mut first = true;
                for (k, x) in members {
                    let pct = if HOT_KEYS.contains(&k.as_str()) {
                        self.hot_dup_pct
                    } else {
                        self.dup_pct
                    };
                    let dup = (pct > 0 && self.rng.chance(pct)).then(|| decoy(self.rng, x));
                    let before = self.rng.chance(50);
                    if let (Some(d), true) = (&dup, before) {
                        self.member(&mut first, k, d);
                    }
                    self.member(&mut first, k, x);
                    if let (Some(d), false) = (&dup, before) {
                        self.member(&mut first, k, d);
                    }
                    if dup.is_some() {
                        self.exact = false;
                    }
                }
                self.ws();
                self.out.push(b'}');
            }
        }
    }

    /// A `,` between elements or members, with whitespace around it.
    fn comma(&mut self) {
        self.ws();
        self.out.push(b',');
        self.ws();
    }

    fn member(&mut self, first: &mut bool, k: &str, v: &Json) {
        if !*first {
            self.comma();
        }
        *first = false;
        self.string(k);
        self.ws();
        self.out.push(b':');
        self.ws();
        if self.odd_hot_pct > 0 && HOT_KEYS.contains(&k) && self.rng.chance(self.odd_hot_pct) {
            self.odd_number();
        } else {
            self.value(v);
        }
    }

    fn odd_number(&mut self) {
        self.exact = false;
        let text = if self.rng.chance(70) {
            self.rng.pick(ODD_NUMBERS).to_string()
        } else {
            long_number(self.rng)
        };
        self.out.extend_from_slice(text.as_bytes());
    }

    fn number(&mut self, n: &serde_json::Number) {
        if !self.rng.chance(self.number_pct) {
            self.out.extend_from_slice(n.to_string().as_bytes());
            return;
        }
        // Another text for the same number: serde_json reads most of them as a float.
        self.exact = false;
        let text = n.to_string();
        let (neg, digits) = match text.strip_prefix('-') {
            Some(d) => ("-", d.to_string()),
            None => ("", text.clone()),
        };
        let form = if n.is_f64() {
            match self.rng.below(5) {
                0 => format!("{text}e0"),
                1 => format!("{text}000"),
                2 => format!("{neg}{digits}E+00"),
                3 => format!("{neg}0{}", if digits.contains('.') { "" } else { ".0" }),
                _ => text.clone(),
            }
        } else {
            let exp = digits.len() - 1;
            match self.rng.below(11) {
                0 => format!("{text}.0"),
                1 => format!("{text}e0"),
                2 => format!("{neg}{digits}0E-1"),
                3 => format!("{neg}0.{digits}e{}", digits.len()),
                4 => format!("{text}.000"),
                5 => format!("{text}e+0"),
                6 => format!(
                    "{neg}{}.{}e{exp}",
                    &digits[..1],
                    if exp == 0 { "0" } else { &digits[1..] }
                ),
                7 => format!("{neg}{digits}{}e-30", "0".repeat(30)),
                8 => format!("{neg}0.{}{digits}e{}", "0".repeat(300), 300 + digits.len()),
                9 => format!("-{digits}"),
                _ => format!("{text}{}", "0".repeat(self.rng.below(25))),
            }
        };
        self.out.extend_from_slice(form.as_bytes());
    }

    fn string(&mut self, s: &str) {
        if let Some(text) = s.strip_prefix(RAW) {
            self.exact = false;
            self.out.extend_from_slice(text.as_bytes());
            return;
        }
        self.out.push(b'"');
        let escape = self.rng.chance(self.escape_pct);
        // How often each character is escaped, when escaping.
        let each = *self.rng.pick(&[10u32, 50, 100]);
        // 0: lower-case hex, 1: upper-case, 2: mixed.
        let case = self.rng.below(3);
        for c in s.chars() {
            let must = c == '"' || c == '\\' || c < ' ';
            if escape && self.rng.chance(each) || must {
                let short = match c {
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    '/' => Some('/'),
                    '\u{8}' => Some('b'),
                    '\u{c}' => Some('f'),
                    '\n' => Some('n'),
                    '\r' => Some('r'),
                    '\t' => Some('t'),
                    _ => None,
                };
                match short {
                    Some(e) if !escape || self.rng.chance(50) => {
                        self.out.push(b'\\');
                        self.out.push(e as u8);
                    }
                    _ => {
                        let mut units = [0u16; 2];
                        for &u in c.encode_utf16(&mut units).iter() {
                            self.out.extend_from_slice(b"\\u");
                            for shift in [12, 8, 4, 0] {
                                let d = u32::from((u >> shift) & 0xF);
                                let mut h = char::from_digit(d, 16).unwrap_or('0');
                                if case == 1 || case == 2 && self.rng.chance(50) {
                                    h = h.to_ascii_uppercase();
                                }
                                self.out.push(h as u8);
                            }
                        }
                    }
                }
            } else {
                let mut buf = [0u8; 4];
                self.out
                    .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
        self.out.push(b'"');
    }
}

/// Writing choices for one record: most records plain, some with every trick.
fn writer(rng: &mut Rng) -> Writer<'_> {
    let space = *rng.pick(&[Space::Compact, Space::Compact, Space::Spaces, Space::Any]);
    let tricky = rng.chance(50);
    let escape_pct = if tricky { *rng.pick(&[5, 30, 100]) } else { 0 };
    let number_pct = if tricky { *rng.pick(&[0, 20, 60]) } else { 0 };
    let hot_dup_pct = if tricky { *rng.pick(&[0, 0, 5, 20]) } else { 0 };
    let dup_pct = if tricky { *rng.pick(&[0, 0, 2]) } else { 0 };
    let odd_pct = if tricky { *rng.pick(&[0, 0, 0, 2]) } else { 0 };
    let odd_hot_pct = if tricky { *rng.pick(&[0, 0, 3, 10]) } else { 0 };
    Writer {
        rng,
        out: Vec::new(),
        space,
        escape_pct,
        number_pct,
        hot_dup_pct,
        dup_pct,
        shuffle_pct: 30,
        odd_pct,
        odd_hot_pct,
        exact: true,
    }
}

/// Writes `v` with random formatting and whitespace around it.
fn write(rng: &mut Rng, v: &Json) -> (Vec<u8>, bool) {
    let mut w = writer(rng);
    w.ws();
    w.value(v);
    w.ws();
    (w.out, w.exact)
}

// ---------------------------------------------------------------------------------------------
// Byte-level corruption.

/// Bytes that break JSON in interesting ways: structure, number and literal characters, a control
/// byte and bytes that are not ASCII.
const CORRUPT: &[u8] = b"\"\\{}[],:0-eE.tfn\x00\x01\x1f\n\t\x7f\x80\xbf\xc3\xe2\xed\xf0\xff";

fn corrupt(rng: &mut Rng, b: &mut Vec<u8>) {
    for _ in 0..rng.below(3) + 1 {
        if b.is_empty() {
            b.push(*rng.pick(CORRUPT));
            continue;
        }
        let at = rng.below(b.len());
        match rng.below(7) {
            0 | 1 => {
                b.remove(at);
            }
            2 | 3 => b.insert(at, *rng.pick(CORRUPT)),
            4 | 5 => b[at] = *rng.pick(CORRUPT),
            _ => b.truncate(at),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The check.

/// The record as text, for failure messages: lossily decoded, then every byte exactly.
fn show(record: &[u8]) -> String {
    format!(
        "record (lossy): {:?}\nrecord (bytes): b\"{}\"",
        String::from_utf8_lossy(record),
        record.escape_ascii()
    )
}

/// What the contract says the fast path must answer: `Some(answer)` for an object, `None` for an
/// error.
fn expected(filter: &Filter, parsed: &Result<Json, serde_json::Error>) -> Option<bool> {
    match parsed {
        Ok(v) if v.is_object() => Some(filter.matches(v)),
        _ => None,
    }
}

/// The contract broken on `record`, if it is.
fn violation(
    filter: &Filter,
    m: &mut Matcher<'_>,
    pre: &mut Matcher<'_>,
    record: &[u8],
    parsed: &Result<Json, serde_json::Error>,
) -> Option<String> {
    let fast = m.matches_json(record);
    let with_pre = pre.matches_json(record);
    match expected(filter, parsed) {
        Some(want) => {
            if fast != Ok(want) {
                return Some(format!(
                    "matches_json gave {fast:?}, Filter::matches on the parsed record {want}"
                ));
            }
            if with_pre != Ok(want) {
                return Some(format!(
                    "with the prefilter matches_json gave {with_pre:?}, Filter::matches {want}"
                ));
            }
        }
        None => {
            if fast.is_ok() {
                return Some(format!(
                    "matches_json gave {fast:?} on a record serde_json reads as {}",
                    match parsed {
                        Ok(v) => format!("a non-object: {:.80}", v.to_string()),
                        Err(e) => format!("an error: {e}"),
                    }
                ));
            }
            if with_pre == Ok(true) {
                return Some(format!(
                    "with the prefilter matches_json gave Ok(true) on a record that is not an object ({parsed:?})"
                ));
            }
        }
    }
    None
}

/// Whether fresh matchers break the contract on `record`.
fn fails_fresh(filter: &Filter, record: &[u8]) -> bool {
    let parsed = serde_json::from_slice::<Json>(record);
    let mut m = filter.matcher();
    let mut pre = filter.matcher().with_prefilter(true);
    violation(filter, &mut m, &mut pre, record, &parsed).is_some()
}

/// A smaller record that still breaks the contract (bytes removed while it does).
fn minimize(filter: &Filter, record: &[u8]) -> Vec<u8> {
    let mut cur = record.to_vec();
    let mut chunk = cur.len() / 2;
    while chunk > 0 {
        let mut at = 0;
        let mut shrunk = false;
        while at < cur.len() {
            let end = (at + chunk).min(cur.len());
            let mut cand = cur[..at].to_vec();
            cand.extend_from_slice(&cur[end..]);
            if fails_fresh(filter, &cand) {
                cur = cand;
                shrunk = true;
            } else {
                at += chunk;
            }
        }
        if !shrunk {
            chunk /= 2;
        }
    }
    cur
}

/// Counts for one test, to make sure it is not vacuous.
#[derive(Default, Debug)]
struct Stats {
    records: usize,
    objects: usize,
    errors: usize,
    not_objects: usize,
    exact: usize,
    deep: usize,
    /// Per filter: (object records, matches).
    per_filter: Vec<(usize, usize)>,
}

struct Harness<'f> {
    filters: &'f [(&'static str, Filter)],
    matchers: Vec<(Matcher<'f>, Matcher<'f>)>,
    /// Per filter, the record its matchers saw last, for failures that depend on it.
    prev: Vec<Vec<u8>>,
    stats: Stats,
}

impl<'f> Harness<'f> {
    fn new(filters: &'f [(&'static str, Filter)]) -> Self {
        Harness {
            filters,
            matchers: filters
                .iter()
                .map(|(_, f)| (f.matcher(), f.matcher().with_prefilter(true)))
                .collect(),
            prev: vec![Vec::new(); filters.len()],
            stats: Stats {
                per_filter: vec![(0, 0); filters.len()],
                ..Stats::default()
            },
        }
    }

    /// Checks the contract on `record` for every filter, or for a random share `pct` of them to
    /// keep debug builds quick (matchers are reused across records).
    fn check(&mut self, record: &[u8], made: Made, what: &str, rng: &mut Rng, pct: u32) {
        let parsed = serde_json::from_slice::<Json>(record);
        self.stats.records += 1;
        match &parsed {
            Ok(v) if v.is_object() => self.stats.objects += 1,
            Ok(_) => self.stats.not_objects += 1,
            Err(_) => self.stats.errors += 1,
        }
        self.stats.exact += usize::from(made.exact);
        self.stats.deep += usize::from(made.deep);
        for (k, (src, filter)) in self.filters.iter().enumerate() {
            if !rng.chance(pct) {
                continue;
            }
            let (m, pre) = &mut self.matchers[k];
            if let Some(why) = violation(filter, m, pre, record, &parsed) {
                let fresh = if fails_fresh(filter, record) {
                    "fresh matchers fail too".to_string()
                } else {
                    format!(
                        "fresh matchers do NOT fail: state kept across records; the \
                         matchers saw this record just before:\n{}",
                        show(&self.prev[k])
                    )
                };
                let small = minimize(filter, record);
                let small_why = {
                    let parsed = serde_json::from_slice::<Json>(&small);
                    let mut m = filter.matcher();
                    let mut pre = filter.matcher().with_prefilter(true);
                    violation(filter, &mut m, &mut pre, &small, &parsed).unwrap_or_default()
                };
                panic!(
                    "fast path breaks the contract ({what}; {made:?}; {fresh})\nfilter: {src}\n{why}\n{}\n\nminimized: {small_why}\n{}",
                    show(record),
                    show(&small)
                );
            }
            self.prev[k].clear();
            self.prev[k].extend_from_slice(record);
            if let Some(want) = expected(filter, &parsed) {
                let s = &mut self.stats.per_filter[k];
                s.0 += 1;
                s.1 += usize::from(want);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The tests.

/// The share of the filters (percent) each generated record is checked against.
const SHARE: u32 = 25;

/// Events written with every formatting trick; meaning-preserving writes must read back as the
/// value written, and every filter must match a fair share of them.
#[test]
fn events_with_every_formatting_trick() {
    let filters = compile_all();
    let mut h = Harness::new(&filters);
    let mut rng = rng(0xF457_0001);
    for _ in 0..cases(600) {
        let mut deep = false;
        let v = event(&mut rng, &mut deep);
        let (bytes, exact) = write(&mut rng, &v);
        if exact {
            // The writer itself: what it writes without changing the meaning reads back as is.
            match serde_json::from_slice::<Json>(&bytes) {
                Ok(back) => assert!(back == v, "the writer changed the value\n{}", show(&bytes)),
                Err(e) => assert!(deep, "the writer wrote invalid JSON: {e}\n{}", show(&bytes)),
            }
        }
        h.check(&bytes, Made { exact, deep }, "event", &mut rng, SHARE);
    }
    let s = &h.stats;
    assert!(
        s.objects * 10 >= s.records * 8,
        "too few valid events: {s:?}"
    );
    assert!(s.errors > 0, "no record was too deep: {s:?}");
    assert!(
        s.exact * 100 >= s.records * 15 && s.exact * 10 <= s.records * 9,
        "too few or too many records written as their value: {s:?}"
    );
    let (mut objects, mut matches) = (0, 0);
    for (k, &(n, hits)) in s.per_filter.iter().enumerate() {
        let rate = hits as f64 / n as f64;
        assert!(
            (0.02..=0.98).contains(&rate),
            "filter {:?} matches {hits} of {n} events: the test would be vacuous",
            filters[k].0
        );
        objects += n;
        matches += hits;
    }
    let rate = matches as f64 / objects as f64;
    assert!((0.15..=0.85).contains(&rate), "overall match rate {rate}");
}

/// Events corrupted byte by byte: mostly errors, some still objects (which must then match as
/// the parsed object does).
#[test]
fn corrupted_records() {
    let filters = compile_all();
    let mut h = Harness::new(&filters);
    let mut rng = rng(0xF457_0002);
    for _ in 0..cases(600) {
        let mut deep = false;
        let v = event(&mut rng, &mut deep);
        let (mut bytes, exact) = write(&mut rng, &v);
        corrupt(&mut rng, &mut bytes);
        h.check(
            &bytes,
            Made { exact, deep },
            "corrupted event",
            &mut rng,
            SHARE,
        );
    }
    let s = &h.stats;
    assert!(s.errors * 2 >= s.records, "too few errors: {s:?}");
    assert!(s.objects * 50 >= s.records, "too few valid records: {s:?}");
}

/// Records that are valid JSON but not objects are errors, whatever they hold.
#[test]
fn records_that_are_not_objects() {
    let filters = compile_all();
    let mut h = Harness::new(&filters);
    let mut rng = rng(0xF457_0003);
    for _ in 0..cases(200) {
        let mut deep = false;
        let e = event(&mut rng, &mut deep);
        let v = match rng.below(8) {
            0 => json!([e]),
            1 => json!([e.clone(), e]),
            2 => json!([]),
            3 => Json::String(e.to_string()),
            4 => any_scalar(&mut rng),
            5 => json!(*rng.pick(&[0.5, -0.0, 4.0])),
            6 => json!([{"action": "Create"}]),
            _ => json!("{\"data\":{\"action\":\"Create\"}}"),
        };
        let (bytes, exact) = write(&mut rng, &v);
        if exact && !deep {
            assert!(
                serde_json::from_slice::<Json>(&bytes).is_ok_and(|v| !v.is_object()),
                "{}",
                show(&bytes)
            );
        }
        h.check(
            &bytes,
            Made { exact, deep },
            "not an object",
            &mut rng,
            SHARE,
        );
    }
    let s = &h.stats;
    assert!(s.not_objects * 10 >= s.records * 7, "{s:?}");
}

/// Hand-written records at the edges: nesting around the limits, duplicate `data`, escaped keys,
/// number forms, odd whitespace and trailing bytes.
#[test]
fn edge_records() {
    let filters = compile_all();
    let mut h = Harness::new(&filters);
    let mut records: Vec<Vec<u8>> = Vec::new();
    let ev = r#"{"action":"Create","severity":4,"platform":"WINDOWS","baseline":true,"dateTime":"2023-04-15T12:00:00.000+0000","asset":{"name":"DESKTOP-1","tags":[8543820]},"fileAttribute":{"hidden":"Added"},"profiles":[{"rules":[{"name":"CR_1","severity":3}]}],"actor":{"process":"σίσυφος.exe","userName":"SYSTEM"},"fullPath":"C:\\Windows\\System32\\x.dll","name":"x.dll","size":1001}"#;
    let fixed: &[&str] = &[
        ev,
        "{}",
        " {} ",
        "{\"data\":{}}",
        "{\"data\":[]}",
        "{\"data\":null,\"action\":\"Create\"}",
        "{\"action\":\"Create\",\"data\":\"x\"}",
        "{\"data\":{\"action\":\"Delete\"},\"data\":{\"action\":\"Create\"}}",
        "{\"data\":{\"action\":\"Create\"},\"data\":{\"action\":\"Delete\"}}",
        "{\"data\":{\"action\":\"Create\"},\"data\":1}",
        "{\"data\":1,\"data\":{\"action\":\"Create\"}}",
        "{\"action\":\"Create\",\"data\":{\"action\":\"Delete\"},\"action\":\"x\"}",
        "{\"\\u0064ata\":{\"action\":\"Create\"}}",
        "{\"data\":{\"\\u0061ction\":\"Create\"}}",
        "{\"data\":{\"act\\u0069on\":\"cr\\u00c9ate\"}}",
        "{\"data\":{\"action\":\"\\u0043reate\"}}",
        "{\"data\":{\"action\":\"Cr\\/eate\"}}",
        "{\"data\":{\"action\":\"CRÉATE\"}}",
        "{\"data\":{\"action\":\"Create\",\"action\":\"Delete\"}}",
        "{\"data\":{\"action\":\"Delete\",\"action\":\"Create\"}}",
        "{\"data\":{\"action\":\"Delete\",\"\\u0061ction\":\"Create\"}}",
        "{\"data\":{\"asset\":{\"tags\":[1]},\"asset\":{\"tags\":[8543820]}}}",
        "{\"data\":{\"asset\":{\"tags\":[1],\"tags\":[8543820]}}}",
        "{\"data\":{\"profiles\":[{\"rules\":[{\"name\":\"CR_1\",\"name\":\"x\"}]}]}}",
        "{\"data\":{\"severity\":4}}",
        "{\"data\":{\"severity\":4.0}}",
        "{\"data\":{\"severity\":4e0}}",
        "{\"data\":{\"severity\":\"4\"}}",
        "{\"data\":{\"severity\":-0}}",
        "{\"data\":{\"severity\":18446744073709551616}}",
        "{\"data\":{\"severity\":1e400}}",
        "{\"data\":{\"severity\":1e-400}}",
        "{\"data\":{\"other\":1e400,\"severity\":5}}",
        "{\"data\":{\"other\":-1E400,\"severity\":5}}",
        "{\"data\":{\"other\":1000000000000000000000000000000000000000,\"severity\":5}}",
        "{\"data\":{\"dateTime\":1682899200000}}",
        "{\"data\":{\"dateTime\":1682899200000.0}}",
        "{\"data\":{\"baseline\":\"TRUE\"}}",
        "{\"data\":{\"x\":\"\\ud83d\\ude00\",\"action\":\"Create\"}}",
        "{\"data\":{\"x\":\"\\ud83d\",\"action\":\"Create\"}}",
        "{\"data\":{\"x\":\"\\ude00\",\"action\":\"Create\"}}",
        "{\"data\":{\"x\":\"\\ud83d\\u0041\",\"action\":\"Create\"}}",
        "{\"data\":{\"x\":\"\\ud83d\\\"\",\"action\":\"Create\"}}",
        "{\"data\":{\"x\":\"\\\\\",\"action\":\"Create\"}}",
        "{\"data\":{\"action\":\"\\u005C\",\"x\":\"Create\"}}",
        "{\"data\":{\"action\":\"\\u005c\\u0022\",\"action2\":\"Create\"}}",
        "{\"data\":{\"x\":\"\\u005C\\\"\",\"action\":\"Create\"}}",
        "{\"data\":{\"x\":\"\\\\u0022\",\"action\":\"Create\"}}",
        "{\"data\":{\"x\":\"\\\\\\\"\",\"action\":\"Create\"}}",
        "{\"data\":{\"x\":\"\\x\",\"action\":\"Create\"}}",
        "{\"data\":{\"x\":\"\t\",\"action\":\"Create\"}}",
        "{\"data\":{\"x\":\"\u{7f}\",\"action\":\"Create\"}}",
        "\t{\r\n\"data\"\n:\r{ \"action\" :\t\"Create\"\n}\r}\n",
        "{\"data\":{\"action\":\"Create\"}}x",
        "{\"data\":{\"action\":\"Create\"}}{}",
        "{\"data\":{\"action\":\"Create\"}},",
        "{\"data\":{\"action\":\"Create\"},}",
        "{\"data\":{\"action\":\"Create\",}}",
        "{\"data\":{\"action\":[\"Create\",]}}",
        "{\"data\":{\"action\":\"Create\"}",
        "{\"data\":{\"action\":Create}}",
        "{\"data\":{\"action\":tru}}",
        "{\"data\":{\"baseline\":truex}}",
        "{\"data\":{\"severity\":04}}",
        "{\"data\":{\"severity\":+4}}",
        "{\"data\":{\"severity\":4.}}",
        "{\"data\":{\"severity\":.4}}",
        "{\"data\":{\"severity\":4e}}",
        "{\"data\":{\"severity\":-}}",
        "{'data':{}}",
        "{\"data\" {}}",
        "[]",
        "\"x\"",
        "4",
        "null",
        "",
        " ",
        "\u{feff}{}",
    ];
    records.extend(fixed.iter().map(|s| s.as_bytes().to_vec()));
    // Invalid UTF-8 in a string that is read and in one that is skipped.
    records.push(b"{\"data\":{\"action\":\"Cr\xffate\"}}".to_vec());
    records.push(b"{\"data\":{\"x\":\"\xc3\",\"action\":\"Create\"}}".to_vec());
    records.push(b"{\"data\":{\"x\":\"\xed\xa0\x80\",\"action\":\"Create\"}}".to_vec());
    let mut rng = rng(0xF457_0004);
    for r in &records {
        h.check(r, Made::default(), "edge record", &mut rng, 100);
    }
    records.clear();
    // Nesting around the limits, in a skipped field and in read ones, as arrays and objects.
    for depth in [
        90, 96, 97, 98, 99, 100, 101, 102, 120, 124, 125, 126, 127, 128, 129, 130, 200,
    ] {
        let arrays = |leaf: &str| format!("{}{leaf}{}", "[".repeat(depth), "]".repeat(depth));
        let objects = |key: &str, leaf: &str| {
            format!(
                "{}{leaf}{}",
                format!("{{\"{key}\":").repeat(depth),
                "}".repeat(depth)
            )
        };
        for (at, body) in [
            ("x", arrays("1")),
            ("x", objects("a", "1")),
            ("action", arrays("\"Create\"")),
            ("action", objects("action", "\"Create\"")),
            ("profiles", arrays("{\"rules\":[{\"name\":\"CR_1\"}]}")),
            ("asset", objects("asset", "{\"tags\":[8543820]}")),
        ] {
            for envelope in [true, false] {
                let inner = format!("\"{at}\":{body},\"action\":\"Create\",\"severity\":5");
                let inner = if at == "action" {
                    format!("\"{at}\":{body},\"severity\":5")
                } else {
                    inner
                };
                records.push(if envelope {
                    format!("{{\"sortValues\":[1],\"data\":{{{inner}}}}}").into_bytes()
                } else {
                    format!("{{{inner}}}").into_bytes()
                });
            }
        }
        // Unbalanced: one bracket missing or one too many.
        records.push(
            format!("{{\"x\":{}1{}}}", "[".repeat(depth), "]".repeat(depth - 1)).into_bytes(),
        );
        records.push(
            format!("{{\"x\":{}1{}}}", "[".repeat(depth), "]".repeat(depth + 1)).into_bytes(),
        );
    }
    for r in &records {
        h.check(r, Made::default(), "edge record", &mut rng, 2 * SHARE);
    }
    records.clear();
    // Every length of a record cut short, and strings across the 64-byte words of the index.
    let full = format!("{{\"data\":{ev}}}");
    // Cut anywhere, also inside a multi-byte character.
    for cut in 0..full.len() {
        records.push(full.as_bytes()[..cut].to_vec());
    }
    for pad in 0..140 {
        let p = "p".repeat(pad);
        records.push(
            format!("{{\"data\":{{\"{p}\":\"\\\"{p}\\\\\",\"action\":\"Create\"}}}}").into_bytes(),
        );
        records.push(
            format!("{{\"data\":{{\"x\":\"{p}\",\"action\":\"Cr\\u0065ate\",\"severity\":4}}}}")
                .into_bytes(),
        );
    }
    for r in &records {
        h.check(r, Made::default(), "edge record", &mut rng, SHARE);
    }
}

/// An event integer beyond 64 bits compares by value (`grammar.md`, "Limits"): above or below
/// every filter integer, as the same digits in a string do, on both paths.
#[test]
fn integers_beyond_64_bits_compare_by_value() {
    let opts = Options::new(Scope::Events);
    // (event severity as written, filter, expected)
    let cases: &[(&str, &str, bool)] = &[
        ("18446744073709551616", "severity>3", true),
        ("18446744073709551616", "severity<3", false),
        (
            "18446744073709551616",
            "severity>=9223372036854775807",
            true,
        ),
        ("\"18446744073709551616\"", "severity>3", true),
        (
            "123456789012345678901234567890",
            "severity:[0..9223372036854775807]",
            false,
        ),
        (
            "123456789012345678901234567890",
            "severity>9223372036854775807",
            true,
        ),
        (
            "-9223372036854775809",
            "severity<=-9223372036854775808",
            true,
        ),
        (
            "-9223372036854775809",
            "severity>=-9223372036854775808",
            false,
        ),
        (
            "\"-9223372036854775809\"",
            "severity<=-9223372036854775808",
            true,
        ),
        ("-9223372036854775809", "NOT severity>0", true),
        // Within 64 bits, a non-integer is not an integer.
        ("4.0", "severity:4", false),
        ("1e2", "severity:100", false),
        ("18446744073709551615", "severity>9223372036854775807", true),
        (
            "18446744073709551615",
            "severity:[* .. 9223372036854775807]",
            false,
        ),
    ];
    for &(sev, src, want) in cases {
        let f = compile(src, &opts).unwrap_or_else(|e| panic!("{src}: {e:?}"));
        let text = format!(r#"{{"severity":{sev}}}"#);
        let v: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(f.matches(&v), want, "Filter::matches: {src} on {text}");
        let mut m = f.matcher();
        assert_eq!(
            m.matches_json(text.as_bytes()).unwrap(),
            want,
            "Matcher::matches_json: {src} on {text}"
        );
        assert_eq!(
            f.explain(&v).matched(),
            want,
            "Filter::explain: {src} on {text}"
        );
    }
}

/// The scanner's index and skipping loop at their edges: escapes, backslash runs and structural
/// bytes inside strings at every offset across the 64-byte words of the index, in keys and values
/// of members that are skipped and of members that are read; escaped keys, repeated keys and
/// nesting around 63 levels (where the skipping loop hands a container to a call of its own)
/// after skipped containers. Besides the contract, the scanner alone must accept exactly the
/// records serde_json accepts (these have no control bytes and little nesting, so none is handed
/// over): a valid record handed to serde_json would be right but slow, and no other test would
/// notice.
#[test]
fn strings_and_skipped_members_across_index_words() {
    let filters = compile_all();
    let mut h = Harness::new(&filters);
    let mut rng = rng(0xF457_0006);
    let mut plain = filters[0].1.matcher();
    let mut check = |h: &mut Harness<'_>, rng: &mut Rng, r: &[u8], pct: u32| {
        let valid = serde_json::from_slice::<Json>(r).is_ok();
        assert_eq!(
            plain.scanner_validates(r),
            valid,
            "the scanner alone does not agree with serde_json\n{}",
            show(r)
        );
        h.check(r, Made::default(), "index word edge", rng, pct);
    };
    // Inside a string: escapes and backslash runs (some ending the string), structural bytes,
    // escaped quotes; and a few that make the record invalid.
    let gadgets: &[&str] = &[
        r#"\""#,
        r#"\\"#,
        r#"\\\""#,
        r#"\\\\"#,
        r#"\\\\\""#,
        r#"\u0022"#,
        r#"\u005c"#,
        r#"\ud83d\ude00"#,
        r#"{}[]:,"#,
        r#"\",\"a\":\"b"#,
        r#"\"}"#,
        r#"\/\b\f\n\r\t"#,
        "é€",
        r#"\x"#,
        r#"\u00G0"#,
        r#"\ud83d"#,
        "\\",
    ];
    for (g, gadget) in gadgets.iter().enumerate() {
        for pad in 0..132 {
            let p = "p".repeat(pad);
            let q = "q".repeat((pad * 7 + g) % 64);
            for r in [
                // In a skipped value, then in a skipped key, after a skipped container.
                format!(
                    r#"{{"data":{{"x{p}":"{gadget}","y":{{"z":["{q}{gadget}"]}},"action":"Create"}}}}"#
                ),
                format!(
                    r#"{{"data":{{"n":[{{}}],"{p}{gadget}":"{q}","action":"Create","s":"{gadget}"}}}}"#
                ),
                // In read values and keys, wanted and not.
                format!(
                    r#"{{"sortValues":["{p}"],"data":{{"action":"{gadget}Create","actor":{{"process":"{q}{gadget}"}}}}}}"#
                ),
                format!(
                    r#"{{"data":{{"{p}":1,"act{gadget}ion":"Create","asset":{{"name{gadget}":"{q}","name":"desktop{gadget}"}}}}}}"#
                ),
                // At the top, and in an array of strings ending at the word's edge.
                format!(
                    r#"{{"{p}{gadget}":"{q}","action":"Create","tags":["{q}","{gadget}","{p}"]}}"#
                ),
            ] {
                check(&mut h, &mut rng, r.as_bytes(), 10);
            }
        }
    }
    // Members skipped in runs, with containers, escaped and repeated keys among them, compact
    // and spaced.
    let runs: &[&str] = &[
        r#"{"data":{"x":{},"\u0061ction":"Create"}}"#,
        r#"{"data":{"x":[1],"act\u0069on":"Create","y":2}}"#,
        r#"{"data":{"x":{},"action":"Delete","y":[],"action":"Create"}}"#,
        r#"{"data":{"x":{"action":"Create"},"y":[{"action":"Create"}],"action":"Delete"}}"#,
        r#"{"data":{"a":null,"b":null,"c":{"d":null},"e":null,"action":"Create","f":null}}"#,
        r#"{"data":{"a":1,"b":-2,"c":3.5,"d":1e3,"e":0,"f":true,"g":false,"action":"Create"}}"#,
        r#"{"data":{"a":01,"action":"Create"}}"#,
        r#"{"data":{"a":1,"b":2,,"action":"Create"}}"#,
        r#"{"data":{"a":{},"b":[],"c":{}"action":"Create"}}"#,
        r#"{"data":{"a":{"b":1}"c":2,"action":"Create"}}"#,
        r#"{"data":{"a":[1}],"action":"Create"}}"#,
        r#"{"data":{"a":{"b"},"action":"Create"}}"#,
        r#"{"data":{"a":{"b":1,},"action":"Create"}}"#,
        r#"{"data":{"a":nul,"action":"Create"}}"#,
        r#"{"data":{"a":null,"b":nulls,"action":"Create"}}"#,
        r#"{"data":{"a":"b":"c","action":"Create"}}"#,
        r#"{"data":{"a":1}, "b":{"c":[1, 2, {"d": "e"}]} , "action" : "Create" }"#,
        r#"{ "data" : { "x" : { } , "y" : [ ] , "action" : "Create" , "z" : [ { } ] } }"#,
        r#"{"data":{"x":{},"action":"Create"},"data":{"x":[]}}"#,
        r#"{"data":{"x":{}},"y":[],"action":"Create"}"#,
    ];
    for r in runs {
        check(&mut h, &mut rng, r.as_bytes(), 100);
        // And cut short anywhere.
        for cut in 0..r.len() {
            check(&mut h, &mut rng, &r.as_bytes()[..cut], 5);
        }
    }
    // Nesting around 63 levels in one skipping call (and around 100 in all), under a skipped
    // member and under a read one, in arrays and objects, balanced or not.
    for depth in [
        1, 2, 61, 62, 63, 64, 65, 66, 94, 95, 96, 97, 98, 99, 100, 101, 126, 127, 128,
    ] {
        for (open, close) in [("[", "]"), ("{\"k\":", "}"), ("[{\"k\":", "}]")] {
            for (at, extra) in [("x", 0), ("x", 1), ("profiles", 0), ("asset", 0)] {
                let body = format!(
                    "{}1{}",
                    open.repeat(depth),
                    close.repeat(depth.saturating_sub(extra))
                );
                for r in [
                    format!(r#"{{"data":{{"{at}":{body},"action":"Create"}}}}"#),
                    format!(r#"{{"data":{{"action":"Create","{at}":{body}}}}}"#),
                    format!(r#"{{"{at}":{body},"action":"Create"}}"#),
                ] {
                    let valid = serde_json::from_slice::<Json>(r.as_bytes()).is_ok();
                    let scanned = plain.scanner_validates(r.as_bytes());
                    // Deep records may be handed over; a record is never accepted wrongly.
                    assert!(
                        !scanned || valid,
                        "accepted wrongly\n{}",
                        show(r.as_bytes())
                    );
                    let levels = depth * open.matches(['[', '{']).count();
                    if levels < 90 {
                        assert_eq!(scanned, valid, "{}", show(r.as_bytes()));
                    }
                    h.check(r.as_bytes(), Made::default(), "nesting", &mut rng, SHARE);
                }
            }
        }
    }
}
