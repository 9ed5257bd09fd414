//! `fimql serve`: a local web page to write filters against real exports and see the answer as
//! you type: diagnostics, the number of matching events, a histogram over time, group-by counts,
//! the events themselves and why one matched.
//!
//! - `mod.rs`: the command line, start-up (the files, the token, the address) and the router.
//! - `security.rs`: the token, `Host` and `Origin` checks and the headers of every response.
//! - `api.rs`: the page's assets and the JSON endpoints.
//! - `query.rs`: one query over the exports, on all cores, cancellable and time-limited.
//! - `extract.rs`: the values at a few paths of a record without building it.
//!
//! Nothing is loaded at start-up: each file is opened and its first bytes read (its codec), and
//! every query reads the files again, with bounded buffers.

mod api;
mod extract;
mod query;
mod security;

use std::fs::File;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use fimql::catalog::Scope;
use fimql::stream::Codec;
use fimql::{Options, catalog::Catalog};

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
/// Security: the server listens on loopback only unless --host says otherwise; every request
/// must carry the token (a cookie set when the printed URL is opened); requests whose Host is
/// not this server or that come from another origin are refused; it reads only the FILEs given.
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
    /// Worker threads per query (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
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
    /// The generation of the latest query; a running query stops when it changes.
    pub latest: Arc<AtomicU64>,
    /// Held by the query running (one at a time), until its threads are done.
    pub running: Arc<tokio::sync::Mutex<()>>,
    pub time_limit: Duration,
    pub jobs: usize,
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
                eprintln!("fimql serve: {}: {e}", path.display());
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
            latest: Arc::new(AtomicU64::new(0)),
            running: Arc::new(tokio::sync::Mutex::new(())),
            time_limit: Duration::from_secs_f64(args.time_limit),
            jobs,
        });
        let router = router(app);
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("fimql serve: {e}");
                2
            }
        }
    })
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
        .layer(DefaultBodyLimit::max(MAX_BODY))
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
        codec: Codec::detect(&head[..got]),
    })
}
