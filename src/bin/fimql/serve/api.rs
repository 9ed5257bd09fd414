//! The page's assets and the JSON endpoints.
//!
//! - `GET /`, `/app.js`, `/app.css`: the page, embedded in the binary.
//! - `GET /api/info`: the files, the scope, the catalog (for completion), the limits.
//! - `POST /api/check` `{"filter"}`: diagnostics, canonical form and API request body.
//! - `POST /api/query` `{"filter", "columns", "group_by", "offset", "limit"}`: the count, the
//!   histogram, the group-by counts and a page of events (each cell at most 1000 characters,
//!   cut with `…`; the event's JSON, up to 1 MiB, is whole); `"changed"` names the files that
//!   changed (size or modification time) while the query read them.
//! - `POST /api/explain` `{"filter", "id"}` or `{"filter", "event"}`: whether an event matches,
//!   and why: the filter's tree with each node's verdict and the values each term found
//!   ([`fimql::Filter::explain`]). The event is the record an `id` from `/api/query` names, read
//!   again from its file as it is there (numbers as written, integers beyond 2^53 too), or one
//!   the request carries (a JSON object; anything else is 400 `invalid-record`). An id whose
//!   record is not at its line is 404, or 409 when the file's size or modification time changed
//!   since start-up.
//!
//! Bodies are JSON (`Content-Type: application/json`, at most [`super::MAX_BODY`] bytes, or
//! [`EXPLAIN_BODY`] for an explain request, which may carry an event); a malformed one gets 400
//! with a message, a larger one 413, one that does not arrive within [`super::BODY_TIMEOUT`]
//! 408, an invalid filter 422 with its diagnostics.
//!
//! Every error, of a handler or of the router (404 unknown path, 405 method), is JSON:
//! `{"error": message}`, with `"diagnostics"` for an invalid filter.

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant as Clock;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Response, StatusCode};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use fimql::catalog::TokenType;
use fimql::fields::Field;
use fimql::histogram::{Bucket, key};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value as Json, json};

use super::query::{self, Control, Digest, Kept, Lookup, Spec, Stop};
use super::{AppState, BODY_TIMEOUT, MAX_BODY};

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// The most events in one page.
pub(crate) const MAX_LIMIT: usize = 200;
/// The deepest page start: the page's records are kept per unit of work up to this many.
pub(crate) const MAX_OFFSET: usize = 10_000;
/// The most columns in the table.
const MAX_COLUMNS: usize = 32;
/// Group-by values returned, the most frequent first.
const TOP_GROUPS: usize = 50;
/// Records longer than this are listed without their JSON.
const MAX_EVENT_SHOWN: usize = 1 << 20;
/// The largest body of an explain request, which carries an event shown on the page.
pub(crate) const EXPLAIN_BODY: usize = 2 * MAX_EVENT_SHOWN + MAX_BODY;

fn asset(kind: &'static str, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    r
}

pub(crate) async fn index() -> Response<Body> {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

pub(crate) async fn app_js() -> Response<Body> {
    asset("text/javascript; charset=utf-8", APP_JS)
}

pub(crate) async fn app_css() -> Response<Body> {
    asset("text/css; charset=utf-8", APP_CSS)
}

pub(crate) async fn not_found() -> Response<Body> {
    error(StatusCode::NOT_FOUND, "not found")
}

/// A known path asked with a method it does not answer (the router keeps its `Allow` header).
pub(crate) async fn method_not_allowed() -> Response<Body> {
    error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

/// A JSON error: `{"error": message}`, the shape of every error the server answers.
pub(crate) fn error(status: StatusCode, message: &str) -> Response<Body> {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// The most characters of a value a table cell shows: a file's whole content in a cell would
/// make the answer as large as the records (the event's JSON is there for the rest).
const MAX_CELL_CHARS: usize = 1000;

/// The cells of a record's columns, each cut to [`MAX_CELL_CHARS`]; empty when it does not parse.
fn cells(fields: &[Field], bytes: &[u8]) -> Vec<String> {
    match serde_json::from_slice::<Json>(bytes) {
        Ok(event) => fields.iter().map(|f| shortened(f.cell(&event))).collect(),
        Err(_) => vec![String::new(); fields.len()],
    }
}

/// `cell`, cut to [`MAX_CELL_CHARS`] characters with `…` when longer.
fn shortened(mut cell: String) -> String {
    if let Some((at, _)) = cell.char_indices().nth(MAX_CELL_CHARS) {
        cell.truncate(at);
        cell.push('…');
    }
    cell
}

/// The largest body the route at `path` takes.
pub(crate) fn body_limit(path: &str) -> usize {
    if path == "/api/explain" {
        EXPLAIN_BODY
    } else {
        MAX_BODY
    }
}

/// The answer to a body larger than `limit` bytes.
pub(crate) fn too_large(limit: usize) -> Response<Body> {
    let size = if limit.is_multiple_of(1 << 20) {
        format!("{} MiB", limit >> 20)
    } else if limit.is_multiple_of(1 << 10) {
        format!("{} KiB", limit >> 10)
    } else {
        format!("{limit} bytes")
    };
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("request body too large: the limit is {size} ({limit} bytes)"),
    )
}

/// The answer to a body that could not be read: not sent in time (408), too large (413), or
/// cut off (400).
fn unread(rejection: &BytesRejection, limit: usize) -> Response<Body> {
    let mut cause: Option<&dyn std::error::Error> = Some(rejection);
    while let Some(e) = cause {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                &format!(
                    "the request body did not arrive within {} seconds",
                    BODY_TIMEOUT.as_secs()
                ),
            );
        }
        cause = e.source();
    }
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(limit);
    }
    error(
        StatusCode::BAD_REQUEST,
        &format!("cannot read the request body: {}", rejection.body_text()),
    )
}

/// The JSON body of a request, or the response that refuses it.
fn body<T: DeserializeOwned>(
    headers: &HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<T, Response<Body>> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as JSON (Content-Type: application/json)",
        ));
    }
    let bytes = bytes.map_err(|r| unread(&r, limit))?;
    if bytes.len() > limit {
        return Err(too_large(limit));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            &format!("malformed request body: {e}"),
        )
    })
}

/// The field a token names (`fimql::fields`), or a 400 with the diagnostic's message and help.
/// The server reads tokens only (no raw JSON paths), so a help that is neither a did-you-mean
/// nor another scope points to where the tokens are listed.
fn field(app: &AppState, name: &str, what: &str) -> Result<Field, Response<Body>> {
    Field::resolve(name, &app.options()).map_err(|d| {
        let help = match d.help {
            Some(h) if h.starts_with("did you mean") || h.contains("use scope") => h,
            _ => format!(
                "no {} token has a similar name; the tokens are listed by GET /api/info \
                 (and `fimql tokens`)",
                app.scope
            ),
        };
        let help = format!(" ({help})");
        error(
            StatusCode::BAD_REQUEST,
            &format!("{what}: {}{help}", d.message),
        )
    })
}

/// The columns shown when the page asks for none.
fn default_columns(app: &AppState) -> Vec<String> {
    fimql::fields::default_fields(app.scope)
        .iter()
        .map(|t| t.to_string())
        .collect()
}

pub(crate) async fn info(State(app): State<AppState>) -> Response<Body> {
    let tokens: Vec<Json> = app
        .catalog
        .tokens(app.scope)
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "type": t.ty.as_str(),
                "path": t.path,
                "aliases": t.aliases,
                "values": t.values,
            })
        })
        .collect();
    let files: Vec<Json> = app
        .sources
        .iter()
        .map(|s| json!({ "name": s.name, "size": s.size, "codec": s.codec.name() }))
        .collect();
    axum::Json(json!({
        "scope": app.scope.to_string(),
        "files": files,
        "tokens": tokens,
        "columns": default_columns(&app),
        "time_token": time_token(&app),
        "limits": {
            "body_bytes": MAX_BODY,
            "explain_body_bytes": EXPLAIN_BODY,
            "body_seconds": BODY_TIMEOUT.as_secs(),
            "header_seconds": super::HEADER_TIMEOUT.as_secs(),
            "reads": super::MAX_READS,
            "page": MAX_LIMIT,
            "offset": MAX_OFFSET,
            "time_limit_seconds": app.time_limit.as_secs_f64(),
        },
    }))
    .into_response()
}

/// The token whose time the histogram counts: the first date token of the default columns
/// (`dateTime` for events, `createdDate` for incidents).
fn time_token(app: &AppState) -> Option<&'static str> {
    fimql::fields::default_fields(app.scope)
        .iter()
        .copied()
        .find(|t| {
            app.catalog
                .lookup(app.scope, t)
                .is_some_and(|d| d.ty == TokenType::Date && !d.path.contains("[]"))
        })
}

/// The filter compiled with the server's options, or the 422 answer listing its diagnostics.
fn compile_filter(app: &AppState, text: &str) -> Result<fimql::Filter, Response<Body>> {
    fimql::compile(text, &app.options()).map_err(|d| {
        let diagnostics: Vec<Json> = d.diagnostics().iter().map(|x| x.to_json(text)).collect();
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({ "error": "invalid filter", "diagnostics": diagnostics })),
        )
            .into_response()
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckReq {
    filter: String,
}

pub(crate) async fn check(
    State(app): State<AppState>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Response<Body> {
    let req: CheckReq = match body(&headers, bytes, MAX_BODY) {
        Ok(r) => r,
        Err(r) => return r,
    };
    axum::Json(check_json(&app, &req.filter)).into_response()
}

/// Diagnostics, canonical form and request body of a filter.
fn check_json(app: &AppState, filter: &str) -> Json {
    if filter.trim().is_empty() {
        return json!({ "valid": true, "empty": true, "diagnostics": [], "canonical": "" });
    }
    // With the clock known, as a query compiles the filter: `now-300000y` leaves the range of
    // dates, which only the clock tells.
    let opts = app.options().now(chrono::Utc::now());
    let (valid, diags, canonical) = match fimql::validate_with(filter, &opts) {
        Ok(v) => (true, v.warnings, Some(v.query.to_string())),
        Err(d) => {
            let canonical = fimql::parse_with(filter, &opts).ok().map(|q| q.to_string());
            (false, d.into_vec(), canonical)
        }
    };
    let diagnostics: Vec<Json> = diags.iter().map(|d| d.to_json(filter)).collect();
    let request = canonical.as_ref().filter(|_| valid).map(|c| {
        let body = json!({ "filter": c });
        serde_json::to_string_pretty(&body).unwrap_or_default()
    });
    json!({
        "valid": valid,
        "empty": false,
        "diagnostics": diagnostics,
        "canonical": canonical,
        "request": request,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryReq {
    filter: String,
    #[serde(default)]
    columns: Option<Vec<String>>,
    #[serde(default)]
    group_by: Option<String>,
    #[serde(default)]
    offset: usize,
    #[serde(default = "default_limit")]
    limit: usize,
    /// Who asks (a page, or a script naming itself): its newer query stops this one.
    #[serde(default)]
    client: Option<String>,
}

/// The longest client name.
const MAX_CLIENT_NAME: usize = 64;

/// Whether a client name is well-formed: 1 to 64 letters, digits, `-` and `_`.
fn client_ok(name: &str) -> bool {
    (1..=MAX_CLIENT_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn default_limit() -> usize {
    50
}

/// Sets the flag when dropped before being disarmed: a request whose client went away stops
/// its query.
struct CancelOnDrop(Arc<AtomicBool>, bool);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.1 {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

pub(crate) async fn query(
    State(app): State<AppState>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Response<Body> {
    let req: QueryReq = match body(&headers, bytes, MAX_BODY) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if req.limit > MAX_LIMIT || req.offset > MAX_OFFSET {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("limit is at most {MAX_LIMIT} and offset at most {MAX_OFFSET}"),
        );
    }
    if let Some(c) = &req.client
        && !client_ok(c)
    {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("client: 1 to {MAX_CLIENT_NAME} letters, digits, '-' or '_'"),
        );
    }
    let columns = req.columns.unwrap_or_else(|| default_columns(&app));
    if columns.len() > MAX_COLUMNS {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("at most {MAX_COLUMNS} columns"),
        );
    }
    let mut fields = Vec::new();
    for c in &columns {
        match field(&app, c, "columns") {
            Ok(f) => fields.push(f),
            Err(r) => return r,
        }
    }
    let group_path = match &req.group_by {
        Some(g) if !g.is_empty() => match field(&app, g, "group_by") {
            Ok(f) => Some(f.path().to_vec()),
            Err(r) => return r,
        },
        _ => None,
    };
    let filter = if req.filter.trim().is_empty() {
        None
    } else {
        match compile_filter(&app, &req.filter) {
            Ok(f) => Some(Arc::new(f)),
            Err(r) => return r,
        }
    };
    let time_path =
        time_token(&app).and_then(|t| field(&app, t, "time").ok().map(|f| f.path().to_vec()));
    // A newer query of the same client stops this one.
    let (latest, generation) = app.clients.start(req.client.as_deref());
    let cancelled = Arc::new(AtomicBool::new(false));
    let mut armed = CancelOnDrop(Arc::clone(&cancelled), true);
    // Held until the query's threads are done, even when this request goes away first.
    let Ok(running) = Arc::clone(&app.reads).acquire_owned().await else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
    };
    let ctl = Control {
        latest,
        generation,
        cancelled,
        deadline: Clock::now() + app.time_limit,
    };
    let fields = Arc::new(fields);
    let digest = {
        let (fields, hasher) = (Arc::clone(&fields), app.hasher.clone());
        move |bytes: &[u8]| Digest {
            cells: cells(&fields, bytes),
            hash: hasher.hash_one(bytes),
        }
    };
    let spec = Spec {
        filter,
        time_path,
        group_path,
        offset: req.offset,
        limit: req.limit,
        jobs: app.jobs,
        keep_whole: MAX_EVENT_SHOWN,
        digest: Arc::new(digest),
    };
    let worker_app = Arc::clone(&app);
    let outcome = tokio::task::spawn_blocking(move || {
        let outcome = query::run(&worker_app.sources, &spec, &ctl);
        drop(running);
        outcome
    })
    .await;
    armed.1 = false;
    let outcome = match outcome {
        Ok(o) => o,
        Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "the query failed"),
    };
    let events: Vec<Json> = outcome
        .rows
        .iter()
        .map(|row| {
            let (cells, event, hash) = match &row.record {
                // The record as it is in the file (members in their order), for the page to
                // parse.
                Kept::Whole(bytes) => (
                    cells(&fields, bytes),
                    Some(String::from_utf8_lossy(bytes).into_owned()),
                    app.hasher.hash_one(&bytes[..]),
                ),
                Kept::Digest(d) => (d.cells.clone(), None, d.hash),
            };
            // What `/api/explain` reads the record again by.
            let id = row.line.map(|line| {
                RecordId {
                    file: row.file,
                    line,
                    hash,
                }
                .to_string()
            });
            json!({
                "file": app.sources[row.file].name,
                "line": row.line,
                "id": id,
                "cells": cells,
                "event": event,
            })
        })
        .collect();
    let mut groups: Vec<(&String, &u64)> = outcome.groups.iter().collect();
    groups.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    // Past the values kept, the rest are counted together: not a value of the events (it is
    // marked `"other"`, and not counted among the distinct values).
    let other = |k: &str| outcome.groups_truncated && k == query::OTHER_KEY;
    let distinct = outcome.groups.keys().filter(|k| !other(k)).count();
    let groups: Vec<Json> = groups
        .into_iter()
        .take(TOP_GROUPS)
        .map(|(k, n)| json!({ "value": k, "count": n, "other": other(k) }))
        .collect();
    let (unit, buckets) = histogram(&outcome.hours);
    axum::Json(json!({
        "count": outcome.matched,
        "records": outcome.records,
        "errors": outcome.errors,
        "error_samples": outcome.error_samples,
        "stopped": outcome.stopped.map(|s| match s {
            Stop::Cancelled => "cancelled",
            Stop::TimeLimit => "time-limit",
        }),
        "elapsed_ms": outcome.elapsed.as_secs_f64() * 1000.0,
        "changed": outcome.changed,
        "bytes": outcome.bytes,
        "histogram": {
            "token": time_token(&app),
            "unit": unit,
            "buckets": buckets,
            "untimed": outcome.untimed,
        },
        "groups": {
            "token": req.group_by,
            "values": groups,
            "distinct": distinct,
            "truncated": outcome.groups_truncated,
        },
        "columns": columns,
        "offset": req.offset,
        "events": events,
    }))
    .into_response()
}

/// The most buckets the histogram lists with the empty ones between (200 years of months).
const MAX_BUCKETS_SHOWN: u64 = 2400;

/// Buckets of the histogram (`fimql::histogram`): hours when the matches span at most three
/// days, days up to three months, months beyond. Empty buckets between the first and the last
/// are included, unless there would be more than [`MAX_BUCKETS_SHOWN`].
fn histogram(hours: &BTreeMap<i64, u64>) -> (&'static str, Vec<Json>) {
    let at = |h: i64| DateTime::<Utc>::from_timestamp(h.saturating_mul(3600), 0);
    let (Some(first), Some(last)) = (
        hours.first_key_value().and_then(|(h, _)| at(*h)),
        hours.last_key_value().and_then(|(h, _)| at(*h)),
    ) else {
        return (Bucket::Hour.as_str(), Vec::new());
    };
    let bucket = if Bucket::Hour.count_between(first, last) <= 72 {
        Bucket::Hour
    } else if Bucket::Day.count_between(first, last) <= 92 {
        Bucket::Day
    } else {
        Bucket::Month
    };
    let mut counts: BTreeMap<DateTime<Utc>, u64> = BTreeMap::new();
    for (h, n) in hours {
        if let Some(t) = at(*h) {
            *counts.entry(bucket.start(t)).or_default() += n;
        }
    }
    let mut out = Vec::new();
    if bucket.count_between(first, last) > MAX_BUCKETS_SHOWN {
        // Times centuries apart: the buckets that hold events only.
        for (&start, &n) in &counts {
            if let Some(end) = bucket.next(start) {
                out.push(json!({ "start": key(start), "end": key(end), "count": n }));
            }
        }
        return (bucket.as_str(), out);
    }
    let mut start = bucket.start(first);
    while start <= last {
        let Some(end) = bucket.next(start) else { break };
        let n = counts.get(&start).copied().unwrap_or(0);
        out.push(json!({ "start": key(start), "end": key(end), "count": n }));
        start = end;
    }
    (bucket.as_str(), out)
}

/// A record listed by `/api/query`: its file (index among the files served), the line where it
/// starts, and a hash of its bytes (with the server's keys) that tells it from other records
/// starting on that line and from a record that changed since. Written `FILE-LINE-HASH`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RecordId {
    file: usize,
    line: u64,
    hash: u64,
}

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}-{:016x}", self.file, self.line, self.hash)
    }
}

impl std::str::FromStr for RecordId {
    type Err = ();

    fn from_str(s: &str) -> Result<RecordId, ()> {
        let mut parts = s.split('-');
        let (Some(file), Some(line), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(());
        };
        let decimal = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        let hex = |p: &str| p.len() == 16 && p.bytes().all(|b| b.is_ascii_hexdigit());
        if !decimal(file) || !decimal(line) || !hex(hash) {
            return Err(());
        }
        Ok(RecordId {
            file: file.parse().map_err(|_| ())?,
            line: line.parse().map_err(|_| ())?,
            hash: u64::from_str_radix(hash, 16).map_err(|_| ())?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplainReq {
    filter: String,
    /// A record listed by `/api/query` (its `id`).
    #[serde(default)]
    id: Option<String>,
    /// An event given whole.
    #[serde(default)]
    event: Option<Json>,
}

pub(crate) async fn explain(
    State(app): State<AppState>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Response<Body> {
    let req: ExplainReq = match body(&headers, bytes, EXPLAIN_BODY) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let (event, place) = match (req.id, req.event) {
        (Some(id), None) => match read_record(&app, &id).await {
            Ok((event, file, line)) => (event, Some((file, line))),
            Err(r) => return r,
        },
        (None, Some(event)) if event.is_object() => (event, None),
        (None, Some(other)) => {
            // As `fimql explain` and `Filter.explain` refuse it (invalid-record). A string is
            // not read as JSON text: send the event itself.
            let what = match other {
                Json::String(_) => "a string (send the event itself, not its JSON text)",
                Json::Array(_) => "an array",
                Json::Number(_) => "a number",
                Json::Bool(_) => "a boolean",
                Json::Null => "null",
                Json::Object(_) => "an object",
            };
            return error(
                StatusCode::BAD_REQUEST,
                &format!("invalid-record: \"event\" must be a JSON object (one event), not {what}"),
            );
        }
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "malformed request body: give either \"id\" (of an event listed by /api/query) \
                 or \"event\"",
            );
        }
    };
    let (file, line) = place.unzip();
    if req.filter.trim().is_empty() {
        return axum::Json(json!({
            "matches": true,
            "tree": null,
            "text": "no filter: every event is selected",
            "file": file,
            "line": line,
        }))
        .into_response();
    }
    let filter = match compile_filter(&app, &req.filter) {
        Ok(f) => f,
        Err(r) => return r,
    };
    // Off the server's async threads, and in one of the read slots that queries take: an
    // explanation can take long (a wildcard of many `?` against a long value), and must not
    // hold up the other routes.
    let Ok(permit) = Arc::clone(&app.reads).acquire_owned().await else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
    };
    let explained = tokio::task::spawn_blocking(move || {
        let why = filter.explain(&event);
        drop(permit);
        json!({
            "matches": why.matched(),
            "text": why.render(),
            "explanation": why,
        })
    })
    .await;
    match explained {
        Ok(mut answer) => {
            answer["file"] = json!(file);
            answer["line"] = json!(line);
            axum::Json(answer).into_response()
        }
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the explanation failed; please report this",
        ),
    }
}

/// The event an id names, read again from its file (one of those served, and nothing else),
/// with its file's name and its line; or the answer that says why not.
async fn read_record(app: &AppState, id: &str) -> Result<(Json, String, u64), Response<Body>> {
    let Some(id) = id
        .parse::<RecordId>()
        .ok()
        .filter(|id| id.file < app.sources.len())
    else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "malformed request body: \"id\" is not the id of an event listed by /api/query",
        ));
    };
    let name = app.sources[id.file].name.clone();
    let cancelled = Arc::new(AtomicBool::new(false));
    let mut armed = CancelOnDrop(Arc::clone(&cancelled), true);
    let Ok(permit) = Arc::clone(&app.reads).acquire_owned().await else {
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is stopping",
        ));
    };
    let ctl = Control {
        latest: Arc::new(AtomicU64::new(1)),
        generation: 1,
        cancelled,
        deadline: Clock::now() + app.time_limit,
    };
    let worker_app = Arc::clone(app);
    let found = tokio::task::spawn_blocking(move || {
        let hasher = &worker_app.hasher;
        let found = query::find_record(
            &worker_app.sources[id.file],
            id.line,
            &|bytes| hasher.hash_one(bytes) == id.hash,
            &ctl,
        );
        drop(permit);
        found
    })
    .await;
    armed.1 = false;
    let at = format!("{name}:{}", id.line);
    match found {
        Ok(Ok(bytes)) => match serde_json::from_slice::<Json>(&bytes) {
            Ok(event) => Ok((event, name, id.line)),
            Err(e) => Err(error(
                StatusCode::CONFLICT,
                &format!("{at}: the record is no longer an event: {e}"),
            )),
        },
        Ok(Err(Lookup::NotFound)) if app.sources[id.file].changed() => Err(error(
            StatusCode::CONFLICT,
            &format!(
                "{at}: no record with this id: the file changed since the server started \
                 (its size or modification time differ): run the query again"
            ),
        )),
        Ok(Err(Lookup::NotFound)) => Err(error(
            StatusCode::NOT_FOUND,
            &format!(
                "{at}: no record with this id (the file's size and modification time are as at \
                 start-up): use an id that /api/query gave"
            ),
        )),
        Ok(Err(Lookup::Stopped)) => Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("{at}: reading the file up to the record took longer than the time limit"),
        )),
        Ok(Err(Lookup::Failed(message))) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("{name}: {message}"),
        )),
        Err(_) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "reading the record failed",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(pairs: &[(i64, u64)]) -> BTreeMap<i64, u64> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn histogram_bucket_follows_the_range() {
        // 2023-01-25T21:00Z is hour 464973.
        let h0 = 1_674_680_400 / 3600;
        let (unit, b) = histogram(&hours(&[(h0, 2), (h0 + 3, 1)]));
        assert_eq!((unit, b.len()), ("hour", 4));
        assert_eq!(b[0]["start"], "2023-01-25T21:00:00Z");
        assert_eq!(b[0]["end"], "2023-01-25T22:00:00Z");
        assert_eq!(
            b.iter().map(|x| x["count"].as_u64().unwrap()).sum::<u64>(),
            3
        );
        let (unit, b) = histogram(&hours(&[(h0, 2), (h0 + 24 * 10, 5)]));
        assert_eq!((unit, b.len()), ("day", 11));
        assert_eq!(b[0]["start"], "2023-01-25T00:00:00Z");
        assert_eq!(b[10]["count"], 5);
        let (unit, b) = histogram(&hours(&[(h0, 2), (h0 + 24 * 400, 5)]));
        assert_eq!(unit, "month");
        assert_eq!(b[0]["start"], "2023-01-01T00:00:00Z");
        assert_eq!(b[1]["start"], "2023-02-01T00:00:00Z");
        // 400 days after 2023-01-25 is 2024-02-29 (a leap year).
        assert_eq!(b.last().unwrap()["end"], "2024-03-01T00:00:00Z");
        assert_eq!(
            b.iter().map(|x| x["count"].as_u64().unwrap()).sum::<u64>(),
            7
        );
        assert_eq!(histogram(&BTreeMap::new()).1.len(), 0);
        // Centuries apart: only the buckets with events.
        let (unit, b) = histogram(&hours(&[(-h0, 1), (h0, 2), (h0 * 3, 4)]));
        assert_eq!((unit, b.len()), ("month", 3));
        assert_eq!(b[0]["start"], "1916-12-01T00:00:00Z");
    }

    #[test]
    fn record_ids_read_back_and_refuse_anything_else() {
        let id = RecordId {
            file: 2,
            line: 12_345_678_901,
            hash: 0x00ab_cdef_0123_4567,
        };
        assert_eq!(id.to_string(), "2-12345678901-00abcdef01234567");
        assert_eq!(id.to_string().parse(), Ok(id));
        for bad in [
            "",
            "1-2",
            "1-2-3",
            "1-2-00abcdef01234567-4",
            "-2-00abcdef01234567",
            "+1-2-00abcdef01234567",
            "1- 2-00abcdef01234567",
            "1-2-00abcdef0123456g",
            "a-2-00abcdef01234567",
            "1-99999999999999999999999-00abcdef01234567",
            "../etc/passwd-1-00abcdef01234567",
        ] {
            assert_eq!(bad.parse::<RecordId>(), Err(()), "{bad}");
        }
    }

    #[test]
    fn client_names_are_short_and_plain() {
        assert!(client_ok("a") && client_ok("page-0f_A9") && client_ok(&"x".repeat(64)));
        for bad in ["", " ", "a b", "é", "a/b", &"x".repeat(65)] {
            assert!(!client_ok(bad), "{bad:?}");
        }
    }
}
