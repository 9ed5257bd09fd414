//! `fimql filter`: stream records from files, evaluate, write matches in input order.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant as Clock};

use clap::Args;
use fimql::catalog::Scope;
use fimql::date::Instant;
use fimql::eval::{Matcher, RecordError};
use fimql::fields::Projection;
use fimql::group::GroupBy;
use fimql::stream::{Batch, Codec, Item, Layout, RecordReader};
use fimql::{Filter, Options};

use crate::chunks::Chunked;
use crate::histogram::{BucketArg, Chart};
use crate::live;
use crate::output::{ColorArg, OutputFormat, Rows, color_on};
use crate::{ScopeArg, filter_text, parse_now};

/// The examples of `fimql filter --help`, with their real output on the sample export (a test
/// runs each one and compares).
const EXAMPLES: &str = "\
Examples, run from the root of the repository on its sample export:

  $ fimql filter --format table --fields dateTime,action,asset.name -n 3 \\
      severity:5 examples/events.ndjson
  dateTime                      action    asset.name
  2023-04-10T19:56:34.445+0000  Security  LAPTOP-85AEEE1
  2023-11-01T03:51:45.826+0000  Delete    ip-10-0-12
  2023-06-26T17:43:45.826+0000  Delete    LAPTOP-4047655

  $ fimql filter --format csv --fields asset.name,profiles.rules.name -n 3 \\
      severity:5 examples/events.ndjson
  asset.name,profiles.rules.name
  LAPTOP-85AEEE1,CR_Windows_System32_Changes; User temp dirs
  ip-10-0-12,Program Files watch
  LAPTOP-4047655,Web root

  $ fimql filter --histogram month --format table severity:5 examples/events.ndjson
  2023-01 2  ██████████████████████████████████▌
  2023-02 0
  2023-03 4  █████████████████████████████████████████████████████████████████████
  2023-04 2  ██████████████████████████████████▌
  2023-05 2  ██████████████████████████████████▌
  2023-06 1  █████████████████▎
  2023-07 2  ██████████████████████████████████▌
  2023-08 2  ██████████████████████████████████▌
  2023-09 1  █████████████████▎
  2023-10 0
  2023-11 1  █████████████████▎
  2023-12 1  █████████████████▎
  18 events by month of dateTime (UTC)

  $ fimql filter --group-by action --format csv severity:5 examples/events.ndjson
  action,count
  Attributes,2
  Content,3
  Create,5
  Delete,4
  Permission,1
  Rename,1
  Security,2

On a terminal, --format table is the default, fitted to its width; --histogram then draws its bar
chart and --group-by its table. Piped, the output is NDJSON (the events as they are), the histogram
one JSON object ({\"2023-01-01T00:00:00Z\":2,\"2023-02-01T00:00:00Z\":0,...}), the group-by counts
the JSON of the FIM count API.";

#[derive(Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub struct FilterArgs {
    /// The filter, or `-` to read it from standard input (then FILE must be given).
    filter: String,
    /// Input files; standard input when none is given or FILE is `-`.
    files: Vec<String>,
    /// Print only the number of matching events.
    #[arg(long, short = 'c', conflicts_with = "group_by")]
    count: bool,
    /// Count matching events per value of TOKEN (a token or alias of the scope, or a raw JSON
    /// path with --allow-unknown, as for --fields), like the FIM count API (repeat for nested
    /// keys); numbers count under their text as written in the record.
    /// On a terminal, and with --format table, csv or tsv, the counts are rows: one column per
    /// TOKEN and a count.
    #[arg(long = "group-by", value_name = "TOKEN")]
    group_by: Vec<String>,
    /// Output format [default: table on a terminal, ndjson otherwise]. With --histogram: table
    /// is a bar chart, json and ndjson one JSON object, csv and tsv two columns.
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<OutputFormat>,
    /// The fields to show, comma-separated (or repeat the option): tokens or aliases of the
    /// scope (`asset.name`, `file.fullPath`, `profiles.rules.name`), or raw JSON paths (keys
    /// joined by single dots) with --allow-unknown. As in the filter, they are read inside
    /// `data` for a record of a search response (`{"sortValues": [...], "data": {...}}`).
    /// Numbers show as written in the record. A field that holds several values (a path through arrays) is one cell,
    /// the values joined by "; " (in JSON: an array); a missing field is an empty cell (null).
    /// Default for table, csv, tsv: dateTime,action,severity,asset.name,file.fullPath (events),
    /// createdDate,name,status,approvalStatus,type (incidents).
    #[arg(
        long,
        alias = "columns",
        value_name = "FIELD,...",
        conflicts_with_all = ["count", "group_by", "histogram"]
    )]
    fields: Vec<String>,
    /// Count matching events per hour, day or month (UTC) of --time-field: a bar chart on a
    /// terminal (every bucket from the first to the last, empty ones too), one JSON object from
    /// bucket start to count with --format json or ndjson, two columns (start,count) with csv
    /// or tsv.
    #[arg(long, value_enum, value_name = "BUCKET", conflicts_with_all = ["count", "group_by"])]
    histogram: Option<BucketArg>,
    /// The date token that --histogram counts by [default: dateTime for events, createdDate
    /// for incidents (the date the incidents table shows first)].
    #[arg(long, value_name = "TOKEN", requires = "histogram")]
    time_field: Option<String>,
    /// Colour in tables and charts: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// Stop after N matching events (N is at least 1).
    #[arg(long, short = 'n', value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
    /// Select the events that do NOT match.
    #[arg(long, short = 'v')]
    invert: bool,
    /// Which API the filter is for.
    #[arg(long, value_enum, default_value_t = ScopeArg::Events)]
    scope: ScopeArg,
    /// The clock for `now` in the filter, e.g. 2023-01-10T12:00:00Z (default: the current time).
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_now)]
    now: Option<Instant>,
    /// Evaluate unknown tokens as raw JSON paths (typed as text) instead of rejecting them.
    #[arg(long)]
    allow_unknown: bool,
    /// Worker threads (default: all cores; 1 runs everything on one thread). With 2 or more, an
    /// uncompressed NDJSON file is read by all of them at once, at independent offsets, and
    /// compressed (gzip, zstd) files are decompressed several at once, each by the worker that
    /// filters it, or on a thread of its own beside that worker when fewer files are being read
    /// or left than workers (one file and `--jobs 2`, say); output keeps the input order. At most
    /// 256.
    #[arg(long, short = 'j', value_name = "N", value_parser = crate::jobs_parser())]
    jobs: Option<usize>,
    /// Input layout (default: detected per file from its first lines). A file whose start does
    /// not fit the layout given is an error for that file (exit status 2), which is not read:
    /// array for a file that does not start with `[`, ndjson or json for one that does, ndjson
    /// for one whose first line is a lone `{` (pretty-printed objects).
    #[arg(long, value_enum)]
    input_format: Option<InputFormat>,
    /// Skip records that lack a literal the filter requires without parsing them (faster for
    /// selective filters; such records are then not checked for being well-formed). Ignored
    /// with --invert.
    #[arg(long)]
    prefilter: bool,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum InputFormat {
    Ndjson,
    Array,
    Json,
}

/// What happened to one record.
enum Outcome {
    /// Selected; with the parts of the event the output needs, when the writer of the output
    /// asked for them (see [`Select::prepare`]).
    Selected(Option<serde_json::Value>),
    Rejected,
    /// Boxed, so that an outcome takes 32 bytes: a batch of tiny records holds one per record.
    Error(Box<RecordError>),
}

/// How records are selected, and what is prepared of a selected one where it is selected (on the
/// worker threads), for the writer.
#[derive(Clone)]
struct Select {
    invert: bool,
    /// Parse each selected record as far as the output's fields need.
    prepare: Option<Arc<Projection>>,
}

/// Output sink; remembers a closed pipe.
struct Out {
    w: BufWriter<io::StdoutLock<'static>>,
}

impl Out {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.w.write_all(bytes)?;
        self.w.write_all(b"\n")
    }

    /// Writes `slices` in order, straight from where they are (no copy into the buffer), after
    /// what is buffered.
    fn write_slices(&mut self, mut slices: &mut [io::IoSlice<'_>]) -> io::Result<()> {
        if slices.is_empty() {
            return Ok(());
        }
        self.w.flush()?;
        let w = self.w.get_mut();
        while !slices.is_empty() {
            match w.write_vectored(slices) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => io::IoSlice::advance_slices(&mut slices, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

struct Totals {
    selected: u64,
    records: u64,
    skipped: u64,
    errors: bool,
}

pub fn run(args: FilterArgs) -> u8 {
    // clap's `requires` on --time-field does not hold when --count (which conflicts with
    // --histogram) is given: checked here, so that the option is never silently ignored.
    if args.time_field.is_some() && args.histogram.is_none() {
        eprintln!(
            "error: --time-field <TOKEN> is the date token of --histogram, which is not given\n\n\
             For more information, try '--help'."
        );
        return 2;
    }
    let src = match filter_text(&args.filter) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if args.filter == "-" && (args.files.is_empty() || args.files.iter().any(|f| f == "-")) {
        eprintln!("fimql: the filter is read from standard input, so give the events as FILE");
        return 2;
    }
    let scope: Scope = args.scope.into();
    let mut opts = Options::new(scope).allow_unknown(args.allow_unknown);
    if let Some(now) = args.now {
        opts = opts.now(now);
    }
    let filter = match fimql::compile(&src, &opts) {
        Ok(f) => f,
        Err(e) => {
            eprint!(
                "{}",
                e.name_allow_unknown(crate::ALLOW_UNKNOWN).render(&src)
            );
            if args.filter != "-" && is_file(&args.filter) {
                // `fimql filter events.ndjson 'action:Create'`: the arguments swapped.
                eprintln!(
                    "note: `{}` is a file: the filter comes first (fimql filter FILTER FILE...); \
                     to read the filter from a file, give `-` for it (fimql filter - FILE... < \
                     FILTER-FILE)",
                    crate::shown_name(&args.filter)
                );
            }
            return 2;
        }
    };
    if !filter.warnings().is_empty() {
        eprint!("{}", crate::render_all(filter.warnings(), &src));
    }
    let mut group_fields = Vec::new();
    for token in &args.group_by {
        // Named like a field of --fields: a token or alias of the scope, or a raw JSON path
        // with --allow-unknown.
        match fimql::fields::Field::resolve(token, &opts) {
            Ok(field) => group_fields.push(field),
            Err(d) => {
                let d = d.name_allow_unknown(crate::ALLOW_UNKNOWN);
                eprint!("fimql: --group-by: {}", d.render(token));
                return 2;
            }
        }
    }
    let mut group = (!group_fields.is_empty())
        .then(|| GroupBy::new(group_fields.iter().map(|f| f.path().to_vec()).collect()));
    // What the workers read of a matched record for the counts: the values at the paths,
    // numbers as written (they are the keys).
    let group_projection = (!group_fields.is_empty())
        .then(|| Arc::new(Projection::new(&group_fields).keep_number_text(true)));
    let format = args.format.unwrap_or(if io::stdout().is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Ndjson
    });
    let color = color_on(args.color);
    let rows = match rows_for(&args, &opts, format, color) {
        Ok(rows) => rows,
        Err(code) => return code,
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let files: Vec<String> = if args.files.is_empty() {
        if io::stdin().is_terminal() {
            // Not a mistake (events may be pasted), but nothing else would say what it waits for.
            eprintln!(
                "fimql: reading events from standard input (a terminal; end with Ctrl-D), as \
                 no FILE is given"
            );
        }
        vec!["-".to_string()]
    } else {
        args.files.clone()
    };
    let live_input = files.iter().any(|f| live::may_be_live(f));
    let rows = rows.map(|r| r.live(live_input));
    let total_bytes: u64 = files
        .iter()
        .filter(|f| *f != "-")
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let mut sink = Sink {
        looked: vec![false; files.len()],
        args: &args,
        files: &files,
        group: &mut group,
        rows,
        out: Out {
            w: BufWriter::with_capacity(256 << 10, io::stdout().lock()),
        },
        totals: Totals {
            selected: 0,
            records: 0,
            skipped: 0,
            errors: false,
        },
        progress: Progress::new(total_bytes, args.quiet),
    };
    let layout = args.input_format.map(|f| match f {
        InputFormat::Ndjson => Layout::Ndjson,
        InputFormat::Array => Layout::Array,
        InputFormat::Json => Layout::Concatenated,
    });
    let prefilter = args.prefilter && !args.invert;
    let select = Select {
        invert: args.invert,
        prepare: match &group_projection {
            Some(p) => Some(Arc::clone(p)),
            None => sink.rows.as_ref().and_then(Rows::projection),
        },
    };
    let flow = if jobs == 1 && live_input {
        // Input that arrives over time: read on a thread of its own, so that a table waiting
        // for its widths can start while no input comes (see `Sink::tick`).
        let mut matcher = filter.matcher().with_prefilter(prefilter);
        let mut inputs = Inputs::new(files.clone(), layout);
        let (tx, rx) = sync_channel::<Msg>(1);
        let (back_tx, back_rx) = channel::<Vec<u8>>();
        let spawned = thread::Builder::new().spawn(move || {
            loop {
                for buf in back_rx.try_iter() {
                    inputs.recycle(buf);
                }
                let Some(msg) = inputs.next() else { return };
                if tx.send(msg).is_err() {
                    return;
                }
            }
        });
        if let Err(e) = spawned {
            eprintln!("fimql: cannot start a thread: {e}");
            return 2;
        }
        loop {
            let msg = match sink.recv(&rx) {
                Ok(Some(msg)) => msg,
                Ok(None) => break Flow::Continue,
                Err(flow) => break flow,
            };
            let outcomes = evaluate(&mut matcher, &msg, &select);
            let flow = sink.take(&msg, &outcomes);
            if let Msg::Batch { batch, .. } = msg {
                let _ = back_tx.send(batch.bytes);
            }
            if !matches!(flow, Flow::Continue) {
                break flow;
            }
        }
    } else if jobs == 1 {
        // Everything on this thread.
        let mut matcher = filter.matcher().with_prefilter(prefilter);
        let mut inputs = Inputs::new(files.clone(), layout);
        let mut flow = Flow::Continue;
        while let Some(msg) = inputs.next() {
            let outcomes = evaluate(&mut matcher, &msg, &select);
            flow = sink.take(&msg, &outcomes);
            if let Msg::Batch { batch, .. } = msg {
                inputs.recycle(batch.bytes);
            }
            if !matches!(flow, Flow::Continue) {
                break;
            }
        }
        flow
    } else {
        pipeline(
            Arc::new(filter),
            files.clone(),
            layout,
            jobs,
            prefilter,
            select,
            &mut sink,
        )
    };
    let Sink {
        mut out,
        totals,
        progress,
        rows,
        ..
    } = sink;
    // The reader of the output left (`| head`): the rest is not read. Errors met before still
    // give status 2, as they would have without the pipe.
    let left = |totals: &Totals| {
        if totals.skipped > 0 {
            eprintln!(
                "fimql: {} of {} records read skipped because they are malformed (see above)",
                totals.skipped, totals.records
            );
        }
        if totals.errors || totals.skipped > 0 {
            2
        } else {
            0
        }
    };
    match flow {
        Flow::Continue | Flow::Limit => {}
        Flow::BrokenPipe => return left(&totals),
        Flow::WriteError(e) => {
            eprintln!("fimql: cannot write output: {e}");
            return 2;
        }
        Flow::Thread(e) => {
            eprintln!("fimql: cannot start a worker thread: {e} (try a smaller --jobs)");
            return 2;
        }
    }
    progress.finish();
    let mut finished = true;
    let flushed = if args.count {
        out.write(totals.selected.to_string().as_bytes())
    } else if let Some(g) = &group {
        match format {
            OutputFormat::Table | OutputFormat::Csv | OutputFormat::Tsv => {
                crate::output::group_rows(&g.to_json(), &args.group_by, format, color, &mut out.w)
            }
            OutputFormat::Ndjson | OutputFormat::Json => {
                out.write(g.to_json().to_string().as_bytes())
            }
        }
    } else if let Some(rows) = rows {
        rows.finish(&mut out.w).map(|ok| finished = ok)
    } else {
        Ok(())
    };
    let flushed = flushed.and_then(|()| out.w.flush());
    if let Err(e) = flushed {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return left(&totals);
        }
        eprintln!("fimql: cannot write output: {e}");
        return 2;
    }
    if totals.skipped > 0 {
        eprintln!(
            "fimql: {} of {} records skipped because they are malformed (see above)",
            totals.skipped, totals.records
        );
    }
    if totals.errors || totals.skipped > 0 || !finished {
        2
    } else if totals.selected > 0 {
        0
    } else {
        1
    }
}

/// The writer of matched records for `format`, or `None` for the raw NDJSON output (and for
/// `--count` and `--group-by`, which write at the end). An unknown field is reported here: `Err`
/// holds the exit status.
fn rows_for(
    args: &FilterArgs,
    opts: &Options,
    format: OutputFormat,
    color: bool,
) -> Result<Option<Rows>, u8> {
    if let Some(bucket) = args.histogram {
        let time_field = args.time_field.as_deref().unwrap_or(match opts.scope {
            Scope::Incidents => "createdDate",
            _ => "dateTime",
        });
        return match fimql::histogram::Histogram::for_field(bucket.into(), time_field, opts) {
            Ok(h) => Ok(Some(Rows::histogram(Chart::new(h, format, color)))),
            Err(d) => {
                eprint!("fimql: --time-field: {}", d.render(time_field));
                Err(2)
            }
        };
    }
    if args.count || !args.group_by.is_empty() {
        return Ok(None);
    }
    let list = args.fields.join(",");
    let fields = if args.fields.is_empty() {
        match format {
            OutputFormat::Ndjson | OutputFormat::Json => Vec::new(),
            OutputFormat::Table | OutputFormat::Csv | OutputFormat::Tsv => {
                let defaults = fimql::fields::default_fields(opts.scope).join(",");
                fimql::fields::parse_list(&defaults, opts).map_err(|e| {
                    eprint!("{}", e.render(&defaults));
                    2u8
                })?
            }
        }
    } else {
        match fimql::fields::parse_list(&list, opts) {
            Ok(f) => f,
            Err(e) => {
                let e = e.name_allow_unknown(crate::ALLOW_UNKNOWN);
                eprint!("fimql: --fields: {}", e.render(&list));
                return Err(2);
            }
        }
    };
    if format == OutputFormat::Ndjson && fields.is_empty() {
        return Ok(None);
    }
    Ok(Some(Rows::new(format, fields, color)))
}

/// One unit of work: a batch of records of a file, or a file that cannot be read.
enum Msg {
    Batch {
        file: usize,
        batch: Batch,
        layout: Layout,
        lines: Lines,
    },
    FileError {
        file: usize,
        error: io::Error,
    },
}

/// How the line numbers of a batch's items count.
#[derive(Clone, Copy, Debug)]
enum Lines {
    /// From the start of the file.
    Absolute,
    /// From 1 at the start of a chunk read on its own: `base` is the line number there when the
    /// chunk is the first of its file read this way (later chunks follow on from the one
    /// before); `newlines` is how many lines the chunk spans.
    Relative { base: Option<u64>, newlines: u64 },
}

/// A chunk of a plain NDJSON file, to be read by a worker on its own.
struct Claim {
    file: usize,
    handle: Arc<File>,
    start: u64,
    end: u64,
    /// The file's first chunk read this way: a line starts at `start`, which is line `base`.
    base: Option<u64>,
}

/// What a worker gets to do next.
enum Unit {
    /// A batch (or file error) read already.
    Ready(Msg),
    /// A chunk to read, then filter.
    Chunk(Claim),
    /// A whole compressed file to decompress and filter, and how many input files are left to
    /// open after it.
    Compressed(Opened, usize),
}

/// A file opened for reading by batches.
struct Opened {
    file: usize,
    reader: RecordReader<Box<dyn io::Read + Send>>,
}

/// The size of a chunk read on its own.
const CHUNK_BYTES: u64 = fimql::stream::BATCH_BYTES as u64;

/// How the run goes on after a batch.
enum Flow {
    Continue,
    Limit,
    BrokenPipe,
    WriteError(io::Error),
    /// No worker thread could start.
    Thread(io::Error),
}

/// Every input in order, as batches (and errors of files that cannot be read).
struct Inputs {
    files: Vec<String>,
    layout: Option<Layout>,
    /// The index of the next file to open.
    next_file: usize,
    /// The file being read, and its index.
    reader: Option<(usize, RecordReader<Box<dyn io::Read + Send>>)>,
    /// Buffers of batches done with, for later batches.
    recycled: Vec<Vec<u8>>,
    /// Whether plain NDJSON files may be handed out as chunks (see [`Inputs::next_unit`]).
    chunking: bool,
    /// The file being read, when it is a plain file that may be read at any offset.
    plain: Option<Arc<File>>,
    /// The bytes read of `plain` through its reader (see [`Counted`]).
    plain_read: Option<Arc<AtomicU64>>,
    /// The file being handed out in chunks.
    chunked: Option<Chunked>,
    /// Whether compressed files are handed out whole (see [`Inputs::next_unit`]).
    whole_compressed: bool,
}

impl Inputs {
    fn new(files: Vec<String>, layout: Option<Layout>) -> Inputs {
        Inputs {
            files,
            layout,
            next_file: 0,
            reader: None,
            recycled: Vec::new(),
            chunking: false,
            plain: None,
            plain_read: None,
            chunked: None,
            whole_compressed: false,
        }
    }

    /// Inputs that hand out the rest of a plain NDJSON file as chunks once its first batch is
    /// read, so that several workers read it at once.
    fn chunking(mut self) -> Inputs {
        self.chunking = cfg!(unix);
        self.whole_compressed = true;
        self
    }

    /// A buffer for a chunk.
    fn take_buffer(&mut self) -> Vec<u8> {
        self.recycled.pop().unwrap_or_default()
    }

    /// The next unit of work: a batch read here (as [`Inputs::next`]); once a plain NDJSON
    /// file's first batch is out, a chunk of that file for the caller to read; or, for inputs
    /// made with [`Inputs::chunking`], a whole compressed file, opened, for the caller to read.
    fn next_unit(&mut self) -> Option<Unit> {
        if let Some(c) = &mut self.chunked {
            // The file may have grown since its first batch: it is read to its end as last seen.
            if let Some(chunk) = c.next_chunk(true) {
                return Some(Unit::Chunk(Claim {
                    file: c.file,
                    handle: Arc::clone(&c.handle),
                    start: chunk.start,
                    end: chunk.end,
                    base: chunk.base,
                }));
            }
            self.chunked = None;
        }
        if self.whole_compressed && self.reader.is_none() {
            match self.open_next()? {
                Ok((opened, true)) => {
                    let left = self.files.len() - self.next_file;
                    return Some(Unit::Compressed(opened, left));
                }
                Ok((opened, false)) => self.reader = Some((opened.file, opened.reader)),
                Err(msg) => return Some(Unit::Ready(msg)),
            }
        }
        let msg = self.next()?;
        if let (Msg::Batch { file, .. }, Some((at, reader))) = (&msg, &self.reader) {
            let resume = reader.resume_point();
            if let (true, Some(handle), Some((next, line))) = (*at == *file, &self.plain, resume) {
                self.chunked = Some(Chunked::new(*file, handle, (next, line), CHUNK_BYTES));
                // The bytes the reader read past `next` are read again in chunks, and
                // counted then.
                if let Some(read) = self.plain_read.take() {
                    let ahead = read.load(Ordering::Relaxed).saturating_sub(next);
                    READ.fetch_sub(ahead, Ordering::Relaxed);
                }
                self.reader = None;
                self.plain = None;
            }
        }
        Some(Unit::Ready(msg))
    }

    fn recycle(&mut self, bytes: Vec<u8>) {
        self.recycled.push(bytes);
    }

    /// Opens the next file: the reader and whether the file is compressed, or the error that
    /// stops it from being read; `None` after the last input.
    fn open_next(&mut self) -> Option<Result<(Opened, bool), Msg>> {
        let file = self.next_file;
        let name = self.files.get(file)?;
        self.next_file += 1;
        self.plain = None;
        self.plain_read = None;
        let opened = open_input(name).and_then(|(input, plain, codec, live, count)| {
            let input = match self.layout {
                Some(layout) => fits_layout(input, layout)?,
                None => input,
            };
            Ok((input, plain, codec, live, count))
        });
        Some(match opened {
            Ok((input, plain, codec, live, count)) => {
                if self.chunking {
                    self.plain = plain.map(Arc::new);
                    self.plain_read = count;
                }
                let reader = match self.layout {
                    Some(l) => RecordReader::with_layout(input, l),
                    None => RecordReader::new(input),
                }
                .live(live);
                Ok((Opened { file, reader }, codec != Codec::Plain))
            }
            Err(error) => Err(Msg::FileError { file, error }),
        })
    }

    /// The next batch or file error; `None` at the end of the last input.
    fn next(&mut self) -> Option<Msg> {
        loop {
            let Some((file, reader)) = &mut self.reader else {
                match self.open_next()? {
                    Ok((opened, _)) => self.reader = Some((opened.file, opened.reader)),
                    Err(msg) => return Some(msg),
                }
                continue;
            };
            let file = *file;
            for buf in self.recycled.drain(..) {
                reader.recycle(buf);
            }
            match reader.next_batch() {
                Ok(Some(batch)) => {
                    let layout = reader.layout().unwrap_or(Layout::Ndjson);
                    return Some(Msg::Batch {
                        file,
                        batch,
                        layout,
                        lines: Lines::Absolute,
                    });
                }
                Ok(None) => self.reader = None,
                Err(error) => {
                    // A read error ends this file.
                    self.reader = None;
                    return Some(Msg::FileError { file, error });
                }
            }
        }
    }
}

/// The bytes read so far from regular input files through their readers: as stored in the file
/// (compressed, for a compressed file), to compare with the files' sizes in the progress bar.
/// Chunks of plain files read on their own are counted apart (see [`Progress::update`]).
static READ: AtomicU64 = AtomicU64::new(0);

/// Whether reads are counted in [`READ`]: only while a progress bar shows them. Without it,
/// files are read as they are, not through [`Counted`], whose plain `read` makes the standard
/// library zero each buffer before reading into it (a file reads straight into it).
static COUNTING: AtomicBool = AtomicBool::new(false);

/// A regular input file whose reads are counted in [`READ`] (and in `count`, the file's own).
struct Counted {
    file: File,
    count: Arc<AtomicU64>,
}

impl io::Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        READ.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An input opened for reading (decompressed), with its codec; for a regular file that is not
/// compressed, also a second handle to it, for reading at any offset; and whether to read it live
/// (uncompressed input that arrives over time: standard input or a named pipe, see [`live`]).
/// The last is the count of bytes read from a regular file (see [`Counted`]).
type OpenedInput = (
    Box<dyn io::Read + Send>,
    Option<File>,
    Codec,
    bool,
    Option<Arc<AtomicU64>>,
);

/// Opens an input (see [`OpenedInput`]). Input compressed with a codec that is not read says how
/// to decompress it.
fn open_input(name: &str) -> io::Result<OpenedInput> {
    open_any(name).map_err(|e| {
        let codec = e
            .get_ref()
            .and_then(|e| e.downcast_ref::<fimql::stream::UnreadInput>())
            .and_then(|u| u.0);
        match codec.and_then(|c| Some((c.name(), c.decompress_command()?))) {
            Some((codec, command)) => {
                let file = if name == "-" { "FILE" } else { name };
                io::Error::new(
                    e.kind(),
                    format!(
                        "{codec}-compressed input is not supported; decompress it first \
                         ({command} {file} | fimql filter ...)"
                    ),
                )
            }
            None => e,
        }
    })
}

/// Whether `name` names a file (of any kind but a directory).
fn is_file(name: &str) -> bool {
    std::fs::metadata(name).is_ok_and(|m| !m.is_dir())
}

fn open_any(name: &str) -> io::Result<OpenedInput> {
    let f = if name == "-" {
        live::stdin_file()?
    } else {
        File::open(name)?
    };
    let meta = f.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::other("is a directory"));
    }
    if !live::is_regular(&f) {
        let (input, codec) = fimql::stream::open_detected(live::Draining(f))?;
        return Ok((input, None, codec, codec == Codec::Plain, None));
    }
    let second = f.try_clone().ok();
    // Standard input is not in the progress bar's total, and without a bar nothing is counted.
    let (input, codec, count) = if name == "-" || !COUNTING.load(Ordering::Relaxed) {
        let (input, codec) = fimql::stream::open_detected(f)?;
        (input, codec, None)
    } else {
        let count = Arc::new(AtomicU64::new(0));
        let counted = Counted {
            file: f,
            count: Arc::clone(&count),
        };
        let (input, codec) = fimql::stream::open_detected(counted)?;
        (input, codec, Some(count))
    };
    // The second handle reads from the start, whatever the first one has read.
    let plain = second.filter(|_| codec == Codec::Plain && cfg!(unix) && name != "-");
    Ok((input, plain, codec, false, count))
}

/// The input again, having checked from its start (up to its first non-blank line) that it fits
/// the layout given with --input-format: `[` for an array, not `[` for NDJSON and JSON objects,
/// a first record on one line for NDJSON. A file that does not fit is one error, rather than
/// one for every record.
fn fits_layout(
    mut input: Box<dyn io::Read + Send>,
    layout: Layout,
) -> io::Result<Box<dyn io::Read + Send>> {
    const ENOUGH: usize = 64 << 10;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let first_line = |head: &[u8]| -> Option<(usize, Option<usize>)> {
        let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
        Some((start, memchr::memchr(b'\n', &text[start..])))
    };
    loop {
        if head.len() >= ENOUGH || first_line(&head).is_some_and(|(_, end)| end.is_some()) {
            break;
        }
        match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
    let problem = first_line(&head).and_then(|(start, end)| {
        let line = &text[start..end.map_or(text.len(), |e| start + e)];
        let line = line.trim_ascii();
        let first = String::from_utf8_lossy(line).chars().next().unwrap_or(' ');
        let named = if layout == Layout::Ndjson {
            "ndjson"
        } else {
            "json"
        };
        match layout {
            Layout::Array if !line.starts_with(b"[") => Some(format!(
                "--input-format array does not fit: the input does not start with `[` (it \
                 starts with `{first}`); leave --input-format out to detect the layout"
            )),
            Layout::Ndjson | Layout::Concatenated if line.starts_with(b"[") => Some(format!(
                "--input-format {named} does not fit: the input is a JSON array; use \
                 --input-format array, or leave --input-format out to detect the layout"
            )),
            Layout::Ndjson if line == b"{" => Some(
                "--input-format ndjson does not fit: the first record is not on one line \
                 (pretty-printed JSON); use --input-format json, or leave --input-format out to \
                 detect the layout"
                    .to_string(),
            ),
            _ => None,
        }
    });
    if let Some(problem) = problem {
        return Err(io::Error::new(io::ErrorKind::InvalidData, problem));
    }
    Ok(Box::new(io::Cursor::new(head).chain(input)))
}

/// Reads a chunk of a plain NDJSON file.
#[cfg(unix)]
fn read_claim(claim: Claim, buf: Vec<u8>) -> Msg {
    let at_line_start = claim.base.is_some();
    match crate::chunks::read_ndjson_chunk(
        &claim.handle,
        claim.start,
        claim.end,
        at_line_start,
        buf,
    ) {
        Ok((batch, newlines)) => Msg::Batch {
            file: claim.file,
            batch,
            layout: Layout::Ndjson,
            lines: Lines::Relative {
                base: claim.base,
                newlines,
            },
        },
        Err(error) => Msg::FileError {
            file: claim.file,
            error,
        },
    }
}

#[cfg(not(unix))]
fn read_claim(claim: Claim, _: Vec<u8>) -> Msg {
    Msg::FileError {
        file: claim.file,
        error: io::Error::other("reading at an offset is not supported here"),
    }
}

/// `jobs` workers, each reading the next batch (in turn) and evaluating it, so that a batch is
/// read and filtered on the same core; this thread writes the results in input order.
fn pipeline(
    filter: Arc<Filter>,
    files: Vec<String>,
    layout: Option<Layout>,
    jobs: usize,
    prefilter: bool,
    select: Select,
    sink: &mut Sink<'_>,
) -> Flow {
    // At most `in_flight` batches are read and not yet written: a worker takes a token before
    // reading a batch, and the writer gives it back once the batch is written.
    let in_flight = jobs * 3;
    let (token_tx, token_rx) = sync_channel::<()>(in_flight);
    for _ in 0..in_flight {
        let _ = token_tx.send(());
    }
    let token_rx = Arc::new(Mutex::new(token_rx));
    let inputs = Arc::new(Mutex::new((Inputs::new(files, layout).chunking(), 0u64)));
    let (done_tx, done_rx) = sync_channel::<(u64, Done)>(in_flight);
    let (recycle_tx, recycle_rx) = channel::<Vec<u8>>();
    let recycle_rx = Arc::new(Mutex::new(recycle_rx));
    // What the filtered batches of compressed files ahead of the writer hold, in all.
    let finished = Arc::new(AtomicUsize::new(0));
    // The compressed files being filtered.
    let active = Arc::new(AtomicUsize::new(0));
    for started in 0..jobs {
        let (inputs, token_rx, recycle_rx) = (
            Arc::clone(&inputs),
            Arc::clone(&token_rx),
            Arc::clone(&recycle_rx),
        );
        let done_tx = done_tx.clone();
        let filter = Arc::clone(&filter);
        let select = select.clone();
        let finished = Arc::clone(&finished);
        let active = Arc::clone(&active);
        let spawned = thread::Builder::new().spawn(move || {
            let mut matcher = filter.matcher().with_prefilter(prefilter);
            loop {
                let token = match token_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                if token.is_err() {
                    return;
                }
                let next = {
                    let Ok(mut guard) = inputs.lock() else { return };
                    let (inputs, seq) = &mut *guard;
                    if let Ok(rx) = recycle_rx.lock() {
                        for buf in rx.try_iter() {
                            inputs.recycle(buf);
                        }
                    }
                    inputs.next_unit().map(|unit| {
                        *seq += 1;
                        let buf = match unit {
                            Unit::Chunk(_) => inputs.take_buffer(),
                            Unit::Ready(_) | Unit::Compressed(..) => Vec::new(),
                        };
                        (*seq - 1, unit, buf)
                    })
                };
                let Some((seq, unit, buf)) = next else { return };
                // A chunk is read here, outside the lock, in parallel with other workers.
                let msg = match unit {
                    Unit::Ready(msg) => msg,
                    Unit::Chunk(claim) => read_claim(claim, buf),
                    Unit::Compressed(opened, left) => {
                        let (tx, rx) = finished_queue(&finished);
                        if done_tx.send((seq, Done::Stream(rx))).is_err() {
                            return;
                        }
                        // While there are as many files being filtered or left to open as
                        // workers, every core has a file to decompress and filter. With fewer,
                        // a core would be idle: the file is decompressed on a thread of its own.
                        let busy = active.fetch_add(1, Ordering::Relaxed) + 1;
                        let own_thread = left + busy < jobs;
                        filter_compressed(opened, own_thread, &mut matcher, &select, tx);
                        active.fetch_sub(1, Ordering::Relaxed);
                        continue;
                    }
                };
                let outcomes = evaluate(&mut matcher, &msg, &select);
                if done_tx.send((seq, Done::Ready(msg, outcomes))).is_err() {
                    return;
                }
            }
        });
        if let Err(e) = spawned {
            // Out of threads (a process limit): go on with the workers that started.
            if started == 0 {
                return Flow::Thread(e);
            }
            eprintln!(
                "fimql: {started} of {jobs} worker threads started ({e}); going on with them"
            );
            break;
        }
    }
    drop(done_tx);
    // Results arrive out of order; write them in order.
    let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
    let mut next = 0u64;
    // The line number at the start of the next chunk read on its own.
    let mut line = 1u64;
    // A file whose reading failed: as with one reader, the error ends it (and the line numbers
    // of the chunks after a failed one could not be known).
    let mut ended = None;
    loop {
        let (seq, done) = match sink.recv(&done_rx) {
            Ok(Some(unit)) => unit,
            Ok(None) => break,
            Err(flow) => return flow,
        };
        waiting.insert(seq, done);
        while let Some(done) = waiting.remove(&next) {
            next += 1;
            let (mut msg, outcomes) = match done {
                Done::Ready(msg, outcomes) => (msg, outcomes),
                Done::Stream(rx) => {
                    // A compressed file, batch after batch as its worker filters them.
                    while let Some((msg, outcomes)) = rx.pop() {
                        let flow = sink.take(&msg, &outcomes);
                        if !matches!(flow, Flow::Continue) {
                            return flow;
                        }
                    }
                    let _ = token_tx.send(());
                    continue;
                }
            };
            if let Msg::Batch {
                file,
                lines: Lines::Relative { .. },
                ..
            } = &msg
                && ended == Some(*file)
            {
                if let Msg::Batch { batch, .. } = msg {
                    let _ = recycle_tx.send(batch.bytes);
                }
                let _ = token_tx.send(());
                continue;
            }
            if let Msg::FileError { file, .. } = &msg {
                ended = Some(*file);
            }
            if let Msg::Batch {
                batch,
                lines: Lines::Relative { base, newlines },
                ..
            } = &mut msg
            {
                line = base.unwrap_or(line);
                for item in &mut batch.items {
                    match item {
                        Item::Record { line: l, .. } | Item::Error { line: l, .. } => {
                            *l += line - 1
                        }
                    }
                }
                line += *newlines;
            }
            let flow = sink.take(&msg, &outcomes);
            if let Msg::Batch { batch, .. } = msg {
                let _ = recycle_tx.send(batch.bytes);
            }
            if !matches!(flow, Flow::Continue) {
                return flow;
            }
            let _ = token_tx.send(());
        }
    }
    Flow::Continue
}

/// What a worker hands the writer for one unit of work.
enum Done {
    /// A batch (or file error) and the outcomes of its items.
    Ready(Msg, Vec<Outcome>),
    /// A compressed file being filtered: its batches, in order, as they are done.
    Stream(FinishedRx),
}

/// The bytes that the filtered batches of all compressed files may hold together, waiting to be
/// written (a file whose queue is empty may always add one batch, so that the file the writer
/// waits for never waits for the others).
///
/// Memory is bounded: with `--jobs N`, at most `3 N` units of work are in flight (read and not
/// yet written), so at most `3 N` compressed files hold finished batches, in all at most
/// `FINISHED_BYTES` plus one batch each; and at most `N` files are being read, each with up to
/// [`RAW_BATCHES`] decompressed batches waiting to be filtered, one being read and one being
/// filtered (of about [`fimql::stream::BATCH_BYTES`] each). In all, at most about
/// `64 MiB + 3 N × 1 MiB + N × 4 MiB`, plus 64 bytes per record of the batches in flight (its
/// [`Item`] and its [`Outcome`], 32 bytes each): about 22 MB for a batch of 1 MiB of `{}` lines,
/// nothing much for events of a few kilobytes. Finished batches keep only the bytes of the selected
/// records (see [`compact`]), so the bound is reached only when many records are selected. One
/// budget for all files rather than one per file: a worker that has filtered a file ahead of the
/// writer goes on while the file the writer waits for is decompressed, as long as what it has
/// selected fits (a fifth of the benchmark's 133 MB files, say).
const FINISHED_BYTES: usize = 64 << 20;

/// How many decompressed batches a compressed file's reader thread may read ahead of its worker.
const RAW_BATCHES: usize = 2;

/// Filters a compressed file's batches as they are decompressed and split, and hands them on to
/// `out` in order (until the writer stops taking them). With `own_thread`, the file is
/// decompressed and split on a reader thread of its own, so that reading and filtering overlap
/// on two cores; otherwise here, between its batches.
fn filter_compressed(
    opened: Opened,
    own_thread: bool,
    matcher: &mut Matcher<'_>,
    select: &Select,
    out: FinishedTx,
) {
    let Opened { file, mut reader } = opened;
    if !own_thread {
        while let Some(msg) = next_msg(file, &mut reader) {
            // A read error (say, a truncated stream) ends the file.
            let last = matches!(msg, Msg::FileError { .. });
            if !filter_batch(msg, matcher, select, &out, |buf| reader.recycle(buf)) || last {
                return;
            }
        }
        return;
    }
    let (raw_tx, raw_rx) = sync_channel::<Msg>(RAW_BATCHES);
    let (back_tx, back_rx) = channel::<Vec<u8>>();
    // The reader is handed over once the thread runs, so that it stays here if the thread
    // cannot start (the file is then read on this thread).
    let (hand_tx, hand_rx) = sync_channel::<RecordReader<Box<dyn Read + Send>>>(1);
    let started = thread::Builder::new().spawn(move || {
        let Ok(mut reader) = hand_rx.recv() else {
            return;
        };
        loop {
            for buf in back_rx.try_iter() {
                reader.recycle(buf);
            }
            let Some(msg) = next_msg(file, &mut reader) else {
                return;
            };
            let last = matches!(msg, Msg::FileError { .. });
            if raw_tx.send(msg).is_err() || last {
                return;
            }
        }
    });
    if started.is_err() {
        return filter_compressed(Opened { file, reader }, false, matcher, select, out);
    }
    let _ = hand_tx.send(reader);
    for msg in raw_rx {
        let recycle = |buf| {
            let _ = back_tx.send(buf);
        };
        if !filter_batch(msg, matcher, select, &out, recycle) {
            return;
        }
    }
}

/// Filters one batch of a compressed file, hands its spare buffer to `recycle` and the filtered
/// batch to `out` (in that order, so that the reader has the buffer back while `out` may wait);
/// false once the writer is gone.
fn filter_batch(
    msg: Msg,
    matcher: &mut Matcher<'_>,
    select: &Select,
    out: &FinishedTx,
    recycle: impl FnOnce(Vec<u8>),
) -> bool {
    let outcomes = evaluate(matcher, &msg, select);
    let (msg, spare) = compact(msg, &outcomes);
    if let Some(buf) = spare {
        recycle(buf);
    }
    out.push(msg, outcomes)
}

/// The next batch of file `file`, or the read error that ends it; `None` at its end.
fn next_msg(file: usize, reader: &mut RecordReader<Box<dyn io::Read + Send>>) -> Option<Msg> {
    match reader.next_batch() {
        Ok(Some(batch)) => Some(Msg::Batch {
            file,
            batch,
            layout: reader.layout().unwrap_or(Layout::Ndjson),
            lines: Lines::Absolute,
        }),
        Ok(None) => None,
        Err(error) => Some(Msg::FileError { file, error }),
    }
}

/// A filtered batch with only the bytes the writer needs: those of the selected records (rejected
/// and malformed records keep their items, with empty ranges, for the line numbers and counts).
/// Returns the batch's former buffer for reuse, if it was replaced.
fn compact(msg: Msg, outcomes: &[Outcome]) -> (Msg, Option<Vec<u8>>) {
    let Msg::Batch {
        file,
        mut batch,
        layout,
        lines,
    } = msg
    else {
        return (msg, None);
    };
    let selected: usize = batch
        .items
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| matches!(o, Outcome::Selected(_)))
        .filter_map(|(item, _)| batch.record(item).map(<[u8]>::len))
        .sum();
    if selected > batch.bytes.len() / 2 {
        let msg = Msg::Batch {
            file,
            batch,
            layout,
            lines,
        };
        return (msg, None);
    }
    let mut bytes = Vec::with_capacity(selected);
    for (item, o) in batch.items.iter_mut().zip(outcomes) {
        if let Item::Record { start, end, .. } = item {
            if matches!(o, Outcome::Selected(_)) {
                let at = bytes.len();
                bytes.extend_from_slice(&batch.bytes[*start..*end]);
                (*start, *end) = (at, bytes.len());
            } else {
                (*start, *end) = (0, 0);
            }
        }
    }
    let old = std::mem::replace(&mut batch.bytes, bytes);
    let msg = Msg::Batch {
        file,
        batch,
        layout,
        lines,
    };
    (msg, Some(old))
}

/// The memory a filtered batch holds, as counted against [`FINISHED_BYTES`].
fn held(msg: &Msg, outcomes: &[Outcome]) -> usize {
    let batch = match msg {
        Msg::Batch { batch, .. } => {
            batch.bytes.capacity() + batch.items.capacity() * size_of::<Item>()
        }
        Msg::FileError { .. } => 0,
    };
    batch + size_of_val(outcomes)
}

/// The filtered batches of one compressed file waiting for the writer, and how much they hold.
#[derive(Default)]
struct Finished {
    queue: VecDeque<(Msg, Vec<Outcome>, usize)>,
    held: usize,
    /// The worker has handed over the last batch.
    done: bool,
    /// The writer takes no more.
    gone: bool,
}

type Shared = Arc<(Mutex<Finished>, Condvar)>;

/// The worker's end of a [`Finished`] queue.
struct FinishedTx {
    shared: Shared,
    /// What the queues of all compressed files hold, counted against [`FINISHED_BYTES`].
    all: Arc<AtomicUsize>,
}

/// The writer's end of a [`Finished`] queue, and what all queues hold.
struct FinishedRx(Shared, Arc<AtomicUsize>);

/// A queue of filtered batches, whose bytes count in `all` against [`FINISHED_BYTES`] (one
/// batch always fits).
fn finished_queue(all: &Arc<AtomicUsize>) -> (FinishedTx, FinishedRx) {
    let shared: Shared = Arc::default();
    let tx = FinishedTx {
        shared: Arc::clone(&shared),
        all: Arc::clone(all),
    };
    (tx, FinishedRx(shared, Arc::clone(all)))
}

impl FinishedTx {
    /// Queues a filtered batch, waiting while the queues hold [`FINISHED_BYTES`] and this one is
    /// not empty; false once the writer is gone.
    fn push(&self, msg: Msg, outcomes: Vec<Outcome>) -> bool {
        let size = held(&msg, &outcomes);
        let (lock, cv) = &*self.shared;
        let Ok(mut q) = lock.lock() else { return false };
        while !q.gone && q.held > 0 && self.all.load(Ordering::Relaxed) + size > FINISHED_BYTES {
            // Room made in another file's queue does not wake this one: look again after a
            // while (the writer, taking from this queue, does wake it).
            q = match cv.wait_timeout(q, Duration::from_millis(5)) {
                Ok((q, _)) => q,
                Err(_) => return false,
            };
        }
        if q.gone {
            return false;
        }
        q.held += size;
        self.all.fetch_add(size, Ordering::Relaxed);
        q.queue.push_back((msg, outcomes, size));
        cv.notify_all();
        true
    }
}

impl Drop for FinishedTx {
    fn drop(&mut self) {
        let (lock, cv) = &*self.shared;
        if let Ok(mut q) = lock.lock() {
            q.done = true;
        }
        cv.notify_all();
    }
}

impl FinishedRx {
    /// The next filtered batch, waiting for it; `None` after the last.
    fn pop(&self) -> Option<(Msg, Vec<Outcome>)> {
        let (lock, cv) = &*self.0;
        let mut q = lock.lock().ok()?;
        loop {
            if let Some((msg, outcomes, size)) = q.queue.pop_front() {
                q.held -= size;
                self.1.fetch_sub(size, Ordering::Relaxed);
                cv.notify_all();
                return Some((msg, outcomes));
            }
            if q.done {
                return None;
            }
            q = cv.wait(q).ok()?;
        }
    }
}

impl Drop for FinishedRx {
    fn drop(&mut self) {
        let (lock, cv) = &*self.0;
        if let Ok(mut q) = lock.lock() {
            q.gone = true;
            // What it holds is dropped with it.
            self.1
                .fetch_sub(std::mem::take(&mut q.held), Ordering::Relaxed);
        }
        cv.notify_all();
    }
}

fn outcome(m: &mut Matcher<'_>, bytes: &[u8], select: &Select) -> Outcome {
    match m.matches_json(bytes) {
        Ok(hit) if hit != select.invert => Outcome::Selected(
            select
                .prepare
                .as_ref()
                .map(|p| p.parse(bytes).unwrap_or_default()),
        ),
        Ok(_) => Outcome::Rejected,
        Err(e) => Outcome::Error(Box::new(e)),
    }
}

fn evaluate(matcher: &mut Matcher<'_>, msg: &Msg, select: &Select) -> Vec<Outcome> {
    match msg {
        Msg::Batch { batch, .. } => batch
            .items
            .iter()
            .map(|item| match batch.record(item) {
                Some(bytes) => outcome(matcher, bytes, select),
                None => Outcome::Rejected,
            })
            .collect(),
        Msg::FileError { .. } => Vec::new(),
    }
}

/// Where results go: output, counts, group-by, progress, reports.
struct Sink<'a> {
    args: &'a FilterArgs,
    files: &'a [String],
    group: &'a mut Option<GroupBy>,
    /// The writer of matched records, unless they are written as raw NDJSON.
    rows: Option<Rows>,
    out: Out,
    totals: Totals,
    progress: Progress,
    /// The files whose first record was looked at for a wrapper of events (see
    /// [`fimql::stream::wrapped_events`]).
    looked: Vec<bool>,
}

impl Sink<'_> {
    /// The next message from `rx`, `None` when all have come. While it waits, a table waiting
    /// for its widths is started when its time is up (see [`Rows::deadline`]): `Err` when
    /// writing it stops the run.
    fn recv<T>(&mut self, rx: &Receiver<T>) -> Result<Option<T>, Flow> {
        loop {
            let Some(deadline) = self.rows.as_ref().and_then(Rows::deadline) else {
                return Ok(rx.recv().ok());
            };
            match rx.recv_timeout(deadline.saturating_duration_since(Clock::now())) {
                Ok(msg) => return Ok(Some(msg)),
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
                Err(RecvTimeoutError::Timeout) => match self.tick() {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                        return Err(Flow::BrokenPipe);
                    }
                    Err(e) => return Err(Flow::WriteError(e)),
                },
            }
        }
    }

    /// Writes what the output has waited long enough for (see [`Rows::tick`]).
    fn tick(&mut self) -> io::Result<()> {
        let Some(rows) = self.rows.as_mut() else {
            return Ok(());
        };
        let out = &mut self.out.w;
        match self.progress.shared_terminal() {
            Some(bar) => bar.suspend(|| rows.tick(out)),
            None => rows.tick(out),
        }
    }

    fn take(&mut self, msg: &Msg, outcomes: &[Outcome]) -> Flow {
        match msg {
            Msg::FileError { file, error } => {
                eprintln!("fimql: {}: {error}", crate::shown_name(&self.files[*file]));
                self.totals.errors = true;
                Flow::Continue
            }
            Msg::Batch {
                file,
                batch,
                layout,
                lines,
            } => {
                // The warning for a file whose first record wraps events, written with the
                // batch's messages.
                let mut warning = None;
                if !self.looked[*file]
                    && let Some((bytes, line)) = batch.first_record()
                {
                    self.looked[*file] = true;
                    if let Some(n) = fimql::stream::wrapped_events(bytes) {
                        let name = crate::shown_name(&self.files[*file]);
                        let objects = if n == 1 { "object" } else { "objects" };
                        let path = if *layout == Layout::Array {
                            ".[].data[]"
                        } else {
                            ".data[]"
                        };
                        warning = Some(format!(
                            "fimql: {name}:{line}: warning: the record's `data` is an array of \
                             {n} {objects}; each record is read as one event, so they are not \
                             events here: take them out first (`jq -c '{path}' FILE | fimql \
                             filter FILTER`)"
                        ));
                    }
                }
                // Whether the batch writes anything to the terminal: rows (not counts, which
                // are written at the end), or messages about malformed records.
                let rows_now = !self.args.count
                    && self.group.is_none()
                    && self.rows.as_ref().is_none_or(Rows::writes_as_it_goes);
                let writes = outcomes.iter().any(|o| match o {
                    Outcome::Selected(_) => rows_now,
                    Outcome::Error(_) => true,
                    Outcome::Rejected => false,
                }) || batch.items.iter().any(|i| matches!(i, Item::Error { .. }))
                    || warning.is_some();
                let bar = self.progress.shared_terminal().filter(|_| writes).cloned();
                let shared = bar.is_some();
                let mut write = || {
                    if let Some(w) = warning.take() {
                        eprintln!("{w}");
                    }
                    let limit = emit(
                        batch,
                        outcomes,
                        *layout,
                        &crate::shown_name(&self.files[*file]),
                        self.args,
                        self.group,
                        self.rows.as_mut(),
                        &mut self.out,
                        &mut self.totals,
                    )?;
                    if shared {
                        // Shown now, while the bar is off the screen.
                        self.out.w.flush()?;
                    }
                    Ok(limit)
                };
                let r: io::Result<bool> = match bar {
                    // The bar is taken off the terminal while the rows of the batch are
                    // written, then drawn again below them.
                    Some(bar) => bar.suspend(write),
                    None => write(),
                };
                self.progress.update(batch, lines, &self.totals);
                match r {
                    Ok(true) => Flow::Limit,
                    Ok(false) => Flow::Continue,
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Flow::BrokenPipe,
                    Err(e) => Flow::WriteError(e),
                }
            }
        }
    }
}

/// Writes the selected records of a batch, reports malformed ones. `Ok(true)` when the limit is
/// reached.
#[allow(clippy::too_many_arguments)]
fn emit(
    batch: &Batch,
    outcomes: &[Outcome],
    layout: Layout,
    file: &str,
    args: &FilterArgs,
    group: &mut Option<GroupBy>,
    mut rows: Option<&mut Rows>,
    out: &mut Out,
    totals: &mut Totals,
) -> io::Result<bool> {
    // Selected NDJSON records are written from the batch, in one vectored write at the end.
    let mut slices = Vec::new();
    let mut limit = false;
    for (item, outcome) in batch.items.iter().zip(outcomes) {
        let (bytes, line) = match item {
            Item::Record { line, .. } => (batch.record(item).unwrap_or_default(), *line),
            Item::Error { line, diagnostic } => {
                let message = &diagnostic.message;
                eprintln!("{file}:{line}: {message}");
                if diagnostic.code == fimql::Code::RecordTooLong {
                    totals.skipped += 1;
                    totals.records += 1;
                } else {
                    // Not a record of its own (an array without `[` or `]`): the records
                    // around it are counted as they come.
                    totals.errors = true;
                }
                continue;
            }
        };
        totals.records += 1;
        match outcome {
            Outcome::Rejected => {}
            Outcome::Error(e) => {
                // The line where the record starts; the message says where in the record.
                eprintln!("{file}:{line}: {e}");
                totals.skipped += 1;
            }
            Outcome::Selected(prepared) => {
                if args.limit.is_some_and(|n| totals.selected >= n) {
                    limit = true;
                    break;
                }
                totals.selected += 1;
                if let Some(g) = group.as_mut() {
                    // Prepared on the worker (see `group_projection`).
                    if let Some(v) = prepared {
                        g.add(v);
                    }
                } else if let Some(rows) = rows.as_deref_mut() {
                    rows.record(bytes, layout, prepared.as_ref(), &mut out.w)?;
                } else if !args.count {
                    if layout == Layout::Ndjson {
                        slices.push(io::IoSlice::new(bytes));
                        slices.push(io::IoSlice::new(b"\n"));
                    } else {
                        out.write(&minify(bytes))?;
                    }
                }
                if args.limit.is_some_and(|n| totals.selected >= n) {
                    limit = true;
                    break;
                }
            }
        }
    }
    out.write_slices(&mut slices)?;
    if let Some(rows) = rows {
        rows.end_of_batch(&mut out.w)?;
    }
    Ok(limit)
}

/// Where a byte of JSON text stands relative to strings, fed one byte at a time.
#[derive(Clone, Copy, Debug, Default)]
struct StringState {
    in_string: bool,
    escape: bool,
}

impl StringState {
    /// Advances over `b`; true when `b` is outside every string (the quotes themselves count as
    /// inside).
    fn outside(&mut self, b: u8) -> bool {
        if self.in_string {
            if self.escape {
                self.escape = false;
            } else if b == b'\\' {
                self.escape = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            false
        } else if b == b'"' {
            self.in_string = true;
            false
        } else {
            true
        }
    }
}

/// A JSON record without the whitespace outside its strings (the compact form `fimql filter`
/// writes for records that were not one line).
pub(crate) fn minify(bytes: &[u8]) -> Vec<u8> {
    let mut state = StringState::default();
    bytes
        .iter()
        .copied()
        .filter(|&b| !(state.outside(b) && b.is_ascii_whitespace()))
        .collect()
}

/// A progress bar on stderr for large inputs, only on a terminal: the bytes read of the input
/// files as stored (compressed bytes for a compressed file) against their sizes, in a line that
/// fits the terminal's width.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// Standard output is a terminal too (the same one, as a rule): rows are written while the
    /// bar is off the screen.
    stdout_terminal: bool,
    started: Clock,
    total: u64,
    /// The bytes of the chunks of plain files read on their own (not through a reader).
    chunks: u64,
}

impl Progress {
    fn new(total: u64, quiet: bool) -> Self {
        let show = !quiet && io::stderr().is_terminal() && total > 4 << 20;
        COUNTING.store(show, Ordering::Relaxed);
        let bar = show.then(|| {
            let target = indicatif::ProgressDrawTarget::term_like_with_hz(Box::new(Stderr), 20);
            let bar = indicatif::ProgressBar::with_draw_target(Some(total), target);
            let template = progress_template(Stderr.columns());
            let style = indicatif::ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            bar,
            stdout_terminal: io::stdout().is_terminal(),
            started: Clock::now(),
            total,
            chunks: 0,
        }
    }

    /// The bar, when it shares the terminal with standard output.
    fn shared_terminal(&self) -> Option<&indicatif::ProgressBar> {
        self.bar.as_ref().filter(|_| self.stdout_terminal)
    }

    fn update(&mut self, batch: &Batch, lines: &Lines, totals: &Totals) {
        if let Some(bar) = &self.bar {
            if matches!(lines, Lines::Relative { .. }) {
                self.chunks += batch.consumed;
            }
            let read = READ.load(Ordering::Relaxed) + self.chunks;
            bar.set_position(read.min(self.total));
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{:.0} events/s, {} matches",
                totals.records as f64 / secs,
                totals.selected
            ));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The progress bar's template for a terminal `columns` wide: the parts that fit, the message
/// cut to the rest of the line.
fn progress_template(columns: usize) -> String {
    // "275.96 MiB/275.96 MiB 120.50 MiB/s " is at most 35 columns.
    const BYTES: usize = 35;
    match columns.saturating_sub(BYTES + 1) {
        w if w >= 40 => "{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}".to_string(),
        w if w >= 16 => format!(
            "{{bar:{}}} {{bytes}}/{{total_bytes}} {{bytes_per_sec}} {{wide_msg}}",
            w - 10
        ),
        _ if columns >= BYTES => "{bytes}/{total_bytes} {wide_msg}".to_string(),
        _ => "{percent}% {wide_msg}".to_string(),
    }
}

/// The terminal on standard error, where the progress bar is drawn, with its column count even
/// when it reports no row count (as a terminal made by `script` may: the bar's own reckoning
/// then takes 80 columns, and pads its line to them).
#[derive(Debug)]
struct Stderr;

impl Stderr {
    /// The column count, 80 when the terminal does not tell.
    fn columns(&self) -> usize {
        #[cfg(unix)]
        let columns = rustix::termios::tcgetwinsize(io::stderr())
            .ok()
            .map(|size| usize::from(size.ws_col));
        #[cfg(not(unix))]
        let columns = terminal_size::terminal_size_of(io::stderr())
            .map(|(terminal_size::Width(w), _)| usize::from(w));
        columns.filter(|&w| w > 0).unwrap_or(80)
    }

    fn write(&self, s: &str) -> io::Result<()> {
        io::stderr().lock().write_all(s.as_bytes())
    }

    /// Moves the cursor `n` places in the direction of the ANSI code `dir` (`A` up, `B` down,
    /// `C` right, `D` left); nothing for 0.
    fn move_cursor(&self, n: usize, dir: char) -> io::Result<()> {
        if n > 0 {
            self.write(&format!("\x1b[{n}{dir}"))?;
        }
        Ok(())
    }
}

impl indicatif::TermLike for Stderr {
    fn width(&self) -> u16 {
        u16::try_from(self.columns()).unwrap_or(u16::MAX)
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.move_cursor(n, 'A')
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.move_cursor(n, 'B')
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.move_cursor(n, 'C')
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.move_cursor(n, 'D')
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.write(&format!("{s}\n"))
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.write(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.write("\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::minify;

    #[test]
    fn minify_drops_the_whitespace_outside_strings() {
        assert_eq!(minify(b"{ \"a b\" : [1, 2] }\n"), b"{\"a b\":[1,2]}");
        assert_eq!(
            minify(b"{\n  \"k\": \"x \\\" y\\\\\",\n  \"m\": \"\\t z\"\n}"),
            b"{\"k\":\"x \\\" y\\\\\",\"m\":\"\\t z\"}"
        );
    }
}
