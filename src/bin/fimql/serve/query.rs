//! Running one query over the exports: count, histogram, group-by counts and a page of events,
//! on all cores, cancellable, with a time limit and bounded memory.
//!
//! The inputs are read as `fimql filter` reads them: each file through a
//! [`RecordReader`] (every layout and codec, with line numbers),
//! and once a plain NDJSON file's first batch is out, the rest of it in chunks read at
//! independent offsets ([`crate::chunks`]). Work goes out in units (a batch or a chunk), numbered
//! in input order; each worker takes the next unit, reads it if it is a chunk, and evaluates its
//! records with [`fimql::Matcher::matches_json`], the fast path. Between units, and every few
//! thousand records within one, a worker checks whether a newer query has started or its request
//! went away (then it stops) or the time limit has passed (then it stops and the answer says so).
//!
//! For each matching record only the members the answer needs are read (the time, the group-by
//! token; see [`super::extract`]); the page keeps the bytes of at most `offset + limit` records
//! per unit being read, and only the page's once the unit's place is known (see [`Pages`]), so
//! that memory stays bounded by the batch buffers, the page and the histogram and group-by tables
//! (whose sizes are capped).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant as Clock, SystemTime};

use fimql::Filter;
use fimql::stream::{Batch, Codec, Item, Layout, RecordReader};

use super::extract::{Val, extract, extract_first};
use crate::chunks::{Chunk, Chunked};

/// The bytes of a chunk of a plain NDJSON file handed to one worker.
const CHUNK_BYTES: u64 = 4 << 20;
/// Records between two checks for cancellation within a unit.
const CHECK_EVERY: usize = 4096;
/// Distinct hours kept for the histogram (about 23 years); times beyond are counted apart.
pub(crate) const MAX_HOURS: usize = 200_000;
/// Distinct group-by values kept per worker; later ones are counted under [`OTHER_KEY`].
pub(crate) const MAX_GROUPS: usize = 10_000;
/// The key of values past [`MAX_GROUPS`].
pub(crate) const OTHER_KEY: &str = "(other values)";
/// Record errors kept with their place, for the answer.
const MAX_ERRORS_SHOWN: usize = 5;

/// One input file, as given on the command line.
#[derive(Debug)]
pub(crate) struct Source {
    /// The name as given, for display.
    pub name: String,
    /// The file opened at start-up: every query reads it (on Unix).
    pub file: Arc<File>,
    pub size: u64,
    /// The modification time at start-up, where the system tells it.
    pub modified: Option<SystemTime>,
    pub codec: Codec,
}

impl Source {
    /// The file's size and modification time now (`None` when it cannot be read).
    fn stamp(&self) -> Option<(u64, Option<SystemTime>)> {
        self.file
            .metadata()
            .ok()
            .map(|meta| (meta.len(), meta.modified().ok()))
    }

    /// Whether the file opened at start-up has changed since: its size or modification time
    /// differ (or can no longer be read).
    pub(crate) fn changed(&self) -> bool {
        match self.file.metadata() {
            Ok(meta) => meta.len() != self.size || meta.modified().ok() != self.modified,
            Err(_) => true,
        }
    }
}

/// What a query asks for.
pub(crate) struct Spec {
    /// The filter; `None` selects every record (that is well-formed JSON).
    pub filter: Option<Arc<Filter>>,
    /// The path of the time token, for the histogram; it crosses no array.
    pub time_path: Option<Vec<String>>,
    /// The path of the group-by token.
    pub group_path: Option<Vec<String>>,
    /// The page: matching events `offset..offset + limit`, in input order.
    pub offset: usize,
    pub limit: usize,
    pub jobs: usize,
    /// Matching records longer than this are summed up by `digest` as they match, and their
    /// bytes are not kept: a page of records of tens of megabytes holds only their cells.
    pub keep_whole: usize,
    pub digest: Arc<DigestFn>,
}

/// Sums up a record too long to keep whole.
pub(crate) type DigestFn = dyn Fn(&[u8]) -> Digest + Send + Sync;

/// What the page shows of a record too long to keep whole (see [`Spec::keep_whole`]).
#[derive(Debug)]
pub(crate) struct Digest {
    pub cells: Vec<String>,
    /// The hash that `/api/explain` finds the record again by.
    pub hash: u64,
}

/// A record of the page as it is kept.
#[derive(Debug)]
pub(crate) enum Kept {
    Whole(Vec<u8>),
    Digest(Digest),
}

/// Why a query stopped before the end of the inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// A newer query of the same client started, or the request went away.
    Cancelled,
    /// The time limit passed.
    TimeLimit,
}

/// Tells a running query to stop: a newer generation, or its deadline.
#[derive(Clone)]
pub(crate) struct Control {
    /// The generation of the latest query of the client that sent this one.
    pub latest: Arc<AtomicU64>,
    pub generation: u64,
    /// Set when the request went away.
    pub cancelled: Arc<AtomicBool>,
    pub deadline: Clock,
}

impl Control {
    fn stop(&self) -> Option<Stop> {
        if self.latest.load(Ordering::Relaxed) != self.generation
            || self.cancelled.load(Ordering::Relaxed)
        {
            Some(Stop::Cancelled)
        } else if Clock::now() >= self.deadline {
            Some(Stop::TimeLimit)
        } else {
            None
        }
    }
}

/// One event of the page.
#[derive(Debug)]
pub(crate) struct Row {
    pub file: usize,
    /// The line where the record starts, when known (it is not for a chunk read after a query
    /// was stopped before an earlier chunk was).
    pub line: Option<u64>,
    pub record: Kept,
}

/// The answer to a query.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub matched: u64,
    pub records: u64,
    pub errors: u64,
    /// The first few malformed records, as `FILE:LINE: message`.
    pub error_samples: Vec<String>,
    /// Matching events per hour since the epoch (UTC).
    pub hours: BTreeMap<i64, u64>,
    /// Matching events without a readable time, or beyond the histogram's range.
    pub untimed: u64,
    pub groups: HashMap<String, u64>,
    pub groups_truncated: bool,
    pub rows: Vec<Row>,
    pub stopped: Option<Stop>,
    /// Input bytes read (after decompression).
    pub bytes: u64,
    pub elapsed: Duration,
    /// The files whose size or modification time changed while the query read them: its
    /// answer may hold part of the old file and part of the new.
    pub changed: Vec<String>,
}

/// Runs a query over `sources` on `spec.jobs` threads.
pub(crate) fn run(sources: &[Source], spec: &Spec, ctl: &Control) -> Outcome {
    let started = Clock::now();
    let stamps: Vec<_> = sources.iter().map(Source::stamp).collect();
    let inputs = Mutex::new(Inputs::new(sources));
    let needed = spec.offset.saturating_add(spec.limit);
    let pages = Mutex::new(Pages {
        offset: spec.offset as u64,
        needed: needed as u64,
        ..Pages::default()
    });
    let cutoff = AtomicUsize::new(usize::MAX);
    let shared = Shared {
        spec,
        ctl,
        inputs: &inputs,
        pages: &pages,
        cutoff: &cutoff,
        needed,
    };
    let jobs = spec.jobs.max(1);
    let parts: Vec<Part> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..jobs).map(|_| s.spawn(|| worker(&shared))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Part::failed()))
            .collect()
    });
    let mut out = Outcome {
        changed: sources
            .iter()
            .zip(&stamps)
            .filter(|(source, stamp)| source.stamp() != **stamp)
            .map(|(source, _)| source.name.clone())
            .collect(),
        ..Outcome::default()
    };
    let mut samples = Vec::new();
    for p in parts {
        out.matched += p.matched;
        out.records += p.records;
        out.errors += p.errors;
        out.untimed += p.untimed;
        out.bytes += p.bytes;
        out.stopped = out.stopped.or(p.stopped);
        out.groups_truncated |= p.groups_truncated;
        for (h, n) in p.hours {
            if out.hours.len() < MAX_HOURS || out.hours.contains_key(&h) {
                *out.hours.entry(h).or_default() += n;
            } else {
                out.untimed += n;
            }
        }
        for (k, n) in p.groups {
            if out.groups.len() < MAX_GROUPS || out.groups.contains_key(&k) {
                *out.groups.entry(k).or_default() += n;
            } else {
                out.groups_truncated = true;
                *out.groups.entry(OTHER_KEY.to_string()).or_default() += n;
            }
        }
        samples.extend(p.error_samples);
    }
    let inputs = inputs.into_inner().unwrap_or_else(|e| e.into_inner());
    let pages = pages.into_inner().unwrap_or_else(|e| e.into_inner());
    let lines = LineBases::new(&inputs.units);
    samples.sort_by_key(|e: &(usize, u64, String)| (e.0, e.1));
    out.error_samples = samples
        .into_iter()
        .take(MAX_ERRORS_SHOWN)
        .map(|(unit, line, msg)| {
            let file = inputs.units[unit].file;
            // Line 0: an error of the whole file (it cannot be opened or read on).
            let at = lines
                .absolute(&inputs.units, unit, line)
                .filter(|_| line > 0)
                .map_or_else(String::new, |l| format!(":{l}"));
            format!("{}{at}: {msg}", sources[file].name)
        })
        .collect();
    // The page: the matches of the units done in order, from the first.
    'units: for (unit, (start, rows)) in pages.done {
        if unit >= pages.prefix_end {
            break;
        }
        for (rank, (line, record)) in (start..).zip(rows) {
            if rank < spec.offset as u64 {
                continue;
            }
            if out.rows.len() >= spec.limit {
                break 'units;
            }
            out.rows.push(Row {
                file: inputs.units[unit].file,
                line: lines.absolute(&inputs.units, unit, line),
                record,
            });
        }
    }
    out.elapsed = started.elapsed();
    out
}

/// Why [`find_record`] found no record.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// No record starting on the line is the one wanted.
    NotFound,
    /// The time limit passed, or the request went away.
    Stopped,
    /// The file cannot be read.
    Failed(String),
}

/// The bytes of the record of `source` that starts on `line` and for which `wanted` says yes
/// (the first, when several records start on the line), read as a query reads the file.
pub(crate) fn find_record(
    source: &Source,
    line: u64,
    wanted: &dyn Fn(&[u8]) -> bool,
    ctl: &Control,
) -> Result<Vec<u8>, Lookup> {
    let (mut reader, _) = open(source).map_err(Lookup::Failed)?;
    loop {
        if ctl.stop().is_some() {
            return Err(Lookup::Stopped);
        }
        let batch = match reader.next_batch() {
            Ok(Some(b)) => b,
            Ok(None) => return Err(Lookup::NotFound),
            Err(e) => return Err(Lookup::Failed(format!("read error: {e}"))),
        };
        for item in &batch.items {
            let Item::Record {
                start,
                end,
                line: l,
            } = *item
            else {
                continue;
            };
            if l > line {
                return Err(Lookup::NotFound);
            }
            let bytes = &batch.bytes[start..end];
            if l == line && wanted(bytes) {
                return Ok(bytes.to_vec());
            }
        }
        reader.recycle(batch.bytes);
    }
}

/// Where each unit's line numbers start.
struct LineBases(Vec<Option<u64>>);

impl LineBases {
    fn new(units: &[UnitInfo]) -> LineBases {
        let mut bases = Vec::with_capacity(units.len());
        let mut running: Option<u64> = None;
        for u in units {
            match u.lines {
                Lines::Absolute => bases.push(Some(1)),
                Lines::Chunk { base, newlines } => {
                    let b = base.or(running);
                    bases.push(b);
                    running = b.zip(newlines).map(|(b, n)| b + n);
                }
            }
        }
        LineBases(bases)
    }

    /// The absolute line of `line` as numbered in `unit`.
    fn absolute(&self, units: &[UnitInfo], unit: usize, line: u64) -> Option<u64> {
        match units[unit].lines {
            Lines::Absolute => Some(line),
            Lines::Chunk { .. } => self.0[unit].map(|b| b + line - 1),
        }
    }
}

#[derive(Debug)]
struct UnitInfo {
    file: usize,
    lines: Lines,
}

#[derive(Clone, Copy, Debug)]
enum Lines {
    /// Items carry their line in the file.
    Absolute,
    /// Items count lines from 1 at the chunk's start; `base` is the line there for the first
    /// chunk of a file, and `newlines` the number of lines the chunk covers, once read.
    Chunk {
        base: Option<u64>,
        newlines: Option<u64>,
    },
}

/// A match kept for the page: the line where it starts (as its unit numbers it) and its record.
type KeptRow = (u64, Kept);

/// The matches kept for the page, per unit, and how far the units are done in order.
///
/// A unit keeps the bytes of its first `needed` (`offset + limit`) matches while it is read; once
/// every unit before it is done, the rank of its first match is known and it keeps only those
/// in the page. Once the units done in order hold `needed` matches, later units keep none.
#[derive(Default)]
struct Pages {
    offset: u64,
    needed: u64,
    /// Per unit: the rank (among all matches) of its first kept row, and the rows.
    done: BTreeMap<usize, (u64, Vec<KeptRow>)>,
    counts: BTreeMap<usize, u64>,
    /// Every unit before this one is done.
    prefix_end: usize,
    prefix_count: u64,
}

struct Shared<'a, 's> {
    spec: &'a Spec,
    ctl: &'a Control,
    inputs: &'a Mutex<Inputs<'s>>,
    pages: &'a Mutex<Pages>,
    /// Units after this one need keep no rows: the units before hold the page.
    cutoff: &'a AtomicUsize,
    needed: usize,
}

impl Shared<'_, '_> {
    fn finish_unit(&self, unit: usize, matched: u64, rows: Vec<KeptRow>) {
        let mut p = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        p.counts.insert(unit, matched);
        if unit <= self.cutoff.load(Ordering::Relaxed) {
            p.done.insert(unit, (0, rows));
        }
        while let Some(&n) = p.counts.get(&p.prefix_end) {
            let at = p.prefix_end;
            p.counts.remove(&at);
            // The unit's matches are ranks `start..start + n`: keep those of the page.
            let (start, offset, needed) = (p.prefix_count, p.offset, p.needed);
            let kept = p.done.entry(at).or_default();
            let skip = usize::try_from(offset.saturating_sub(start)).unwrap_or(usize::MAX);
            let skip = skip.min(kept.1.len());
            kept.1.drain(..skip);
            kept.0 = start + skip as u64;
            let room = needed.saturating_sub(kept.0);
            kept.1.truncate(usize::try_from(room).unwrap_or(usize::MAX));
            p.prefix_count += n;
            p.prefix_end += 1;
            if p.prefix_count >= p.needed && self.cutoff.load(Ordering::Relaxed) == usize::MAX {
                self.cutoff.store(at, Ordering::Relaxed);
                let later: Vec<usize> = p.done.range(at + 1..).map(|(k, _)| *k).collect();
                for k in later {
                    p.done.remove(&k);
                }
            }
        }
        // Units past the cutoff keep only their count, which the prefix no longer needs.
        if self.cutoff.load(Ordering::Relaxed) != usize::MAX {
            p.counts.clear();
            p.prefix_end = usize::MAX;
        }
    }
}

/// What one worker found.
#[derive(Default)]
struct Part {
    matched: u64,
    records: u64,
    errors: u64,
    error_samples: Vec<(usize, u64, String)>,
    hours: HashMap<i64, u64>,
    untimed: u64,
    groups: HashMap<String, u64>,
    groups_truncated: bool,
    stopped: Option<Stop>,
    bytes: u64,
}

impl Part {
    fn failed() -> Part {
        Part {
            error_samples: vec![(0, 0, "internal error in a query worker".to_string())],
            errors: 1,
            ..Part::default()
        }
    }
}

fn worker(sh: &Shared<'_, '_>) -> Part {
    let mut part = Part::default();
    let mut matcher = sh.spec.filter.as_deref().map(Filter::matcher);
    let mut buf = Vec::new();
    loop {
        if let Some(stop) = sh.ctl.stop() {
            part.stopped = Some(stop);
            break;
        }
        let work = {
            let mut inputs = sh.inputs.lock().unwrap_or_else(|e| e.into_inner());
            inputs.next(std::mem::take(&mut buf))
        };
        let Some(work) = work else { break };
        let (unit, batch) = match work {
            Work::Batch { unit, batch } => (unit, batch),
            Work::Chunk {
                unit,
                handle,
                start,
                end,
                first,
                buf: b,
            } => match read_chunk(&handle, start, end, first, b) {
                Ok((batch, newlines)) => {
                    let mut inputs = sh.inputs.lock().unwrap_or_else(|e| e.into_inner());
                    if let Lines::Chunk { newlines: n, .. } = &mut inputs.units[unit].lines {
                        *n = Some(newlines);
                    }
                    (unit, batch)
                }
                Err(e) => {
                    part.errors += 1;
                    part.error_samples
                        .push((unit, 0, format!("read error: {e}")));
                    sh.finish_unit(unit, 0, Vec::new());
                    continue;
                }
            },
            Work::FileError { unit, message } => {
                part.errors += 1;
                part.error_samples.push((unit, 0, message));
                sh.finish_unit(unit, 0, Vec::new());
                continue;
            }
        };
        part.bytes += batch.consumed;
        let keep_rows = unit <= sh.cutoff.load(Ordering::Relaxed);
        let mut rows = Vec::new();
        let mut matched = 0u64;
        for (i, item) in batch.items.iter().enumerate() {
            if i % CHECK_EVERY == CHECK_EVERY - 1
                && let Some(stop) = sh.ctl.stop()
            {
                part.stopped = Some(stop);
                break;
            }
            let (bytes, line) = match item {
                Item::Record { start, end, line } => (&batch.bytes[*start..*end], *line),
                Item::Error { line, diagnostic } => {
                    part.errors += 1;
                    if part.error_samples.len() < MAX_ERRORS_SHOWN {
                        part.error_samples
                            .push((unit, *line, diagnostic.message.clone()));
                    }
                    continue;
                }
            };
            part.records += 1;
            let verdict = match &mut matcher {
                Some(m) => m.matches_json(bytes).map_err(|e| e.message().to_string()),
                // Without a filter, every well-formed event is selected: a JSON object, as
                // `fimql filter` and a filtered query require. Parsed whole, as the matcher
                // checks records: skipping values would let numbers out of range, invalid UTF-8
                // in strings and nesting past serde_json's limit through.
                None => match serde_json::from_slice::<serde_json::Value>(bytes) {
                    Err(e) => Err(e.to_string()),
                    Ok(serde_json::Value::Object(_)) => Ok(true),
                    Ok(_) => Err("invalid type: expected a JSON object (an event)".to_string()),
                },
            };
            match verdict {
                Ok(true) => {}
                Ok(false) => continue,
                Err(message) => {
                    part.errors += 1;
                    if part.error_samples.len() < MAX_ERRORS_SHOWN {
                        part.error_samples.push((unit, line, message));
                    }
                    continue;
                }
            }
            matched += 1;
            if keep_rows && rows.len() < sh.needed {
                let kept = if bytes.len() <= sh.spec.keep_whole {
                    Kept::Whole(bytes.to_vec())
                } else {
                    Kept::Digest((sh.spec.digest)(bytes))
                };
                rows.push((line, kept));
            }
            record_values(&mut part, bytes, sh.spec);
        }
        part.matched += matched;
        buf = batch.bytes;
        if part.stopped.is_some() {
            break;
        }
        sh.finish_unit(unit, matched, rows);
    }
    part
}

#[cfg(unix)]
fn read_chunk(
    handle: &File,
    start: u64,
    end: u64,
    first: bool,
    buf: Vec<u8>,
) -> std::io::Result<(Batch, u64)> {
    crate::chunks::read_ndjson_chunk(handle, start, end, first, buf)
}

/// Chunks are only made where files can be read at an offset (see [`open`]).
#[cfg(not(unix))]
fn read_chunk(_: &File, _: u64, _: u64, _: bool, _: Vec<u8>) -> std::io::Result<(Batch, u64)> {
    Err(std::io::Error::other(
        "reading at an offset is not supported here",
    ))
}

/// Counts a matching record in the histogram and the group-by table.
fn record_values(part: &mut Part, bytes: &[u8], spec: &Spec) {
    if let Some(path) = &spec.time_path {
        // The matcher accepted the record, so it reads; a time that does not is counted apart.
        match extract_first(bytes, path)
            .ok()
            .flatten()
            .as_ref()
            .and_then(hour_of)
        {
            Some(h) if part.hours.len() < MAX_HOURS || part.hours.contains_key(&h) => {
                *part.hours.entry(h).or_default() += 1;
            }
            _ => part.untimed += 1,
        }
    }
    if let Some(path) = &spec.group_path {
        let values = extract(bytes, std::slice::from_ref(path)).unwrap_or_default();
        let mut keys: Vec<String> = values
            .first()
            .map(|vs| vs.iter().filter_map(Val::group_key).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        keys.dedup();
        if keys.is_empty() {
            keys.push(fimql::group::MISSING_KEY.to_string());
        }
        for k in keys {
            if part.groups.len() < MAX_GROUPS || part.groups.contains_key(&k) {
                *part.groups.entry(k).or_default() += 1;
            } else {
                part.groups_truncated = true;
                *part.groups.entry(OTHER_KEY.to_string()).or_default() += 1;
            }
        }
    }
}

/// The hour (since the epoch, UTC) of a time value: an event date string or epoch milliseconds.
pub(crate) fn hour_of(v: &Val) -> Option<i64> {
    let t = match v {
        Val::Str(s) => fimql::date::parse_event_date(s)?,
        Val::Int(ms) => chrono::DateTime::from_timestamp_millis(*ms)?,
        _ => return None,
    };
    Some(t.timestamp().div_euclid(3600))
}

/// One unit of work.
enum Work {
    /// A batch read from a file's reader.
    Batch { unit: usize, batch: Batch },
    /// A chunk of a plain NDJSON file, for the worker to read.
    Chunk {
        unit: usize,
        handle: Arc<File>,
        start: u64,
        end: u64,
        first: bool,
        buf: Vec<u8>,
    },
    /// A file that cannot be read (any more).
    FileError { unit: usize, message: String },
}

/// The inputs in order, handed out as units of work.
struct Inputs<'s> {
    sources: &'s [Source],
    next_file: usize,
    /// The file being read through a reader, its index, and for a plain file a second handle.
    reader: Option<(usize, Opened)>,
    /// The plain NDJSON file being handed out in chunks.
    chunked: Option<Chunked>,
    units: Vec<UnitInfo>,
}

impl<'s> Inputs<'s> {
    fn new(sources: &'s [Source]) -> Inputs<'s> {
        Inputs {
            sources,
            next_file: 0,
            reader: None,
            chunked: None,
            units: Vec::new(),
        }
    }

    fn unit(&mut self, file: usize, lines: Lines) -> usize {
        self.units.push(UnitInfo { file, lines });
        self.units.len() - 1
    }

    /// The next unit, in input order; `buf` is a buffer to reuse.
    fn next(&mut self, mut buf: Vec<u8>) -> Option<Work> {
        loop {
            if let Some(c) = &mut self.chunked {
                // A query reads a file to the end it had when its chunks began.
                if let Some(Chunk { start, end, base }) = c.next_chunk(false) {
                    let (file, handle) = (c.file, Arc::clone(&c.handle));
                    let unit = self.unit(
                        file,
                        Lines::Chunk {
                            base,
                            newlines: None,
                        },
                    );
                    return Some(Work::Chunk {
                        unit,
                        handle,
                        start,
                        end,
                        first: base.is_some(),
                        buf: std::mem::take(&mut buf),
                    });
                }
                self.chunked = None;
            }
            if self.reader.is_none() {
                let file = self.next_file;
                let source = self.sources.get(file)?;
                self.next_file += 1;
                match open(source) {
                    Ok(opened) => self.reader = Some((file, opened)),
                    Err(message) => {
                        let unit = self.unit(file, Lines::Absolute);
                        return Some(Work::FileError { unit, message });
                    }
                }
            }
            let (file, (reader, plain)) = self.reader.as_mut()?;
            let file = *file;
            if buf.capacity() > 0 {
                reader.recycle(std::mem::take(&mut buf));
            }
            match reader.next_batch() {
                Ok(Some(batch)) => {
                    let chunked = match (plain.as_ref(), reader.layout(), reader.resume_point()) {
                        (Some(handle), Some(Layout::Ndjson), Some(resume)) => {
                            Some(Chunked::new(file, handle, resume, CHUNK_BYTES))
                        }
                        _ => None,
                    };
                    if chunked.is_some() {
                        self.chunked = chunked;
                        self.reader = None;
                    }
                    let unit = self.unit(file, Lines::Absolute);
                    return Some(Work::Batch { unit, batch });
                }
                Ok(None) => self.reader = None,
                Err(e) => {
                    self.reader = None;
                    let unit = self.unit(file, Lines::Absolute);
                    return Some(Work::FileError {
                        unit,
                        message: format!("read error: {e}"),
                    });
                }
            }
        }
    }
}

type Opened = (RecordReader<Box<dyn Read + Send>>, Option<Arc<File>>);

/// Opens a source for one query: a reader from its start, and for a plain file the handle to
/// read chunks with. On Unix the file opened at start-up is read (with positioned reads, so that
/// queries do not share a file position): a path swapped for another file since is not followed.
fn open(source: &Source) -> Result<Opened, String> {
    #[cfg(unix)]
    let (reader, handle): (Box<dyn Read + Send>, _) = (
        Box::new(ReadAt {
            file: Arc::clone(&source.file),
            pos: 0,
        }),
        Some(Arc::clone(&source.file)),
    );
    // Elsewhere a second handle shares the file's position: rewound, it is read by one query at
    // a time (`MAX_READS` is 1 there).
    #[cfg(not(unix))]
    let (reader, handle): (Box<dyn Read + Send>, Option<Arc<File>>) = {
        use std::io::{Seek, SeekFrom};
        let mut f = source
            .file
            .try_clone()
            .map_err(|e| format!("cannot read: {e}"))?;
        f.seek(SeekFrom::Start(0))
            .map_err(|e| format!("cannot read: {e}"))?;
        (Box::new(f), None)
    };
    let (input, codec) =
        fimql::stream::open_detected(reader).map_err(|e| format!("cannot read: {e}"))?;
    let plain = handle.filter(|_| codec == Codec::Plain);
    Ok((RecordReader::new(input), plain))
}

/// Reads a shared file from a position of its own.
#[cfg(unix)]
struct ReadAt {
    file: Arc<File>,
    pos: u64,
}

#[cfg(unix)]
impl Read for ReadAt {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}
