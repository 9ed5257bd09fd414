//! `fimql serve`: the server started as a user would (`--port 0`, the URL read from its first
//! line), its answers checked against `fimql filter`, and its defences: the token, the `Host`
//! and `Origin` checks, the headers, the limits, and files it must not read.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, filter, gzip, stdout};
use serde_json::{Value, json};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/events.ndjson");

/// A running `fimql serve`, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    token: String,
    url: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        // Debug builds on shared cores are slow: no time limit unless a test sets one.
        let limit: &[&str] = if args.contains(&"--time-limit") {
            &[]
        } else {
            &["--time-limit", "3600"]
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_fimql"))
            .arg("serve")
            .args(["--port", "0"])
            .args(limit)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn fimql serve");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("read the URL line");
        let url = first.trim().to_string();
        let rest = url
            .strip_prefix("http://127.0.0.1:")
            .unwrap_or_else(|| panic!("URL on loopback: {url:?}"));
        let (port, token) = rest.split_once("/?token=").expect("token in the URL");
        Server {
            port: port.parse().expect("port"),
            token: token.to_string(),
            url: url.clone(),
            child,
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Sends `head` (the request line and headers, without the final blank line) and `body`
    /// as they are; returns the status, the headers (lower-cased names) and the body.
    fn raw(&self, head: &str, body: &[u8]) -> Resp {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut req = head.replace('\n', "\r\n").into_bytes();
        req.extend_from_slice(b"Connection: close\r\n\r\n");
        req.extend_from_slice(body);
        s.write_all(&req).expect("send");
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        Resp::parse(&out)
    }

    /// A request with this server's Host and the token, plus `extra` headers.
    fn send(&self, method: &str, path: &str, extra: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut head = format!(
            "{method} {path} HTTP/1.1\nHost: {}\nAuthorization: Bearer {}\n",
            self.host(),
            self.token
        );
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\n"));
        }
        if !body.is_empty() || method == "POST" {
            head.push_str(&format!("Content-Length: {}\n", body.len()));
        }
        self.raw(&head, body)
    }

    fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn parse(bytes: &[u8]) -> Resp {
        let text = String::from_utf8_lossy(bytes);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Resp {
            status,
            headers,
            body: body.to_string(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        // The body may be chunked; the JSON object lies between its first `{` and last `}`.
        let (Some(a), Some(b)) = (self.body.find('{'), self.body.rfind('}')) else {
            panic!("no JSON in {self:?}");
        };
        serde_json::from_str(&self.body[a..=b]).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }
}

fn count_by_cli(filter_text: &str, file: &str) -> u64 {
    let out = filter(&["--count", filter_text, file]);
    stdout(&out).trim().parse().expect("a count")
}

#[test]
fn the_url_line_signs_in_with_a_cookie_and_the_page_needs_it() {
    let s = Server::start(&[SAMPLE]);
    // The printed URL: a redirect that sets the cookie.
    let path = s.url.split_once(&s.host()).unwrap().1;
    let r = s.raw(&format!("GET {path} HTTP/1.1\nHost: {}\n", s.host()), b"");
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.header("location"), Some("/"));
    let cookie = r.header("set-cookie").expect("a cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let pair = cookie.split(';').next().unwrap();
    // With the cookie: the page and its script.
    for p in ["/", "/app.js", "/app.css", "/api/info"] {
        let r = s.raw(
            &format!("GET {p} HTTP/1.1\nHost: {}\nCookie: {pair}\n", s.host()),
            b"",
        );
        assert_eq!(r.status, 200, "{p}: {r:?}");
    }
    // Without a token, or with a wrong one: 401, and nothing of the page.
    let wrong = format!("fimql_token_{}={}", s.port, "0".repeat(64));
    for extra in [
        String::new(),
        format!("Cookie: {wrong}\n"),
        "Authorization: Bearer nope\n".to_string(),
        format!("Authorization: Bearer {}x\n", s.token),
    ] {
        for p in ["/", "/app.js", "/api/info", "/?token=abc"] {
            let r = s.raw(
                &format!("GET {p} HTTP/1.1\nHost: {}\n{extra}", s.host()),
                b"",
            );
            assert_eq!(r.status, 401, "{p} {extra}: {r:?}");
            assert!(!r.body.contains("<script") && !r.body.contains("\"tokens\""));
        }
    }
    let r = s.raw(
        &format!(
            "POST /api/check HTTP/1.1\nHost: {}\nContent-Type: application/json\nContent-Length: 2\n",
            s.host()
        ),
        b"{}",
    );
    assert_eq!(r.status, 401);
}

#[test]
fn a_host_that_is_not_this_server_is_refused() {
    let s = Server::start(&[SAMPLE]);
    let auth = format!("Authorization: Bearer {}\n", s.token);
    for host in [
        "evil.example".to_string(),
        format!("evil.example:{}", s.port),
        format!("localhost.evil.example:{}", s.port),
        format!("127.0.0.1:{}", s.port.wrapping_add(1)),
    ] {
        let r = s.raw(
            &format!("GET /api/info HTTP/1.1\nHost: {host}\n{auth}"),
            b"",
        );
        assert_eq!(r.status, 421, "{host}: {r:?}");
        assert!(!r.body.contains("tokens"));
    }
    // No Host at all (HTTP/1.0 allows it; this server does not).
    let r = s.raw(&format!("GET /api/info HTTP/1.0\n{auth}"), b"");
    assert!(r.status == 421 || r.status == 400, "{r:?}");
    for host in [format!("localhost:{}", s.port), s.host()] {
        let r = s.raw(
            &format!("GET /api/info HTTP/1.1\nHost: {host}\n{auth}"),
            b"",
        );
        assert_eq!(r.status, 200, "{host}");
    }
}

#[test]
fn cross_origin_requests_are_refused() {
    let s = Server::start(&[SAMPLE]);
    let q = json!({"filter": "action:Create"}).to_string();
    for (name, value) in [
        ("Origin", "http://evil.example".to_string()),
        ("Origin", format!("http://evil.example:{}", s.port)),
        ("Origin", format!("https://{}", s.host())),
        ("Origin", "null".to_string()),
        ("Sec-Fetch-Site", "cross-site".to_string()),
        ("Sec-Fetch-Site", "same-site".to_string()),
    ] {
        let r = s.send(
            "POST",
            "/api/query",
            &[(name, &value), ("Content-Type", "application/json")],
            q.as_bytes(),
        );
        assert_eq!(r.status, 403, "{name}: {value}: {r:?}");
        assert!(!r.body.contains("count"));
    }
    let own = format!("http://{}", s.host());
    let r = s.send(
        "POST",
        "/api/query",
        &[
            ("Origin", &own),
            ("Sec-Fetch-Site", "same-origin"),
            ("Content-Type", "application/json"),
        ],
        q.as_bytes(),
    );
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn every_response_has_a_policy_without_inline_script() {
    let s = Server::start(&[SAMPLE]);
    let responses = [
        s.send("GET", "/", &[], b""),
        s.send("GET", "/nothing-here", &[], b""),
        s.raw(&format!("GET / HTTP/1.1\nHost: {}\n", s.host()), b""),
        s.raw("GET / HTTP/1.1\nHost: evil.example\n", b""),
    ];
    for r in responses {
        let csp = r.header("content-security-policy").expect("a CSP");
        let script = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .expect("a script-src");
        assert_eq!(script.trim(), "script-src 'self'", "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
    // The page loads its script from the server, and has none inline.
    let page = s.send("GET", "/", &[], b"").body;
    assert!(page.contains("<script src=\"/app.js\""), "{page}");
    assert_eq!(page.matches("<script").count(), 1);
    assert!(!page.contains(" on") || !page.contains("onclick="));
}

#[test]
fn an_oversized_body_gets_413() {
    let s = Server::start(&[SAMPLE]);
    let big = json!({"filter": format!("file.name:{}", "a".repeat(100_000))}).to_string();
    for path in ["/api/check", "/api/query"] {
        let r = s.send(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            big.as_bytes(),
        );
        assert_eq!(r.status, 413, "{path}: {r:?}");
    }
    // An explain request carries an event: up to a few MiB, not more.
    let event = json!({"data": {"action": "Create", "newContent": "x".repeat(500_000)}});
    let r = s.post(
        "/api/explain",
        &json!({"filter": "action:Create", "event": event}),
    );
    assert_eq!(r.status, 200, "{}", r.status);
    let huge = json!({"filter": "action:Create", "event": {"x": "x".repeat(3 << 20)}});
    assert_eq!(s.post("/api/explain", &huge).status, 413);
    // Sent in chunks, without a length: the same.
    let mut chunked = Vec::new();
    for piece in big.as_bytes().chunks(8192) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let head = format!(
        "POST /api/check HTTP/1.1\nHost: {}\nAuthorization: Bearer {}\nContent-Type: application/json\nTransfer-Encoding: chunked\n",
        s.host(),
        s.token
    );
    assert_eq!(s.raw(&head, &chunked).status, 413);
}

#[test]
fn no_request_names_another_file() {
    let dir = TempDir::new("serve-other-file");
    let secret = dir.write("secret.ndjson", "{\"secret\":\"do-not-leak-4711\"}\n");
    let s = Server::start(&[SAMPLE]);
    let paths = [
        "/../../etc/passwd".to_string(),
        "/%2e%2e/%2e%2e/etc/passwd".to_string(),
        "/app.js/../../../etc/passwd".to_string(),
        "//etc/passwd".to_string(),
        format!("/{secret}"),
        format!("/..%2f..%2f..{secret}"),
        format!("/api/info?file={secret}"),
        "/api/../../etc/passwd".to_string(),
        "/assets/app.js".to_string(),
        "/src/bin/fimql/serve/mod.rs".to_string(),
    ];
    for p in &paths {
        let r = s.send("GET", p, &[], b"");
        assert!(
            r.status == 404 || r.status == 400 || r.status == 405 || r.status == 200,
            "{p}: {r:?}"
        );
        assert!(
            !r.body.contains("root:") && !r.body.contains("do-not-leak"),
            "{p}: {r:?}"
        );
        if r.status == 200 {
            // Only /api/info answers, with the files given and nothing else.
            assert!(p.starts_with("/api/info"), "{p}");
        }
    }
    // Fields the API does not have are refused, not ignored.
    for body in [
        json!({"filter": "", "file": secret}),
        json!({"filter": "", "files": [secret]}),
        json!({"filter": "", "path": "/etc/passwd"}),
    ] {
        let r = s.post("/api/query", &body);
        assert_eq!(r.status, 400, "{body}: {r:?}");
        assert!(!r.body.contains("do-not-leak"));
    }
    let info = s.send("GET", "/api/info", &[], b"").json();
    assert_eq!(info["files"].as_array().unwrap().len(), 1);
    let all = s
        .post("/api/query", &json!({"filter": "", "limit": 200}))
        .json();
    assert!(!all.to_string().contains("do-not-leak"));
}

#[cfg(unix)]
#[test]
fn a_file_swapped_after_start_is_not_read() {
    let dir = TempDir::new("serve-swap");
    let given = dir.write("given.ndjson", "{\"action\":\"Create\",\"n\":1}\n");
    let other = dir.write(
        "other.ndjson",
        "{\"action\":\"Create\",\"secret\":\"swapped-in\"}\n",
    );
    let s = Server::start(&[&given]);
    // Another file takes the given name (a new file, not the one opened at start).
    std::fs::rename(&other, &given).unwrap();
    let v = s
        .post("/api/query", &json!({"filter": "action:Create"}))
        .json();
    assert_eq!(v["count"], 1);
    let row = v["events"][0]["event"].as_str().unwrap();
    assert!(
        row.contains("\"n\":1") && !row.contains("swapped-in"),
        "{row}"
    );
}

#[test]
fn malformed_bodies_get_400_with_a_message() {
    let s = Server::start(&[SAMPLE]);
    for (path, body) in [
        ("/api/check", "{"),
        ("/api/check", "not json"),
        ("/api/check", "[]"),
        ("/api/check", "{\"filter\": 3}"),
        ("/api/check", "{\"filter\": \"a\"} trailing"),
        ("/api/query", "{\"filter\": \"\", \"limit\": -1}"),
        ("/api/query", "{\"filter\": \"\", \"offset\": 1e99}"),
        ("/api/query", "{\"filter\": \"\", \"columns\": \"action\"}"),
        ("/api/explain", "{\"filter\": \"action:Create\"}"),
        ("/api/explain", "\u{0}\u{1}"),
        ("/api/check", "{\"filter\": \"\\ud800\"}"),
    ] {
        let r = s.send(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!(r.status, 400, "{path} {body:?}: {r:?}");
        let msg = r.json()["error"].as_str().unwrap_or_default().to_string();
        assert!(msg.starts_with("malformed request body"), "{msg}");
    }
    // Not JSON by its type: 415; a token or a limit out of bounds: 400 naming it.
    let r = s.send(
        "POST",
        "/api/check",
        &[("Content-Type", "text/plain")],
        b"{\"filter\":\"\"}",
    );
    assert_eq!(r.status, 415);
    let r = s.post("/api/query", &json!({"filter": "", "group_by": "actoin"}));
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("actoin"));
    let r = s.post("/api/query", &json!({"filter": "", "limit": 100_000}));
    assert_eq!(r.status, 400);
    // An invalid filter: 422 with its diagnostics.
    let r = s.post("/api/query", &json!({"filter": "actoin:Create"}));
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["diagnostics"][0]["code"], "unknown-token");
    // Every oddity of the filter text gets an answer, not a crash.
    for f in [
        "(((",
        "\u{0}",
        "a:'",
        "dateTime:[now-99999999y..now]",
        &"(".repeat(5000),
    ] {
        for path in ["/api/check", "/api/query"] {
            let r = s.post(path, &json!({"filter": f}));
            assert!(matches!(r.status, 200 | 422), "{path} {f:?}: {r:?}");
        }
    }
    assert_eq!(s.send("GET", "/api/info", &[], b"").status, 200, "still up");
}

#[test]
fn a_listening_address_other_than_loopback_is_warned_about() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fimql"))
        .args(["serve", "--port", "0", "--host", "0.0.0.0", SAMPLE])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.contains("warning") && line.contains("0.0.0.0"),
        "{line}"
    );
    // On loopback, no warning.
    let mut child = Command::new(env!("CARGO_BIN_EXE_fimql"))
        .args(["serve", "--port", "0", SAMPLE])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(!line.contains("warning"), "{line}");
}

#[test]
fn bad_files_and_hosts_are_refused_at_start() {
    let dir = TempDir::new("serve-start");
    for args in [
        vec!["serve", "--port", "0", "no-such-file.ndjson"],
        vec!["serve", "--port", "0", dir.0.to_str().unwrap()],
        vec!["serve", "--port", "0", "--host", "evil.example", SAMPLE],
        vec!["serve", "--port", "0", "--time-limit", "0", SAMPLE],
        vec!["serve", "--port", "0"],
    ] {
        let out = common::fimql(&args, None);
        assert_eq!(common::code(&out), 2, "{args:?}");
        assert!(stdout(&out).is_empty());
    }
}

/// NDJSON events, one per line: `n` events an hour apart from 2023-01-25T00:00Z, every third
/// a `Delete`, with a malformed line after every 1000th.
fn events(n: usize, pad: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let action = if i % 3 == 0 { "Delete" } else { "Create" };
        let ms = 1_674_604_800_000u64 + (i as u64) * 3_600_000;
        s.push_str(&format!(
            "{{\"data\":{{\"dateTime\":{ms},\"action\":\"{action}\",\"n\":{i},\"name\":\"f{i}\",\"pad\":\"{}\"}}}}\n",
            "x".repeat(pad)
        ));
        if i % 1000 == 999 {
            s.push_str("{\"broken\":\n");
        }
    }
    s
}

#[test]
fn answers_agree_with_fimql_filter() {
    let dir = TempDir::new("serve-agree");
    // Big enough to be read in several chunks at independent offsets.
    let text = events(30_000, 300);
    let big = dir.write("big.ndjson", &text);
    let gz = dir.write("big.ndjson.gz", gzip(text.as_bytes()));
    for file in [SAMPLE, big.as_str(), gz.as_str()] {
        let s = Server::start(&[file]);
        for f in [
            "action:Create",
            "action:Delete AND NOT type:File",
            "severity>=4",
            "",
        ] {
            let want = if f.is_empty() {
                count_by_cli("NOT file.name:\"no such name\"", file)
            } else {
                count_by_cli(f, file)
            };
            let r = s.post(
                "/api/query",
                &json!({"filter": f, "group_by": "action", "limit": 5}),
            );
            assert_eq!(r.status, 200, "{r:?}");
            let v = r.json();
            assert_eq!(v["count"], want, "{file} {f}");
            assert_eq!(v["stopped"], Value::Null);
            let hist: u64 = v["histogram"]["buckets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["count"].as_u64().unwrap())
                .sum();
            assert_eq!(hist + v["histogram"]["untimed"].as_u64().unwrap(), want);
            let groups: u64 = v["groups"]["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["count"].as_u64().unwrap())
                .sum();
            assert_eq!(groups, want, "{file} {f}");
            assert_eq!(v["events"].as_array().unwrap().len() as u64, want.min(5));
        }
    }
    // Paging and line numbers across chunks: the events of a page are those `fimql filter`
    // prints at those places, and each row's line holds its record.
    let s = Server::start(&[&big]);
    let lines: Vec<&str> = text.lines().collect();
    let all = stdout(&filter(&["action:Delete", &big]));
    let want: Vec<&str> = all.lines().collect();
    for offset in [0usize, 7, 4321, 9990] {
        let v = s
            .post(
                "/api/query",
                &json!({"filter": "action:Delete", "offset": offset, "limit": 10, "columns": ["action", "file.name"]}),
            )
            .json();
        let rows = v["events"].as_array().unwrap();
        assert_eq!(rows.len(), 10.min(want.len() - offset));
        for (i, row) in rows.iter().enumerate() {
            let text = row["event"].as_str().unwrap();
            assert_eq!(text, want[offset + i], "offset {offset} row {i}");
            let line = row["line"].as_u64().expect("a line number") as usize;
            assert_eq!(lines[line - 1], text, "line {line}");
            assert_eq!(row["cells"][0], "Delete");
        }
    }
    // The hours of the histogram: one event an hour over 30000 hours, months then.
    let v = s
        .post("/api/query", &json!({"filter": "", "limit": 0}))
        .json();
    assert_eq!(v["histogram"]["unit"], "month");
    assert_eq!(v["errors"], 30);
    assert!(
        v["error_samples"][0]
            .as_str()
            .unwrap()
            .contains("big.ndjson:1001:"),
        "{v}"
    );
}

#[test]
fn the_check_endpoint_gives_diagnostics_canonical_form_and_request() {
    let s = Server::start(&[SAMPLE]);
    let v = s
        .post("/api/check", &json!({"filter": "actoin:Create"}))
        .json();
    assert_eq!(v["valid"], false);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "unknown-token");
    assert_eq!(
        (d["span"]["start"].as_u64(), d["span"]["end"].as_u64()),
        (Some(0), Some(6))
    );
    assert!(d["help"].as_str().unwrap().contains("action"));
    let v = s
        .post(
            "/api/check",
            &json!({"filter": "action : create and (severity>=4)"}),
        )
        .json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["canonical"], "action:create AND severity>=4");
    let body: Value = serde_json::from_str(v["request"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"filter": "action:create AND severity>=4"}));
}

#[test]
fn explain_tells_whether_an_event_matches() {
    let s = Server::start(&[SAMPLE]);
    let first: Value = serde_json::from_str(
        std::fs::read_to_string(SAMPLE)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let action = first["data"]["action"].as_str().unwrap().to_string();
    let yes = s
        .post(
            "/api/explain",
            &json!({"filter": format!("action:{action}"), "event": first}),
        )
        .json();
    assert_eq!(yes["matches"], true, "{yes}");
    // The tree of the filter with the values its term found.
    let term = &yes["explanation"]["tree"];
    assert_eq!(
        (term["kind"].as_str(), term["verdict"].as_bool()),
        (Some("term"), Some(true))
    );
    assert_eq!(term["values"][0]["value"], action.as_str());
    assert_eq!(term["values"][0]["passed"], true);
    assert!(yes["text"].as_str().unwrap().contains("✓"));
    let no = s
        .post(
            "/api/explain",
            &json!({"filter": format!("NOT action:{action}"), "event": first}),
        )
        .json();
    assert_eq!(no["matches"], false, "{no}");
    assert_eq!(no["explanation"]["tree"]["kind"], "not");
    assert_eq!(no["explanation"]["tree"]["decided_by"], 0);
}

#[test]
fn a_slow_query_is_bounded_by_the_time_limit() {
    let dir = TempDir::new("serve-slow");
    let big = dir.write("big.ndjson", events(60_000, 400));
    let s = Server::start(&["--time-limit", "0.05", "--jobs", "1", &big]);
    let started = Instant::now();
    let v = s
        .post(
            "/api/query",
            &json!({"filter": "action:Create", "group_by": "action"}),
        )
        .json();
    let took = started.elapsed();
    assert_eq!(v["stopped"], "time-limit", "{v}");
    assert!(v["count"].as_u64().unwrap() < 40_000);
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_newer_query_cancels_the_one_running() {
    let dir = TempDir::new("serve-cancel");
    let big = dir.write("big.ndjson", events(70_000, 400));
    let s = Server::start(&["--jobs", "1", &big]);
    let port = s.port;
    let host = s.host();
    let token = s.token.clone();
    let body = json!({"filter": "action:Create", "group_by": "file.name"}).to_string();
    let slow = std::thread::spawn(move || {
        let mut st = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let req = format!(
            "POST /api/query HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        st.write_all(req.as_bytes()).unwrap();
        let mut out = Vec::new();
        let _ = st.read_to_end(&mut out);
        Resp::parse(&out)
    });
    // The first query runs for a while (30 MB, a debug build); the second starts while it does.
    std::thread::sleep(Duration::from_millis(300));
    let second = s.post(
        "/api/query",
        &json!({"filter": "action:Delete", "limit": 1}),
    );
    let first = slow.join().unwrap();
    let v = first.json();
    assert_eq!(
        v["stopped"],
        "cancelled",
        "{}",
        &first.body[..first.body.len().min(300)]
    );
    assert_eq!(second.json()["stopped"], Value::Null);
}

#[test]
fn the_incidents_scope_uses_its_own_catalog() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/engines/extra-incidents.ndjson"
    );
    let s = Server::start(&["--scope", "incidents", file]);
    let info = s.send("GET", "/api/info", &[], b"").json();
    assert_eq!(info["scope"], "incidents");
    assert!(
        info["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "approvalStatus")
    );
    let out = filter(&["--scope", "incidents", "--count", "status:OPEN", file]);
    let want: u64 = stdout(&out).trim().parse().unwrap();
    let v = s
        .post("/api/query", &json!({"filter": "status:OPEN"}))
        .json();
    assert_eq!(v["count"], want);
    assert_eq!(v["histogram"]["token"], "createdDate");
    assert_eq!(v["columns"][0], "createdDate");
    // An events token is unknown here.
    let v = s
        .post("/api/check", &json!({"filter": "action:Create"}))
        .json();
    assert_eq!(v["diagnostics"][0]["code"], "unknown-token");
}

#[test]
fn records_that_are_not_events_are_malformed_with_or_without_a_filter() {
    let dir = TempDir::new("serve-not-events");
    let sample = std::fs::read_to_string(SAMPLE).unwrap();
    let text = format!("[1]\n\"just a string\"\n{sample}");
    let file = dir.write("mixed.ndjson", &text);
    let s = Server::start(&[&file]);
    let events = sample.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    let mut errors = Vec::new();
    for f in ["", "NOT file.name:\"no such name\""] {
        let v = s
            .post("/api/query", &json!({"filter": f, "limit": 0}))
            .json();
        assert_eq!(v["count"], events, "filter {f:?}: {v}");
        let samples = v["error_samples"].as_array().unwrap();
        assert!(
            samples[0].as_str().unwrap().contains("mixed.ndjson:1:"),
            "{v}"
        );
        errors.push(v["errors"].as_u64().unwrap());
    }
    assert_eq!(
        errors[0], errors[1],
        "the same records are malformed with or without a filter"
    );
}
