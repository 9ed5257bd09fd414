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
    // The printed URL opened again, with the cookie set: still the redirect that takes the
    // token out of the address bar.
    let r = s.raw(
        &format!("GET {path} HTTP/1.1\nHost: {}\nCookie: {pair}\n", s.host()),
        b"",
    );
    assert_eq!((r.status, r.header("location")), (303, Some("/")), "{r:?}");
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
    let r = s.post("/api/explain", &huge);
    let m = assert_json_error(&r, 413, "explain");
    let limit = s.send("GET", "/api/info", &[], b"").json()["limits"]["explain_body_bytes"]
        .as_u64()
        .unwrap();
    assert!(m.contains(&format!("({limit} bytes)")), "{m}");
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
    // Declared too large, with only the start sent: refused (413) at once, not when the time to
    // send the body is up (which would be 408).
    for (path, size) in [("/api/query", 100_000_000), ("/api/explain", 3 << 20)] {
        let head = format!(
            "POST {path} HTTP/1.1\nHost: {}\nAuthorization: Bearer {}\nContent-Type: application/json\nContent-Length: {size}\n",
            s.host(),
            s.token
        );
        let r = s.raw(&head, b"{\"filter\": \"");
        assert_eq!(r.status, 413, "{path}: {r:?}");
    }
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
            assert_eq!(v["changed"], json!([]), "no file changed while it was read");
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
    // A date the clock puts out of range: invalid for the check as for a query.
    let f = "dateTime>now-300000y";
    let v = s.post("/api/check", &json!({"filter": f})).json();
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["diagnostics"][0]["code"], "invalid-date");
    let r = s.post("/api/query", &json!({"filter": f, "limit": 0}));
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["diagnostics"][0]["code"], "invalid-date");
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

/// `filter`, made slow enough in an optimized build for a query on the tests' 30 MB files to run
/// for a second or more, as it does in a debug build: the same events match (every name starts
/// with `f`), after two thousand substring tests on each name.
fn slow(filter: &str) -> String {
    if cfg!(debug_assertions) {
        return filter.to_string();
    }
    let tests: Vec<String> = (0..2000).map(|i| format!("file.name:*q{i}z*")).collect();
    format!("{filter} AND ({} OR file.name:f*)", tests.join(" OR "))
}

#[test]
fn a_newer_query_cancels_the_one_running() {
    let dir = TempDir::new("serve-cancel");
    let big = dir.write("big.ndjson", events(70_000, 400));
    let s = Server::start(&["--jobs", "1", &big]);
    let port = s.port;
    let host = s.host();
    let token = s.token.clone();
    let body =
        json!({"filter": slow("action:Create"), "group_by": "file.name", "client": "page-a"})
            .to_string();
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
    // The first query runs for a while (30 MB, see `slow`); the second starts while it does.
    std::thread::sleep(Duration::from_millis(300));
    let second = s.post(
        "/api/query",
        &json!({"filter": "action:Delete", "limit": 1, "client": "page-a"}),
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

/// Sends a query as `client` (none: a script that names no client) on a connection of its own,
/// in a thread; the answer comes with the time it arrived.
fn query_in_thread(s: &Server, body: Value) -> std::thread::JoinHandle<(Resp, Instant)> {
    let (port, host, token) = (s.port, s.host(), s.token.clone());
    std::thread::spawn(move || {
        let body = body.to_string();
        let mut st = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let req = format!(
            "POST /api/query HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        st.write_all(req.as_bytes()).unwrap();
        let mut out = Vec::new();
        let _ = st.read_to_end(&mut out);
        (Resp::parse(&out), Instant::now())
    })
}

#[test]
fn a_query_cancels_only_the_query_of_its_own_client() {
    let dir = TempDir::new("serve-two-clients");
    let n = 70_000;
    let big = dir.write("big.ndjson", events(n, 400));
    let s = Server::start(&["--jobs", "1", &big]);
    let slow_query = |client: &str| json!({"filter": slow("action:Create"), "group_by": "file.name", "client": client});
    // Page A and page B each start a long query; then page B types again.
    let a = query_in_thread(&s, slow_query("page-a"));
    std::thread::sleep(Duration::from_millis(200));
    let b = query_in_thread(&s, slow_query("page-b"));
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    let b2 = s.post(
        "/api/query",
        &json!({"filter": "action:Delete", "limit": 1, "client": "page-b"}),
    );
    let (a, a_done) = a.join().unwrap();
    let (b, _) = b.join().unwrap();
    let (a, b, b2) = (a.json(), b.json(), b2.json());
    // B's newer query stopped B's older one, which was running then...
    assert_eq!(b["stopped"], "cancelled", "{}", b["count"]);
    assert_eq!(b2["stopped"], Value::Null);
    assert_eq!(b2["count"], count_by_cli("action:Delete", &big));
    // ...and A's, still running too, went on to the end.
    assert!(
        a_done > sent,
        "page A's query ended before page B's second one was sent"
    );
    assert_eq!(a["stopped"], Value::Null, "{}", a["count"]);
    assert_eq!(a["count"], count_by_cli("action:Create", &big));
    // A script that names no client is not stopped by a page's query either.
    let script = query_in_thread(&s, json!({"filter": slow("action:Create")}));
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    let other = s.post("/api/query", &json!({"filter": "", "client": "page-a"}));
    assert_eq!(other.status, 200);
    let (script, done) = script.join().unwrap();
    assert!(
        done > sent,
        "the script's query ended before the page's was sent"
    );
    assert_eq!(script.json()["stopped"], Value::Null);
    // A client name is short and plain.
    for bad in ["", "a b", "../x", &"x".repeat(65)] {
        let r = s.post("/api/query", &json!({"filter": "", "client": bad}));
        assert_eq!(r.status, 400, "{bad:?}: {r:?}");
    }
}

#[test]
fn slow_clients_are_cut_off_and_others_answered() {
    let s = Server::start(&[SAMPLE]);
    let limits = s.send("GET", "/api/info", &[], b"").json()["limits"].clone();
    let header = Duration::from_secs(limits["header_seconds"].as_u64().unwrap());
    let body = Duration::from_secs(limits["body_seconds"].as_u64().unwrap());
    let connect = || {
        let st = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        st.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        st
    };
    let started = Instant::now();
    // Headers that never end.
    let mut slow_head = connect();
    slow_head
        .write_all(format!("GET /api/info HTTP/1.1\r\nHost: {}\r\n", s.host()).as_bytes())
        .unwrap();
    // A body that never ends: 10 bytes of the 100 announced.
    let mut slow_body = connect();
    slow_body
        .write_all(
            format!(
                "POST /api/check HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"filter\":",
                s.host(),
                s.token
            )
            .as_bytes(),
        )
        .unwrap();
    // A connection that sends nothing at all.
    let mut silent = connect();
    // Meanwhile, others are answered.
    for _ in 0..3 {
        let r = s.post("/api/check", &json!({"filter": "action:Create"}));
        assert_eq!(r.status, 200);
    }
    // The server closes each within its bound (and not before), answering the body 408.
    let closed = |st: &mut TcpStream| {
        let mut out = Vec::new();
        match st.read_to_end(&mut out) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("the connection is still open: {e}"),
        }
        (Resp::parse(&out), started.elapsed())
    };
    let slack = Duration::from_secs(15);
    let (r, took) = closed(&mut slow_head);
    assert!(
        took >= header - Duration::from_millis(500) && took < header + slack,
        "{took:?}"
    );
    assert!(r.status == 0 || r.status == 408, "{r:?}");
    let (r, took) = closed(&mut silent);
    assert!(
        took >= header - Duration::from_millis(500) && took < header + slack,
        "{took:?}"
    );
    assert!(r.status == 0 || r.status == 408, "{r:?}");
    let (r, took) = closed(&mut slow_body);
    assert!(
        took >= body - Duration::from_millis(500) && took < body + slack,
        "{took:?}"
    );
    assert_eq!(r.status, 408, "{r:?}");
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("did not arrive")
    );
    assert_eq!(s.send("GET", "/api/info", &[], b"").status, 200, "still up");
}

/// Asserts an error answer in the API's shape: `status`, JSON, a message in `error`.
fn assert_json_error(r: &Resp, status: u16, what: &str) -> String {
    assert_eq!(r.status, status, "{what}: {r:?}");
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{what}: {r:?}"
    );
    let v: Value = serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{what}: {e}: {r:?}"));
    let message = v["error"].as_str().unwrap_or_default().to_string();
    assert!(!message.is_empty(), "{what}: {r:?}");
    message
}

#[test]
fn every_error_is_json_with_a_message() {
    let s = Server::start(&[SAMPLE]);
    // The router's own: unknown path, method not allowed (with the methods allowed).
    for path in ["/nope", "/api/nope", "/api/query/x", "/app.js/x"] {
        assert_json_error(&s.send("GET", path, &[], b""), 404, path);
    }
    for (method, path, allow) in [
        ("GET", "/api/query", "POST"),
        ("PUT", "/api/check", "POST"),
        ("DELETE", "/api/explain", "POST"),
        ("POST", "/api/info", "GET"),
        ("POST", "/", "GET"),
        ("PATCH", "/app.css", "GET"),
    ] {
        let r = s.send(method, path, &[], b"");
        assert_json_error(&r, 405, &format!("{method} {path}"));
        assert!(
            r.header("allow").is_some_and(|a| a.contains(allow)),
            "{method} {path}: {r:?}"
        );
    }
    // The body: too large (by its length, or once read in chunks), cut off, malformed, not JSON.
    let big = json!({"filter": "x".repeat(100_000)}).to_string();
    let r = s.send(
        "POST",
        "/api/check",
        &[("Content-Type", "application/json")],
        big.as_bytes(),
    );
    let m = assert_json_error(&r, 413, "too large");
    // The message states the limit.
    assert!(m.contains("64 KiB (65536 bytes)"), "{m}");
    let head = format!(
        "POST /api/query HTTP/1.1\nHost: {}\nAuthorization: Bearer {}\nContent-Type: application/json\nTransfer-Encoding: chunked\n",
        s.host(),
        s.token
    );
    let r = s.raw(&head, b"zz\r\n{}\r\n0\r\n\r\n");
    let m = assert_json_error(&r, 400, "bad chunk");
    assert!(m.contains("request body"), "{m}");
    let r = s.send(
        "POST",
        "/api/check",
        &[("Content-Type", "application/json")],
        b"{\"filter\":",
    );
    assert_json_error(&r, 400, "malformed");
    let r = s.send(
        "POST",
        "/api/check",
        &[("Content-Type", "text/plain")],
        b"{}",
    );
    assert_json_error(&r, 415, "not JSON");
    // An invalid filter: its diagnostics too.
    let r = s.post("/api/query", &json!({"filter": "actoin:Create"}));
    assert_json_error(&r, 422, "invalid filter");
    assert_eq!(r.json()["diagnostics"][0]["code"], "unknown-token");
    // The guard's: no token, another host, another origin.
    let r = s.raw(
        &format!("GET /api/info HTTP/1.1\nHost: {}\n", s.host()),
        b"",
    );
    assert_json_error(&r, 401, "no token");
    let r = s.raw(
        &format!(
            "GET /api/info HTTP/1.1\nHost: evil.example:{}\nAuthorization: Bearer {}\n",
            s.port, s.token
        ),
        b"",
    );
    assert_json_error(&r, 421, "another host");
    let r = s.send(
        "GET",
        "/api/info",
        &[("Origin", "http://evil.example")],
        b"",
    );
    assert_json_error(&r, 403, "another origin");
}

#[test]
fn explain_reads_the_record_listed_as_written() {
    let dir = TempDir::new("serve-explain-id");
    // 2^53 + 1: a double (JavaScript's number) cannot hold it.
    let big = "9007199254740993";
    let file = dir.write(
        "big.ndjson",
        format!(
            "{{\"data\":{{\"action\":\"Create\",\"size\":{big},\"name\":\"a\"}}}}\n\
             {{\"data\":{{\"action\":\"Create\",\"size\":3,\"name\":\"b\"}}}}\n"
        ),
    );
    // Two records on one line, in an array.
    let array = dir.write(
        "array.json",
        "[{\"data\":{\"action\":\"Create\",\"size\":1}},{\"data\":{\"action\":\"Create\",\"size\":2}}]\n",
    );
    let s = Server::start(&[&file, &array]);
    let v = s
        .post("/api/query", &json!({"filter": "file.size>0"}))
        .json();
    let events = v["events"].as_array().unwrap();
    assert_eq!(events.len(), 4, "{v}");
    let first = &events[0];
    assert_eq!(
        (first["file"].as_str(), first["line"].as_u64()),
        (Some(file.as_str()), Some(1))
    );
    let id = first["id"].as_str().unwrap();
    // The filter that names the exact number matches, and the neighbouring one does not, as
    // `fimql explain` says of the record.
    for (f, expected) in [
        (format!("file.size:{big}"), true),
        ("file.size:9007199254740992".to_string(), false),
    ] {
        let r = s.post("/api/explain", &json!({"filter": f, "id": id}));
        assert_eq!(r.status, 200, "{r:?}");
        let v = r.json();
        assert_eq!(v["matches"], expected, "{f}: {v}");
        assert_eq!(
            (v["file"].as_str(), v["line"].as_u64()),
            (Some(file.as_str()), Some(1))
        );
        let cli = common::fimql(
            &[
                "explain", &f, "--events", &file, "--line", "1", "--format", "json",
            ],
            None,
        );
        let cli: Value = serde_json::from_str(stdout(&cli).lines().next().unwrap()).unwrap();
        assert_eq!(cli["matched"], expected, "{f}: {cli}");
        // The value the term found, with all its digits.
        assert!(r.body.contains(&format!("\"value\":{big}")), "{}", r.body);
    }
    // Each of two records on one line is explained as itself.
    let sizes: Vec<Value> = events[2..]
        .iter()
        .map(|e| {
            assert_eq!(e["line"], 1);
            let r = s.post(
                "/api/explain",
                &json!({"filter": "file.size:1", "id": e["id"]}),
            );
            r.json()["explanation"]["tree"]["values"][0]["value"].clone()
        })
        .collect();
    assert_eq!(sizes, [json!(1), json!(2)]);
    // Ids the server did not give are refused, and no file but those served is read.
    for bad in [
        json!("2-1-0000000000000000"),
        json!("0-1"),
        json!("/etc/passwd"),
        json!(7),
    ] {
        let r = s.post("/api/explain", &json!({"filter": "", "id": bad}));
        assert_json_error(&r, 400, &bad.to_string());
    }
    // A well-formed id whose hash names no record, in a file that did not change: not found,
    // and not blamed on a change.
    for bad in [
        "0-1-0000000000000000",
        "0-2-0000000000000000",
        "1-9-0000000000000000",
    ] {
        let r = s.post("/api/explain", &json!({"filter": "", "id": bad}));
        let m = assert_json_error(&r, 404, bad);
        assert!(m.contains("no record with this id"), "{bad}: {m}");
        assert!(!m.contains("changed since"), "{bad}: {m}");
    }
    let r = s.post(
        "/api/explain",
        &json!({"filter": "", "id": id, "event": {"data": {}}}),
    );
    assert_eq!(r.status, 400, "{r:?}");
    // The file changed since the query: the record is no longer there.
    std::fs::write(&file, "{\"data\":{\"action\":\"Delete\",\"size\":5}}\n").unwrap();
    let r = s.post("/api/explain", &json!({"filter": "file.size>0", "id": id}));
    let m = assert_json_error(&r, 409, "changed file");
    assert!(m.contains(":1:") && m.contains("changed since"), "{m}");
}

#[test]
fn explain_refuses_an_event_that_is_not_an_object() {
    let s = Server::start(&[SAMPLE]);
    for (event, what) in [
        (json!("{\"action\":\"Create\"}"), "a string"),
        (json!([1]), "an array"),
        (json!([{"action": "Create"}]), "an array"),
        (json!(4), "a number"),
        (json!(true), "a boolean"),
    ] {
        let r = s.post(
            "/api/explain",
            &json!({"filter": "action:Create", "event": event}),
        );
        let m = assert_json_error(&r, 400, &event.to_string());
        assert!(
            m.contains("invalid-record") && m.contains("JSON object") && m.contains(what),
            "{event}: {m}"
        );
    }
    // Also with no filter, where nothing is evaluated.
    let r = s.post("/api/explain", &json!({"filter": "", "event": "x"}));
    assert_json_error(&r, 400, "no filter");
    // An object is explained.
    let r = s.post(
        "/api/explain",
        &json!({"filter": "action:Create", "event": {"action": "Create"}}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["matches"], true);
}

#[test]
fn an_unknown_column_names_where_the_tokens_are() {
    let s = Server::start(&[SAMPLE]);
    for key in ["columns", "group_by"] {
        let value = if key == "columns" {
            json!(["big"])
        } else {
            json!("big")
        };
        let r = s.post("/api/query", &json!({"filter": "", key: value}));
        let m = assert_json_error(&r, 400, key);
        assert!(m.contains("unknown field `big`"), "{key}: {m}");
        // The server has no option to read raw JSON paths: none is suggested.
        assert!(!m.contains("allow unknown"), "{key}: {m}");
        assert!(m.contains("/api/info"), "{key}: {m}");
    }
    // A near miss gets the did-you-mean.
    let r = s.post("/api/query", &json!({"filter": "", "columns": ["actoin"]}));
    let m = assert_json_error(&r, 400, "near miss");
    assert!(m.contains("did you mean `action`?"), "{m}");
}

#[test]
fn the_bearer_scheme_is_read_in_any_case() {
    let s = Server::start(&[SAMPLE]);
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let head = format!(
            "GET /api/info HTTP/1.1\nHost: {}\nAuthorization: {scheme} {}\n",
            s.host(),
            s.token
        );
        assert_eq!(s.raw(&head, b"").status, 200, "{scheme}");
        let wrong = format!(
            "GET /api/info HTTP/1.1\nHost: {}\nAuthorization: {scheme} x{}\n",
            s.host(),
            s.token
        );
        assert_json_error(&s.raw(&wrong, b""), 401, scheme);
    }
    // Another scheme is not a bearer token.
    let head = format!(
        "GET /api/info HTTP/1.1\nHost: {}\nAuthorization: Basic {}\n",
        s.host(),
        s.token
    );
    assert_json_error(&s.raw(&head, b""), 401, "Basic");
}

#[test]
fn without_a_filter_malformed_records_are_errors_as_with_one() {
    // A number out of range, invalid UTF-8 in a string, nesting past serde_json's limit: every
    // filter refuses these records, and so does the page's first view (no filter).
    let dir = TempDir::new("serve-no-filter");
    let mut bytes =
        b"{\"action\":\"Create\",\"size\":1e999}\n{\"action\":\"Create\",\"name\":\"a\xffb\"}\n"
            .to_vec();
    bytes.extend_from_slice(
        format!("{{\"action\":{}1{}}}\n", "[".repeat(200), "]".repeat(200)).as_bytes(),
    );
    bytes.extend_from_slice(b"{\"action\":\"Create\"}\n");
    let path = dir.path("bad.ndjson");
    std::fs::write(&path, &bytes).unwrap();
    let s = Server::start(&[&path]);
    for f in ["", "action:*"] {
        let v = s
            .post("/api/query", &json!({"filter": f, "limit": 10}))
            .json();
        assert_eq!(
            (v["count"].as_u64(), v["errors"].as_u64()),
            (Some(1), Some(3)),
            "{f:?}: {v}"
        );
        let samples: Vec<&str> = v["error_samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        for line in 1..=3 {
            assert!(
                samples
                    .iter()
                    .any(|e| e.contains(&format!("bad.ndjson:{line}:"))),
                "{f:?}: {samples:?}"
            );
        }
    }
}

#[test]
fn a_long_value_is_cut_in_its_cell_but_whole_in_the_event() {
    let dir = TempDir::new("serve-long-cell");
    let long = "é".repeat(5000);
    let path = dir.write(
        "long.ndjson",
        format!("{{\"action\":\"Create\",\"fullPath\":\"{long}\"}}\n"),
    );
    let s = Server::start(&[&path]);
    let v = s
        .post(
            "/api/query",
            &json!({"filter": "", "columns": ["file.fullPath", "action"], "limit": 10}),
        )
        .json();
    let row = &v["events"][0];
    let cell = row["cells"][0].as_str().unwrap();
    assert_eq!(cell.chars().count(), 1001, "{}", &cell[..20]);
    assert!(cell.ends_with('…') && long.starts_with(&cell[..cell.len() - '…'.len_utf8()]));
    assert_eq!(row["cells"][1], "Create");
    let event: Value = serde_json::from_str(row["event"].as_str().unwrap()).unwrap();
    assert_eq!(event["fullPath"], long.as_str());
}

#[test]
fn group_by_past_the_values_kept_counts_the_rest_apart() {
    // More distinct values than are counted one by one: the rest are one bar, marked as such,
    // and not counted as a value.
    let dir = TempDir::new("serve-many-groups");
    let mut text = String::new();
    for n in 0..15_000 {
        text.push_str(&format!("{{\"action\":\"Create\",\"id\":\"v{n}\"}}\n"));
    }
    let path = dir.write("many.ndjson", text);
    let s = Server::start(&[&path]);
    let v = s
        .post(
            "/api/query",
            &json!({"filter": "", "group_by": "id", "limit": 0}),
        )
        .json();
    let g = &v["groups"];
    assert_eq!(g["truncated"], true, "{g}");
    let values = g["values"].as_array().unwrap();
    let other: Vec<&Value> = values.iter().filter(|v| v["other"] == true).collect();
    assert_eq!(other.len(), 1, "{g}");
    assert_eq!(other[0]["value"], "(other values)");
    let kept = g["distinct"].as_u64().unwrap();
    let rest = other[0]["count"].as_u64().unwrap();
    assert_eq!(
        kept + rest,
        15_000,
        "every value is one kept or one of the rest: {g}"
    );
    assert!(
        values
            .iter()
            .filter(|v| v["other"] == false)
            .all(|v| v["count"] == 1)
    );
}

#[test]
fn records_too_long_to_show_keep_their_cells_and_id_but_not_their_bytes() {
    // Records over the 1 MiB shown on the page are summed up as they match (cells, and the id
    // that /api/explain finds them by), not kept whole while the query runs.
    let dir = TempDir::new("serve-huge-rows");
    let mut text = String::new();
    for n in 0..5 {
        let pad = "y".repeat(if n % 2 == 0 { 1_500_000 } else { 10 });
        text.push_str(&format!(
            "{{\"data\":{{\"action\":\"Create\",\"name\":\"f{n}\",\"newContent\":\"{pad}\"}}}}\n"
        ));
    }
    let path = dir.write("huge.ndjson", text);
    let s = Server::start(&["--jobs", "2", &path]);
    let v = s
        .post(
            "/api/query",
            &json!({"filter": "action:Create", "columns": ["file.name", "action"], "limit": 10}),
        )
        .json();
    let rows = v["events"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "{v}");
    for (n, row) in rows.iter().enumerate() {
        assert_eq!(row["cells"][0], format!("f{n}"), "{row}");
        assert_eq!(row["cells"][1], "Create");
        assert_eq!(row["line"], n + 1);
        // Shown whole only when short enough.
        assert_eq!(row["event"].is_null(), n % 2 == 0, "row {n}");
        let e = s
            .post(
                "/api/explain",
                &json!({"filter": format!("file.name:f{n}"), "id": row["id"]}),
            )
            .json();
        assert_eq!(e["matches"], true, "row {n}: {e}");
    }
}
