//! What keeps the server to its one user: the access token, the `Host` and `Origin` checks,
//! and the headers of every response.
//!
//! - The server binds to loopback unless `--host` says otherwise.
//! - Every request carries the token: in the cookie set when the URL printed at start-up is
//!   opened (`HttpOnly`, `SameSite=Strict`), or as `Authorization: Bearer TOKEN` (the scheme in
//!   any case, as RFC 7235 says). Tokens are compared in constant time.
//! - The `Host` header must name this server: `localhost`, an IP address (a name that an
//!   attacker's DNS could point here is refused: DNS rebinding), or the `--host` given, with the
//!   server's port.
//! - A request from another origin is refused: an `Origin` header must be this server's, and
//!   `Sec-Fetch-Site`, when a browser sends it, must not say `cross-site` or `same-site`.
//! - Every response has a Content-Security-Policy that allows scripts and styles from the server
//!   only (no inline script), forbids framing, and sends no referrer.

use std::net::{Ipv4Addr, Ipv6Addr};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Response, StatusCode};
use axum::middleware::Next;
use subtle::ConstantTimeEq;

use super::AppState;

/// The Content-Security-Policy of every response.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// A fresh random token: 32 bytes from the operating system, in hex.
pub(crate) fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random numbers: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The name of the cookie holding the token; with the port in it, two servers on one machine
/// do not overwrite each other's.
pub(crate) fn cookie_name(port: u16) -> String {
    format!("fimql_token_{port}")
}

/// Whether `given` is the token, in time that does not depend on where they differ.
pub(crate) fn token_ok(given: &str, token: &str) -> bool {
    given.len() == token.len() && bool::from(given.as_bytes().ct_eq(token.as_bytes()))
}

/// Whether a `Host` header value names this server (see the module docs).
pub(crate) fn host_ok(value: &str, port: u16, bound: &str) -> bool {
    // `name:port`, or the name alone for port 80 (clients leave out HTTP's default port).
    let (name, p) = match value.rsplit_once(':') {
        Some((name, p)) if !name.starts_with('[') || name.ends_with(']') => (name, Some(p)),
        _ => (value, None),
    };
    let p = match p {
        Some(p) => p.parse::<u16>().ok(),
        None => Some(80),
    };
    if p != Some(port) {
        return false;
    }
    let ip = match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(inner) => inner.parse::<Ipv6Addr>().is_ok(),
        None => name.parse::<Ipv4Addr>().is_ok(),
    };
    ip || name.eq_ignore_ascii_case("localhost")
        || (!name.is_empty() && name.eq_ignore_ascii_case(bound))
}

/// The token a request carries: the cookie, or a bearer token.
fn carried_token<'h>(headers: &'h HeaderMap, cookie: &str) -> Option<&'h str> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some((scheme, t)) = auth.trim_start().split_once(' ')
        && scheme.eq_ignore_ascii_case("Bearer")
    {
        return Some(t.trim());
    }
    for value in headers.get_all(header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for pair in value.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=')
                && k == cookie
            {
                return Some(v);
            }
        }
    }
    None
}

/// The token in a `?token=` query, as the URL printed at start-up has it.
fn query_token(query: Option<&str>) -> Option<&str> {
    query?.split('&').find_map(|kv| kv.strip_prefix("token="))
}

/// A refusal, in the shape of every error of the API (`{"error": message}`).
fn refuse(status: StatusCode, message: &str) -> Response<Body> {
    super::api::error(status, message)
}

/// Checks the host, the origin and the token of every request, and adds the security headers
/// to every response.
pub(crate) async fn guard(State(app): State<AppState>, req: Request, next: Next) -> Response<Body> {
    let mut resp = check(&app, req, next).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn check(app: &AppState, req: Request, next: Next) -> Response<Body> {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let Some(host) = host.filter(|h| host_ok(h, app.port, &app.bound)) else {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "refused: the Host header does not name this server",
        );
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        let same = origin
            .to_str()
            .ok()
            .and_then(|o| o.strip_prefix("http://"))
            .is_some_and(|o| o.eq_ignore_ascii_case(host));
        if !same {
            return refuse(StatusCode::FORBIDDEN, "refused: cross-origin request");
        }
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && (site == "cross-site" || site == "same-site")
    {
        return refuse(StatusCode::FORBIDDEN, "refused: cross-site request");
    }
    let cookie = cookie_name(app.port);
    // The URL printed at start-up: set the cookie and go to the page without the token in the
    // address bar (or in the history), also when the cookie is set already (the URL opened
    // again), so that the token does not stay in a link copied from the page.
    if req.method() == axum::http::Method::GET
        && req.uri().path() == "/"
        && query_token(req.uri().query()).is_some_and(|t| token_ok(t, &app.token))
    {
        let mut r = Response::new(Body::from("signed in; go to /\n"));
        *r.status_mut() = StatusCode::SEE_OTHER;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        let cookie = format!("{cookie}={}; Path=/; HttpOnly; SameSite=Strict", app.token);
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        r.headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static("/"));
        return r;
    }
    if carried_token(headers, &cookie).is_some_and(|t| token_ok(t, &app.token)) {
        // A body declared larger than the route takes is refused at once, rather than after
        // the time given to send it.
        let limit = super::api::body_limit(req.uri().path());
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return super::api::too_large(limit);
        }
        return next.run(req).await;
    }
    refuse(
        StatusCode::UNAUTHORIZED,
        "unauthorized: open the URL that `fimql serve` printed (it holds the access token)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_that_name_this_server_only() {
        for ok in [
            "127.0.0.1:8000",
            "localhost:8000",
            "LOCALHOST:8000",
            "[::1]:8000",
            "10.1.2.3:8000",
            "myhost:8000",
        ] {
            assert!(host_ok(ok, 8000, "myhost"), "{ok}");
        }
        // Port 80, which clients leave out.
        for ok in [
            "127.0.0.1",
            "localhost",
            "[::1]",
            "127.0.0.1:80",
            "[::1]:80",
            "myhost",
        ] {
            assert!(host_ok(ok, 80, "myhost"), "{ok}");
        }
        for bad in ["127.0.0.1:8000", "evil.example", "[::1", "::1", ""] {
            assert!(!host_ok(bad, 80, "myhost"), "{bad}");
        }
        for bad in [
            "127.0.0.1:8001",
            "127.0.0.1",
            "evil.example:8000",
            "localhost.evil.example:8000",
            "::1:8000",
            "[127.0.0.1]:8000",
            "127.0.0.1:8000:8000",
            "",
            ":8000",
        ] {
            assert!(!host_ok(bad, 8000, "myhost"), "{bad}");
        }
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(token_ok(&a, &a.clone()));
        assert!(!token_ok(&a[..63], &a));
        assert!(!token_ok("", &a));
        assert!(!token_ok(&b, &a));
    }

    #[test]
    fn the_policy_allows_no_inline_script() {
        assert!(!CSP.contains("unsafe-inline") && !CSP.contains("unsafe-eval"));
        assert!(CSP.contains("script-src 'self'"));
    }
}
