//! `fimql serve`: a local web page to write filters against real exports and see the answer as
//! you type: diagnostics, the number of matching events, a histogram over time, group-by counts,
//! the events themselves and why one matched.
//!
//! - `mod.rs`: the command line, start-up (the files, the token, the address) and the router.
//! - `security.rs`: the token, `Host` and `Origin` checks and the headers of every response.
//! - `api.rs`: the page's assets and the JSON endpoints.
//! - `query.rs`: one query over the exports, on all cores, cancellable and time-limited; and
//!   one record read again, for `/api/explain`.
//! - `extract.rs`: the values at a few paths of a record without building it.
//!
//! Nothing is loaded at start-up: each file is opened and its first bytes read (its codec), and
//! every query reads the files again, with bounded buffers.

mod api;
mod extract;
mod query;
mod security;

use std::collections::HashMap;
use std::fs::File;
use std::hash::RandomState;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use fimql::catalog::Scope;
use fimql::stream::Codec;
use fimql::{Options, catalog::Catalog};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tower_http::timeout::RequestBodyDeadlineLayer;

use crate::ScopeArg;
use query::Source;

/// The largest request body accepted, in bytes; a larger one gets 413.
pub(crate) const MAX_BODY: usize = 64 << 10;

/// Serve a local web page to write filters against exports and see the answer as you type.
///
/// The page shows the diagnostics of the filter as you type it, the number of matching events,
/// a histogram of them over time, counts per value of a token, a table of the events, and for
/// one event its JSON and why it matched. The first line on standard output is the page's URL,
/// with the access token in it; open it in a browser (or pass --open). The files are read again
/// for each query, on all cores; nothing is kept in memory beyond bounded buffers.
///
/// Example:
///
///   fimql serve --port 8080 export.ndjson older-export.json.gz
///
/// The page's JSON API answers scripts too, with the token as a bearer token:
///
///   curl -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
///        -d '{"filter": "action:Create", "group_by": "asset.name"}' \
///        http://127.0.0.1:8080/api/query
///
/// Each event listed has an "id"; {"filter": ..., "id": ...} to /api/explain tells why that
/// record, read again from its file, matched. A query with "client": NAME stops the query of
/// that client still running (the page names itself so); at most 2 queries read at once (1
/// elsewhere than on Unix).
/// Errors are JSON: {"error": "message"}.
///
/// Security: the server listens on loopback only unless --host says otherwise; every request
/// must carry the token (a cookie set when the printed URL is opened); requests whose Host is
/// not this server or that come from another origin are refused; a request's headers must
/// arrive within 10 seconds and its body within 10 more; it reads only the FILEs given.
///
/// Exit status: 0 stopped with Ctrl-C, 2 a file cannot be read or the address cannot be bound.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct ServeArgs {
    /// Address to listen on. Anything but loopback lets other machines reach the page (with the
    /// token): a warning is printed.
    #[arg(long, default_value = "127.0.0.1", value_name = "H")]
    host: String,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8470, value_name = "N")]
    port: u16,
    /// Which API the filters are for.
    #[arg(long, value_enum, default_value_t = ScopeArg::Events)]
    scope: ScopeArg,
    /// Open the page in the default browser.
    #[arg(long)]
    open: bool,
    /// Stop a query after this many seconds; the page shows what was counted so far.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    time_limit: f64,
    /// Worker threads per query (default: all cores; at most 256).
    #[arg(long, short = 'j', value_name = "N", value_parser = crate::jobs_parser())]
    jobs: Option<usize>,
    /// Exported event files (NDJSON, JSON arrays, pretty JSON; gzip and zstd read directly).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// What every handler shares.
pub(crate) struct App {
    pub sources: Vec<Source>,
    pub scope: Scope,
    pub catalog: Arc<Catalog>,
    pub token: String,
    pub port: u16,
    /// The `--host` given.
    pub bound: String,
    /// The latest query of each page (see [`Clients`]).
    pub clients: Clients,
    /// One permit per query or explain reading the files; at most [`MAX_READS`] at once.
    pub reads: Arc<tokio::sync::Semaphore>,
    pub time_limit: Duration,
    pub jobs: usize,
    /// Hashes records for the ids of the events listed (see `api::RecordId`).
    pub hasher: RandomState,
}

/// Queries and explains that read the files at once, each a query on `--jobs` threads (or one
/// explain on one); more wait for their turn. Elsewhere than on Unix, the files are read through
/// a handle whose position is shared: one at a time.
pub(crate) const MAX_READS: usize = if cfg!(unix) { 2 } else { 1 };

/// The pages whose latest query is tracked; beyond, the one heard from least recently is
/// forgotten (its running query is no longer stopped by its next one).
pub(crate) const MAX_CLIENTS: usize = 1024;

/// The latest query of each client (a page, or a script that names itself): a query that names
/// a client stops that client's query still running, and no other.
#[derive(Default)]
pub(crate) struct Clients(Mutex<ClientTable>);

#[derive(Default)]
struct ClientTable {
    /// Per client: the generation of its latest query, and when it was last heard from.
    slots: HashMap<String, (Arc<AtomicU64>, u64)>,
    clock: u64,
}

impl Clients {
    /// Starts a query for `client`: its generation counter (set to this query's) and the
    /// generation. A query without a client gets a counter of its own: nothing stops it but its
    /// request going away and the time limit.
    pub(crate) fn start(&self, client: Option<&str>) -> (Arc<AtomicU64>, u64) {
        let Some(client) = client else {
            return (Arc::new(AtomicU64::new(1)), 1);
        };
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        t.clock += 1;
        let now = t.clock;
        if !t.slots.contains_key(client) && t.slots.len() >= MAX_CLIENTS {
            let oldest = t
                .slots
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                t.slots.remove(&k);
            }
        }
        let slot = t
            .slots
            .entry(client.to_string())
            .or_insert_with(|| (Arc::new(AtomicU64::new(0)), now));
        slot.1 = now;
        let generation = slot.0.fetch_add(1, Ordering::SeqCst) + 1;
        (Arc::clone(&slot.0), generation)
    }
}

pub(crate) type AppState = Arc<App>;

impl App {
    /// The options of every stage: the scope and the catalog; the clock is the current time.
    pub(crate) fn options(&self) -> Options {
        Options::new(self.scope).catalog(Arc::clone(&self.catalog))
    }
}

pub fn run(args: ServeArgs) -> u8 {
    let mut sources = Vec::new();
    for path in &args.files {
        match source(path) {
            Ok(s) => sources.push(s),
            Err(e) => {
                let name = path.display().to_string();
                eprintln!("fimql serve: {}: {e}", crate::shown_name(&name));
                return 2;
            }
        }
    }
    let token = match security::new_token() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("fimql serve: {e}");
            return 2;
        }
    };
    if !(args.time_limit > 0.0 && args.time_limit <= 86_400.0) {
        eprintln!("fimql serve: --time-limit must be between 0 and 86400 seconds");
        return 2;
    }
    let ip: IpAddr = if args.host.eq_ignore_ascii_case("localhost") {
        IpAddr::from([127, 0, 0, 1])
    } else {
        match args.host.parse() {
            Ok(ip) => ip,
            Err(_) => {
                eprintln!(
                    "fimql serve: --host {}: give an IP address (e.g. 127.0.0.1, ::1, 0.0.0.0)",
                    args.host
                );
                return 2;
            }
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fimql serve: cannot start: {e}");
            return 2;
        }
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(SocketAddr::new(ip, args.port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "fimql serve: cannot listen on {}: {e}",
                    SocketAddr::new(ip, args.port)
                );
                return 2;
            }
        };
        let port = match listener.local_addr() {
            Ok(a) => a.port(),
            Err(e) => {
                eprintln!("fimql serve: {e}");
                return 2;
            }
        };
        let url_host = if ip.is_unspecified() {
            "127.0.0.1".to_string()
        } else if ip.is_ipv6() {
            format!("[{ip}]")
        } else {
            ip.to_string()
        };
        let url = format!("http://{url_host}:{port}/?token={token}");
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{url}").and_then(|()| out.flush()).is_err() {
            return 2;
        }
        drop(out);
        if !ip.is_loopback() {
            eprintln!(
                "fimql serve: warning: listening on {ip}, not on loopback: other machines can \
                 reach this server (the token is still required, and travels unencrypted)"
            );
        }
        let total: u64 = sources.iter().map(|s| s.size).sum();
        eprintln!(
            "fimql serve: {} file(s), {} bytes, scope {}; open the URL above; Ctrl-C stops",
            sources.len(),
            total,
            Scope::from(args.scope)
        );
        if args.open
            && let Err(e) = open_browser::that_detached(&url)
        {
            eprintln!("fimql serve: cannot open a browser: {e}");
        }
        let app = Arc::new(App {
            sources,
            scope: args.scope.into(),
            catalog: Options::new(args.scope.into()).catalog,
            token,
            port,
            bound: args.host.clone(),
            clients: Clients::default(),
            reads: Arc::new(tokio::sync::Semaphore::new(MAX_READS)),
            time_limit: Duration::from_secs_f64(args.time_limit),
            jobs,
            hasher: RandomState::new(),
        });
        serve(listener, router(app)).await
    })
}

/// How long a client may take to send a request's headers, from the connection's start or the
/// end of its previous request; then the connection is closed without an answer.
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's body, from when its headers are read; then
/// the request gets 408 and the connection is closed.
pub(crate) const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long Ctrl-C waits for the requests being answered.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `router` on the connections `listener` accepts (HTTP/1.1, as `axum::serve` does, with
/// [`HEADER_TIMEOUT`]), until Ctrl-C.
async fn serve(listener: tokio::net::TcpListener, router: Router) -> u8 {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut ctrl_c = std::pin::pin!(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    });
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // A connection reset before it was accepted: the next one. Out of file
                    // descriptors and the like: wait a little, as `axum::serve` does.
                    if !matches!(
                        e.kind(),
                        ErrorKind::ConnectionRefused
                            | ErrorKind::ConnectionAborted
                            | ErrorKind::ConnectionReset
                    ) {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    continue;
                }
            },
            () = &mut ctrl_c => break,
        };
        let conn = http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(router.clone()),
        );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A client that went away or timed out: nothing to answer.
            let _ = conn.await;
        });
    }
    // The requests being answered finish (idle connections close), for a few seconds at most.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    0
}

/// The routes: the page, its assets and the API; anything else is 404 (no file is served by
/// name).
fn router(app: AppState) -> Router {
    Router::new()
        .route("/", get(api::index))
        .route("/app.js", get(api::app_js))
        .route("/app.css", get(api::app_css))
        .route("/api/info", get(api::info))
        .route("/api/check", post(api::check))
        .route("/api/query", post(api::query))
        .route(
            "/api/explain",
            post(api::explain).layer(DefaultBodyLimit::max(api::EXPLAIN_BODY)),
        )
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(RequestBodyDeadlineLayer::new(BODY_TIMEOUT))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            security::guard,
        ))
        .with_state(app)
}

/// A file from the command line: a regular file that can be read, opened once for every query,
/// with its codec.
fn source(path: &PathBuf) -> Result<Source, String> {
    let mut f = File::open(path).map_err(|e| e.to_string())?;
    let meta = f.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(
            "not a regular file (give exported files; standard input cannot be re-read)".into(),
        );
    }
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match f.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(Source {
        name: path.display().to_string(),
        file: Arc::new(f),
        size: meta.len(),
        modified: meta.modified().ok(),
        codec: Codec::detect(&head[..got]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the query started as `(latest, generation)` has been superseded.
    fn stale((latest, generation): &(Arc<AtomicU64>, u64)) -> bool {
        latest.load(Ordering::SeqCst) != *generation
    }

    #[test]
    fn a_query_supersedes_only_its_own_clients() {
        let clients = Clients::default();
        let a1 = clients.start(Some("a"));
        let b1 = clients.start(Some("b"));
        let script = clients.start(None);
        assert!(!stale(&a1) && !stale(&b1) && !stale(&script));
        let a2 = clients.start(Some("a"));
        assert!(stale(&a1) && !stale(&a2));
        assert!(!stale(&b1) && !stale(&script));
        // Queries that name no client never supersede each other.
        let script2 = clients.start(None);
        assert!(!stale(&script) && !stale(&script2));
    }

    #[test]
    fn the_client_heard_from_least_recently_is_forgotten() {
        let clients = Clients::default();
        let first = clients.start(Some("c0"));
        for i in 1..MAX_CLIENTS {
            clients.start(Some(&format!("c{i}")));
        }
        // c1 is heard from again: c0 is now the least recent.
        clients.start(Some("c1"));
        let one_more = clients.start(Some("new"));
        assert!(!stale(&one_more));
        let table = clients.0.lock().unwrap();
        assert_eq!(table.slots.len(), MAX_CLIENTS);
        assert!(!table.slots.contains_key("c0") && table.slots.contains_key("c1"));
        drop(table);
        // Forgotten, c0's query is not stopped by its next one (a fresh counter).
        let again = clients.start(Some("c0"));
        assert!(!stale(&first) && !stale(&again));
    }
}
