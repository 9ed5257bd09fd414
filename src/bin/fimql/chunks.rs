//! Reading a plain NDJSON file in chunks at independent offsets, so that `fimql filter --jobs N`
//! reads one file on several threads at once (Unix only: positioned reads).
//!
//! A chunk is split with [`fimql::stream::split_lines`], as a [`RecordReader`] splits its input,
//! so that the chunks of a file give the records one reader would; the tests hold them to it.
//! The reader's [`RecordReader::resume_point`] says where the chunks can start.
//!
//! [`RecordReader`]: fimql::stream::RecordReader
//! [`RecordReader::resume_point`]: fimql::stream::RecordReader::resume_point

use std::fs::File;
#[cfg(unix)]
use std::io;
use std::sync::Arc;

#[cfg(unix)]
use fimql::stream::{Batch, Item, MAX_RECORD_BYTES, split_lines};
#[cfg(unix)]
use memchr::memchr;

/// A plain NDJSON file handed out in chunks of a fixed size, from where its first reader
/// stopped ([`RecordReader::resume_point`]), for `fimql filter --jobs N` and `fimql serve`.
///
/// [`RecordReader::resume_point`]: fimql::stream::RecordReader::resume_point
pub(crate) struct Chunked {
    /// The file's index among the inputs.
    pub(crate) file: usize,
    pub(crate) handle: Arc<File>,
    /// Where the next chunk starts.
    next: u64,
    /// The file's length, as last seen.
    len: u64,
    /// The line number at `next`, until the first chunk is handed out.
    base: Option<u64>,
    size: u64,
}

/// One chunk: its byte range, and for the first chunk the line number at its start.
pub(crate) struct Chunk {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) base: Option<u64>,
}

impl Chunked {
    /// Chunks of `size` bytes of `handle`, from byte `next`, where line `line` starts.
    pub(crate) fn new(
        file: usize,
        handle: &Arc<File>,
        (next, line): (u64, u64),
        size: u64,
    ) -> Self {
        Chunked {
            file,
            handle: Arc::clone(handle),
            next,
            len: handle.metadata().map_or(0, |m| m.len()),
            base: Some(line),
            size,
        }
    }

    /// The next chunk, or `None` at the end. With `follow`, the end is the file's length when
    /// the last chunk was handed out, so that a file growing while it is read is read to its
    /// new end; without, the length seen when the chunks began.
    pub(crate) fn next_chunk(&mut self, follow: bool) -> Option<Chunk> {
        if follow && self.next >= self.len {
            self.len = self.handle.metadata().map_or(self.len, |m| m.len());
        }
        if self.next >= self.len {
            return None;
        }
        let start = self.next;
        self.next = (start + self.size).min(self.len);
        Some(Chunk {
            start,
            end: self.next,
            base: self.base.take(),
        })
    }
}

#[cfg(unix)]
/// The records of an NDJSON file whose lines start in the byte range `start..end`, read with
/// positioned reads so that several threads can read one file at once.
///
/// `at_line_start` says that a line starts at `start` (the first chunk); otherwise the chunk's
/// first record is the line after the first newline at or after `start - 1`. The last line
/// starting before `end` is read to its end, past `end`. Item line numbers count from 1 at
/// `start`: add the line number at `start`, less one, to make them absolute. The second value is
/// the number of newlines in `start..end`, to find the line number at `end`. A line longer than
/// [`MAX_RECORD_BYTES`] is reported as an error item, as a [`RecordReader`] does.
///
/// `buf` is reused for the batch's bytes.
///
/// [`RecordReader`]: fimql::stream::RecordReader
pub(crate) fn read_ndjson_chunk(
    file: &File,
    start: u64,
    end: u64,
    at_line_start: bool,
    buf: Vec<u8>,
) -> io::Result<(Batch, u64)> {
    read_chunk_capped(file, start, end, at_line_start, buf, MAX_RECORD_BYTES)
}

#[cfg(unix)]
fn read_chunk_capped(
    file: &File,
    start: u64,
    end: u64,
    at_line_start: bool,
    mut buf: Vec<u8>,
    max_record: usize,
) -> io::Result<(Batch, u64)> {
    let lead = usize::from(!at_line_start && start > 0);
    let from = start - lead as u64;
    let span = usize::try_from(end.saturating_sub(from))
        .map_err(|_| io::Error::other("chunk too large"))?;
    // `buf[..len]` holds what was read; bytes after it are left over from earlier use, kept so
    // that a reused buffer is not cleared again.
    let mut len = read_at_most(file, from, span, &mut buf, 0)?;
    let mut eof = len < span;
    let range = len;
    // The first line that starts in the chunk.
    let newline = if lead == 0 {
        None
    } else {
        memchr(b'\n', &buf[..range])
    };
    let first = match (lead, newline) {
        (0, _) => 0,
        (_, Some(i)) => i + 1,
        (_, None) => range,
    };
    let mut items = Vec::new();
    let consumed = range.saturating_sub(lead) as u64;
    if first >= range {
        // No line starts here (or the chunk is empty). The newline found, if any, is the last
        // byte of the chunk or the one before it.
        let newlines = u64::from(newline.is_some_and(|i| i >= lead));
        buf.clear();
        let batch = Batch {
            bytes: buf,
            items,
            consumed,
        };
        return Ok((batch, newlines));
    }
    // Read the last line to its end.
    let mut cut = range;
    let mut too_long = false;
    if buf[range - 1] != b'\n' {
        let last_start =
            memchr::memrchr(b'\n', &buf[first..range]).map_or(first, |i| first + i + 1);
        let mut scanned = range;
        loop {
            if let Some(i) = memchr(b'\n', &buf[scanned..len]) {
                cut = scanned + i + 1;
                break;
            }
            if len - last_start > max_record {
                too_long = true;
                cut = last_start;
                break;
            }
            if eof {
                cut = len;
                break;
            }
            scanned = len;
            let got = read_at_most(file, from + len as u64, 64 << 10, &mut buf, len)?;
            eof = got < 64 << 10;
            len += got;
        }
    }
    buf.truncate(cut);
    // Line 1 is the line at `start`: the first line starting in the chunk is line 2 when the
    // newline before it lies in the chunk.
    let first_line = 1 + u64::from(first > lead);
    let line = split_lines(&buf, first, first_line, max_record, &mut items);
    // The newlines in `start..end`: those before `first` and those split, less the one that
    // ends the last line past `end`, if any (after an over-long line, `cut` is at most `range`,
    // and no newline lies between them).
    let past = cut > range && buf[cut - 1] == b'\n';
    let newlines = (line - 1).saturating_sub(u64::from(past));
    if too_long {
        items.push(Item::record_too_long(line, max_record));
    }
    let batch = Batch {
        bytes: buf,
        items,
        consumed,
    };
    Ok((batch, newlines))
}

#[cfg(unix)]
/// Reads up to `want` bytes of `file` from `offset` into `buf` at `at`, growing `buf` if it is
/// shorter (bytes past what is read are left as they were); returns how many were read, fewer
/// than `want` only at the end of the file.
fn read_at_most(
    file: &File,
    offset: u64,
    want: usize,
    buf: &mut Vec<u8>,
    at: usize,
) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    if buf.len() < at + want {
        buf.resize(at + want, 0);
    }
    let mut got = 0;
    while got < want {
        match file.read_at(&mut buf[at + got..at + want], offset + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::Read;

    use fimql::stream::{Layout, RecordReader};

    use super::*;

    type Items = Vec<(u64, Result<String, String>)>;

    /// The items of a batch: `(line, Ok(record bytes) or Err(message))`.
    fn items_of(batch: &Batch) -> Items {
        batch
            .items
            .iter()
            .map(|item| match item {
                Item::Record { line, .. } => {
                    let bytes = batch.record(item).expect("record bytes");
                    (*line, Ok(String::from_utf8_lossy(bytes).into_owned()))
                }
                Item::Error { line, diagnostic } => (*line, Err(diagnostic.message.clone())),
            })
            .collect()
    }

    /// Everything a reader hands out, batch after batch.
    fn read_all<R: Read>(mut r: RecordReader<R>) -> Items {
        let mut out = Vec::new();
        while let Some(batch) = r.next_batch().expect("read") {
            out.extend(items_of(&batch));
        }
        out
    }

    /// A file in the temp dir holding `bytes`, removed when dropped.
    struct TempFile(std::path::PathBuf, File);

    impl TempFile {
        fn new(bytes: &[u8]) -> TempFile {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "fimql-chunk-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::write(&path, bytes).expect("write temp file");
            let file = File::open(&path).expect("open temp file");
            TempFile(path, file)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// All items of a file read in chunks of `size` from `from` (a line start, at line `line`),
    /// with absolute line numbers, as `filter --jobs N` puts them together.
    fn read_chunked(file: &File, from: u64, line: u64, size: u64, cap: usize) -> Items {
        let len = file.metadata().expect("metadata").len();
        let (mut out, mut start, mut line) = (Vec::new(), from, line);
        // Buffers are reused, as in `filter --jobs N`: left-over bytes must not show through.
        let mut buf = b"\n{}\n".repeat(1000);
        while start < len {
            let end = (start + size).min(len);
            let (batch, newlines) =
                read_chunk_capped(file, start, end, start == from, buf, cap).expect("read chunk");
            assert_eq!(batch.consumed, end - start);
            for item in &batch.items {
                match item {
                    Item::Record { line: l, .. } => {
                        let bytes = batch.record(item).expect("record bytes");
                        let text = String::from_utf8_lossy(bytes).into_owned();
                        out.push((l + line - 1, Ok(text)));
                    }
                    Item::Error {
                        line: l,
                        diagnostic,
                    } => out.push((l + line - 1, Err(diagnostic.message.clone()))),
                }
            }
            line += newlines;
            start = end;
            buf = batch.bytes;
        }
        out
    }

    #[test]
    fn chunks_give_the_records_of_the_whole_input() {
        let inputs = [
            "{\"a\":1}\n{\"a\":2}\n",
            "{\"a\":1}\n\n\n{\"a\":2}",
            "{\"a\":1}\r\n  \r\n{\"a\":22}\r\n\t\n{}\n\n",
            "\n\n{\"long\":\"abcdefghijklmnopqrstuvwxyz\"}\n{\"b\":[1,2,3]}\nnot json\n{",
            "{\"x\":\"\u{e9}\u{1F600}\"}\n \n{\"y\":null}\n\r\n\r",
            "",
            "\n",
            "{}",
        ];
        for input in inputs {
            let whole = read_all(RecordReader::with_layout(input.as_bytes(), Layout::Ndjson));
            let file = TempFile::new(input.as_bytes());
            for size in 1..=input.len() as u64 + 1 {
                let chunked = read_chunked(&file.1, 0, 1, size, MAX_RECORD_BYTES);
                assert_eq!(chunked, whole, "{input:?} in chunks of {size}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        #[test]
        fn chunks_of_any_size_agree_with_one_reader(
            input in proptest::collection::vec(
                proptest::sample::select(b"{}\"a1 \r\n\n\t".to_vec()), 0..200),
            size in 1u64..40,
        ) {
            let whole = read_all(RecordReader::with_layout(&input[..], Layout::Ndjson));
            let file = TempFile::new(&input);
            proptest::prop_assert_eq!(read_chunked(&file.1, 0, 1, size, MAX_RECORD_BYTES), whole);
        }
    }

    #[test]
    fn chunks_go_on_where_the_reader_stopped() {
        // Enough lines for a full first batch, then the rest in chunks.
        let mut input = String::from("\u{feff}");
        for i in 0..60_000 {
            input.push_str(&format!(
                "{{\"n\":{i},\"pad\":\"{}\"}}\n",
                "p".repeat(i % 17)
            ));
            if i % 1000 == 7 {
                input.push_str("\r\n \n");
            }
        }
        input.push_str("{\"last\":true}");
        let whole = read_all(RecordReader::new(input.as_bytes()));
        let mut reader = RecordReader::new(input.as_bytes());
        let first = items_of(&reader.next_batch().expect("read").expect("a batch"));
        let (offset, line) = reader
            .resume_point()
            .expect("a clean NDJSON reader can resume");
        assert!(offset > 0 && offset < input.len() as u64);
        let file = TempFile::new(input.as_bytes());
        for size in [1000, 4096, 65_536, 1 << 20] {
            let mut all = first.clone();
            all.extend(read_chunked(&file.1, offset, line, size, MAX_RECORD_BYTES));
            assert_eq!(all.len(), whole.len(), "chunks of {size}");
            assert!(all == whole, "chunks of {size} differ from one reader");
        }
    }

    #[test]
    fn chunk_reports_an_over_long_last_line_and_the_next_chunk_skips_it() {
        let big = "x".repeat(300_000);
        let input = format!("{{\"a\":1}}\n{{\"b\":\"{big}\"}}\n{{\"c\":3}}\n");
        let file = TempFile::new(input.as_bytes());
        // The long line starts in the first chunk and goes on through the next ones.
        let items = read_chunked(&file.1, 0, 1, 1000, 100_000);
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(items[0], (1, Ok("{\"a\":1}".to_string())));
        assert_eq!(items[1].0, 2);
        assert!(
            items[1]
                .1
                .as_ref()
                .is_err_and(|m| m.contains("longer than 100000"))
        );
        assert_eq!(items[2], (3, Ok("{\"c\":3}".to_string())));
    }
}
