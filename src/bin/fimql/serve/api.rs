//! The page's assets and the JSON endpoints.
//!
//! - `GET /`, `/app.js`, `/app.css`: the page, embedded in the binary.
//! - `GET /api/info`: the files, the scope, the catalog (for completion), the limits.
//! - `POST /api/check` `{"filter"}`: diagnostics, canonical form and API request body.
//! - `POST /api/query` `{"filter", "columns", "group_by", "offset", "limit"}`: the count, the
//!   histogram, the group-by counts and a page of events.
//! - `POST /api/explain` `{"filter", "event"}`: whether the event matches, and why: the
//!   filter's tree with each node's verdict and the values each term found
//!   ([`fimql::Filter::explain`]).
//!
//! Bodies are JSON (`Content-Type: application/json`, at most [`super::MAX_BODY`] bytes, or
//! [`EXPLAIN_BODY`] for an explain request, which carries an event); a malformed one gets 400
//! with a message, a larger one 413, an invalid filter 422 with its diagnostics.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant as Clock;

use axum::body::{Body, Bytes};
use axum::extract::State;
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

use super::query::{self, Control, Spec, Stop};
use super::{AppState, MAX_BODY};

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

/// A JSON error: `{"error": message}`.
fn error(status: StatusCode, message: &str) -> Response<Body> {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// The JSON body of a request, or the response that refuses it.
fn body<T: DeserializeOwned>(
    headers: &HeaderMap,
    bytes: &Bytes,
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
    if bytes.len() > limit {
        return Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            &format!("malformed request body: {e}"),
        )
    })
}

/// The field a token names (`fimql::fields`), or a 400 with the diagnostic's message and help.
fn field(app: &AppState, name: &str, what: &str) -> Result<Field, Response<Body>> {
    Field::resolve(name, &app.options()).map_err(|d| {
        let help = d.help.map(|h| format!(" ({h})")).unwrap_or_default();
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
    bytes: Bytes,
) -> Response<Body> {
    let req: CheckReq = match body(&headers, &bytes, MAX_BODY) {
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
    let opts = app.options();
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
    bytes: Bytes,
) -> Response<Body> {
    let req: QueryReq = match body(&headers, &bytes, MAX_BODY) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if req.limit > MAX_LIMIT || req.offset > MAX_OFFSET {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("limit is at most {MAX_LIMIT} and offset at most {MAX_OFFSET}"),
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
    // A newer query stops this one (and waits for it to stop).
    let generation = app.latest.fetch_add(1, Ordering::SeqCst) + 1;
    let cancelled = Arc::new(AtomicBool::new(false));
    let mut armed = CancelOnDrop(Arc::clone(&cancelled), true);
    // Held until the query's threads are done, even when this request goes away first.
    let running = Arc::clone(&app.running).lock_owned().await;
    let ctl = Control {
        latest: Arc::clone(&app.latest),
        generation,
        cancelled,
        deadline: Clock::now() + app.time_limit,
    };
    let spec = Spec {
        filter,
        time_path,
        group_path,
        offset: req.offset,
        limit: req.limit,
        jobs: app.jobs,
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
            let cells: Vec<String> = match serde_json::from_slice::<Json>(&row.bytes) {
                Ok(event) => fields.iter().map(|f| f.cell(&event)).collect(),
                Err(_) => vec![String::new(); fields.len()],
            };
            // The record as it is in the file (members in their order), for the page to parse.
            let event = (row.bytes.len() <= MAX_EVENT_SHOWN)
                .then(|| String::from_utf8_lossy(&row.bytes).into_owned());
            json!({
                "file": app.sources[row.file].name,
                "line": row.line,
                "cells": cells,
                "event": event,
            })
        })
        .collect();
    let mut groups: Vec<(&String, &u64)> = outcome.groups.iter().collect();
    groups.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let groups: Vec<Json> = groups
        .into_iter()
        .take(TOP_GROUPS)
        .map(|(k, n)| json!({ "value": k, "count": n }))
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
            "distinct": outcome.groups.len(),
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplainReq {
    filter: String,
    event: Json,
}

pub(crate) async fn explain(
    State(app): State<AppState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response<Body> {
    let req: ExplainReq = match body(&headers, &bytes, EXPLAIN_BODY) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if req.filter.trim().is_empty() {
        return axum::Json(
            json!({ "matches": true, "tree": null, "text": "no filter: every event is selected" }),
        )
        .into_response();
    }
    let filter = match compile_filter(&app, &req.filter) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let why = filter.explain(&req.event);
    axum::Json(json!({
        "matches": why.matched(),
        "text": why.render(),
        "explanation": why,
    }))
    .into_response()
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
}
