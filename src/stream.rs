//! Streaming records out of exported event files, with bounded memory.
//!
//! Three layouts are recognised per input, from its first non-blank lines:
//! - **NDJSON**: the first line starts with `{` and ends with `}` (or it does not, but most of the
//!   next few lines do: the first record is damaged): one record per line, blank lines ignored.
//!   Records keep their original bytes.
//! - **array**: the input starts with `[`: one JSON array whose elements are records (the events
//!   search response).
//! - **concatenated**: anything else, e.g. pretty-printed objects one after another.
//!
//! Gzip and zstd input (by their magic bytes, see [`Codec`]) is decompressed on the fly, and a UTF-8 byte order mark at the
//! start is skipped; input compressed otherwise (xz, bzip2, zip, LZ4) or not text is refused
//! with one error ([`UnreadInput`]), and so is text with no `{` in its first lines (CSV, a log:
//! [`RecordReader::next_batch`] returns an error of kind [`io::ErrorKind::InvalidData`]). Records are handed out in batches of about [`BATCH_BYTES`]; a batch owns its
//! bytes, so memory stays bounded by the batch size plus the largest single record (capped at
//! [`MAX_RECORD_BYTES`]). The reader only splits: it does not parse records, so a malformed record
//! is found by whoever parses it, with its line number.
//!
//! Splitting costs time linear in the input, however long its records: each byte is searched or
//! scanned a bounded number of times. A record longer than the cap is reported and skipped in every
//! layout, and the records after it are read (see [`RecordReader::with_max_record`]).

use std::io::{self, Read};

use memchr::memchr;

use crate::error::{Code, Diagnostic};
use crate::span::Span;

/// The target size of a batch, in bytes.
pub const BATCH_BYTES: usize = 1 << 20;
/// The most one read asks for in live mode ([`RecordReader::live`]).
const LIVE_READ: usize = 256 << 10;
/// The largest record accepted, in bytes (64 MiB): a longer one is reported as a
/// `record-too-long` [`Item::Error`] on the line where it starts and skipped, in every layout, and
/// the records after it are read. The `\r` of a CRLF line end is not counted. A reader holds at
/// most one record of this size in memory (plus a batch); [`RecordReader::with_max_record`] sets
/// another cap.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// How an input is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Layout {
    /// One record per line.
    Ndjson,
    /// One JSON array of records.
    Array,
    /// JSON values one after another, separated by whitespace (e.g. pretty-printed objects).
    Concatenated,
}

/// One item of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A record: a byte range of [`Batch::bytes`] and the 1-based line where it starts.
    Record {
        /// Start offset in the batch's bytes.
        start: usize,
        /// End offset in the batch's bytes.
        end: usize,
        /// Line of the record's first byte in the input.
        line: u64,
    },
    /// Something that is not a record, found while splitting: a record over the size cap
    /// (`record-too-long`) or input that cannot start one (`invalid-record`).
    Error {
        /// Line where it starts.
        line: u64,
        /// What is wrong; it points into no text (its span is empty). Boxed, so that an item
        /// takes 32 bytes: a batch of tiny records holds one per record.
        diagnostic: Box<Diagnostic>,
    },
}

impl Item {
    /// The `record-too-long` error for a record on `line` longer than `max_record` bytes, which
    /// is skipped.
    pub fn record_too_long(line: u64, max_record: usize) -> Item {
        Item::too_long(
            line,
            format!("record longer than {max_record} bytes; skipped"),
        )
    }

    fn too_long(line: u64, message: String) -> Item {
        Item::Error {
            line,
            diagnostic: Box::new(
                Diagnostic::error(Code::RecordTooLong, Span::default(), message).with_help(
                    "split the record, or filter it with a tool that streams within one record",
                ),
            ),
        }
    }

    fn invalid(line: u64, message: String) -> Item {
        Item::Error {
            line,
            diagnostic: Box::new(Diagnostic::error(
                Code::InvalidRecord,
                Span::default(),
                message,
            )),
        }
    }
}

/// A run of consecutive items with the bytes they refer to.
#[derive(Debug, Default)]
pub struct Batch {
    /// The bytes of the records.
    pub bytes: Vec<u8>,
    /// Records and errors in input order.
    pub items: Vec<Item>,
    /// How many input bytes (after decompression) this batch covers.
    pub consumed: u64,
}

impl Batch {
    /// The bytes of a record item.
    pub fn record(&self, item: &Item) -> Option<&[u8]> {
        match item {
            Item::Record { start, end, .. } => Some(&self.bytes[*start..*end]),
            Item::Error { .. } => None,
        }
    }

    /// The first record of the batch: its bytes and the line where it starts.
    pub fn first_record(&self) -> Option<(&[u8], u64)> {
        self.items.iter().find_map(|item| match item {
            Item::Record { line, .. } => Some((self.record(item)?, *line)),
            Item::Error { .. } => None,
        })
    }
}

/// How an input is compressed, as told by its first bytes (see [`Codec::detect`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Codec {
    /// Not compressed.
    Plain,
    /// Gzip (RFC 1952), one member or several one after another.
    Gzip,
    /// Zstandard (RFC 8878), one frame or several one after another.
    Zstd,
    /// xz (not read: [`open_detected`] says to decompress it first).
    Xz,
    /// bzip2 (not read).
    Bzip2,
    /// A zip archive (not read).
    Zip,
    /// LZ4 (not read).
    Lz4,
}

/// Whether `head` starts with the magic number of a skippable frame (`50 2a 4d 18` to
/// `5f 2a 4d 18`), which zstd files may start with (`pzstd` writes one first). LZ4 frames have
/// the same skippable frames; LZ4 is not read either way.
fn skippable_frame(head: &[u8]) -> bool {
    matches!(head, [n, 0x2a, 0x4d, 0x18, ..] if n & 0xf0 == 0x50)
}

/// The magic bytes of each codec.
const MAGIC: &[(&[u8], Codec)] = &[
    (&[0x1f, 0x8b], Codec::Gzip),
    (&[0x28, 0xb5, 0x2f, 0xfd], Codec::Zstd),
    (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], Codec::Xz),
    (b"BZh", Codec::Bzip2),
    (b"PK\x03\x04", Codec::Zip),
    (b"PK\x05\x06", Codec::Zip),
    (b"PK\x07\x08", Codec::Zip),
    (&[0x04, 0x22, 0x4d, 0x18], Codec::Lz4),
    (&[0x02, 0x21, 0x4c, 0x18], Codec::Lz4),
];

impl Codec {
    /// How many first bytes of an input [`Codec::detect`] looks at (at most).
    pub const HEAD: usize = 6;

    /// The codec of an input whose first bytes are `head` (its magic bytes: `1f 8b` for gzip,
    /// `28 b5 2f fd` for zstd, or a skippable frame, `5X 2a 4d 18`, `fd 37 7a 58 5a 00` for xz,
    /// `BZh` and a digit for bzip2, `PK` and `03 04`, `05 06` or `07 08` for zip, `04 22 4d 18`
    /// for LZ4); [`Codec::Plain`] for anything else, including a head too short to tell.
    ///
    /// ```
    /// use fimql::stream::Codec;
    /// assert_eq!(Codec::detect(b"\x1f\x8b\x08\x00"), Codec::Gzip);
    /// assert_eq!(Codec::detect(b"\x28\xb5\x2f\xfd"), Codec::Zstd);
    /// assert_eq!(Codec::detect(b"\xfd7zXZ\x00"), Codec::Xz);
    /// assert_eq!(Codec::detect(b"BZh9"), Codec::Bzip2);
    /// assert_eq!(Codec::detect(b"{\"a\""), Codec::Plain);
    /// ```
    pub fn detect(head: &[u8]) -> Codec {
        if skippable_frame(head) {
            return Codec::Zstd;
        }
        for &(magic, codec) in MAGIC {
            if head.starts_with(magic)
                && (codec != Codec::Bzip2 || head.get(3).is_some_and(|d| (b'1'..=b'9').contains(d)))
            {
                return codec;
            }
        }
        Codec::Plain
    }

    /// Whether `head` could still be the start of a codec's magic bytes (more bytes are needed
    /// to tell).
    fn undecided(head: &[u8]) -> bool {
        head.len() < Codec::HEAD
            && (head == b"BZh"
                || matches!(head, [n] | [n, 0x2a] | [n, 0x2a, 0x4d] if n & 0xf0 == 0x50)
                || MAGIC
                    .iter()
                    .any(|(magic, _)| magic.len() > head.len() && magic.starts_with(head)))
    }

    /// The codec's name, as in messages.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Plain => "plain",
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
            Codec::Xz => "xz",
            Codec::Bzip2 => "bzip2",
            Codec::Zip => "zip",
            Codec::Lz4 => "lz4",
        }
    }

    /// The command that writes the decompressed input to standard output, for the codecs that
    /// are not read (say, `xz -dc`; followed by the file's name).
    pub fn decompress_command(self) -> Option<&'static str> {
        match self {
            Codec::Xz => Some("xz -dc"),
            Codec::Bzip2 => Some("bzip2 -dc"),
            Codec::Zip => Some("unzip -p"),
            Codec::Lz4 => Some("lz4 -dc"),
            Codec::Plain | Codec::Gzip | Codec::Zstd => None,
        }
    }
}

/// Whether the first bytes of an input show it is not text: a control character other than tab,
/// line feed, carriage return and form feed, or bytes that are not UTF-8 (after a byte order
/// mark; a character cut at the end of `head` is not counted).
pub fn looks_binary(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let control = text
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f);
    control || std::str::from_utf8(text).is_err_and(|e| e.error_len().is_some())
}

/// Why [`open_detected`] does not read an input: it is compressed with a codec fimql does not
/// decompress (`Some`), or it is not text (`None`). The inner error of its [`io::Error`] (of
/// kind [`io::ErrorKind::Unsupported`] or [`io::ErrorKind::InvalidData`]), for callers that say
/// more (the command to decompress it, say).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnreadInput(pub Option<Codec>);

impl std::fmt::Display for UnreadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.and_then(|c| Some((c, c.decompress_command()?))) {
            Some((codec, command)) => write!(
                f,
                "{}-compressed input is not supported; decompress it first ({command})",
                codec.name()
            ),
            None => write!(
                f,
                "binary data, not JSON text (events are read as NDJSON, a JSON array or JSON \
                 objects one after another, plain or compressed with gzip or zstd)"
            ),
        }
    }
}

impl std::error::Error for UnreadInput {}

/// Opens an input, transparently decompressing gzip and zstd (recognised by their magic bytes,
/// see [`Codec::detect`]); concatenated gzip members and zstd frames are read one after another.
/// Without the feature `gzip` (or `zstd`), such input is an error of kind
/// [`io::ErrorKind::Unsupported`] that says so. Input compressed otherwise (xz, bzip2, zip, LZ4)
/// is an error of that kind too, and input whose first bytes are not text (see [`looks_binary`])
/// one of kind [`io::ErrorKind::InvalidData`]; both hold an [`UnreadInput`], but for UTF-16 text,
/// whose error says how to convert it. Compressed input whose first decompressed bytes are not
/// text (compressed twice, say) is an error of kind [`io::ErrorKind::InvalidData`] that says so.
/// Reading compressed input fails with an error that says whether the compressed data ends early
/// (a file cut off: kind [`io::ErrorKind::UnexpectedEof`]), is followed by bytes that are not of
/// its codec, or is damaged, and after how many decompressed bytes.
pub fn open(reader: impl Read + Send + 'static) -> io::Result<Box<dyn Read + Send>> {
    open_detected(reader).map(|(input, _)| input)
}

/// As [`open`], also telling the codec found.
///
/// Only as many first bytes are read as it takes to tell the codec (one, when the input starts
/// with `{`), so that input arriving over time is not held up; of compressed input, also the
/// first six bytes it decompresses to (or all, if fewer), to check that they are text.
pub fn open_detected(
    mut reader: impl Read + Send + 'static,
) -> io::Result<(Box<dyn Read + Send>, Codec)> {
    let mut head = Vec::with_capacity(Codec::HEAD);
    while head.is_empty() || Codec::undecided(&head) {
        let mut byte = [0u8; Codec::HEAD];
        let want = Codec::HEAD - head.len();
        match reader.read(&mut byte[..want]) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&byte[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let codec = Codec::detect(&head);
    if codec.decompress_command().is_some() {
        let e = UnreadInput(Some(codec));
        return Err(io::Error::new(io::ErrorKind::Unsupported, e));
    }
    if codec == Codec::Plain && looks_binary(&head) {
        if let Some(message) = utf16(&head) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, message));
        }
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            UnreadInput(None),
        ));
    }
    let whole = io::Cursor::new(head).chain(reader);
    let input: Box<dyn Read + Send> = match codec {
        Codec::Plain => Box::new(whole),
        #[cfg(feature = "gzip")]
        Codec::Gzip => Box::new(Decoded::new(
            codec,
            GzipMembers::new(io::BufReader::with_capacity(256 << 10, whole)),
        )),
        #[cfg(feature = "zstd")]
        Codec::Zstd => Box::new(Decoded::new(
            codec,
            zstd::stream::read::Decoder::with_buffer(io::BufReader::with_capacity(
                256 << 10,
                whole,
            ))?,
        )),
        #[allow(unreachable_patterns)]
        other => {
            let name = other.name();
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "the input is {name}-compressed; this build of fimql reads {name} only with \
                     the feature `{name}`"
                ),
            ));
        }
    };
    if codec == Codec::Plain {
        return Ok((input, codec));
    }
    // What it decompresses to must be text too: its first bytes are checked as a plain input's.
    let mut input = input;
    let mut first = Vec::with_capacity(Codec::HEAD);
    // An error after the first bytes comes after them (a tiny file followed by other bytes).
    let mut failed = None;
    while first.len() < Codec::HEAD {
        let mut byte = [0u8; Codec::HEAD];
        match input.read(&mut byte[..Codec::HEAD - first.len()]) {
            Ok(0) => break,
            Ok(n) => first.extend_from_slice(&byte[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if first.is_empty() => return Err(e),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    if looks_binary(&first) {
        let outer = codec.name();
        let message = match Codec::detect(&first) {
            Codec::Plain if utf16(&first).is_some() => {
                format!("{outer}-compressed {}", utf16(&first).unwrap_or_default())
            }
            Codec::Plain => format!("{outer}-compressed {}", UnreadInput(None)),
            inner => format!(
                "what the {outer} data decompresses to is {}-compressed too (compressed twice?); \
                 decompress it once first",
                inner.name()
            ),
        };
        return Err(io::Error::new(io::ErrorKind::InvalidData, message));
    }
    if let Some(e) = failed {
        return Ok((
            Box::new(io::Cursor::new(first).chain(Failed(Some(e)))),
            codec,
        ));
    }
    Ok((Box::new(io::Cursor::new(first).chain(input)), codec))
}

/// A reader that fails once with its error, then is at its end.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// What to say of an input whose first bytes are UTF-16 or UTF-32 text (a byte order mark and an
/// ASCII character, or an ASCII character that can start JSON text followed or preceded by zero
/// bytes), which fimql does not read.
fn utf16(head: &[u8]) -> Option<String> {
    // With a byte order mark, `iconv -f UTF-16` reads the order from it and drops it.
    let (bits, order, iconv) = match head {
        [0xff, 0xfe, 0, 0, ..] | [0, 0, 0xfe, 0xff, ..] => ("32", "", "UTF-32"),
        [0xff, 0xfe, c, 0, ..] if c.is_ascii() => ("16", " (little-endian)", "UTF-16"),
        [0xfe, 0xff, 0, c, ..] if c.is_ascii() => ("16", " (big-endian)", "UTF-16"),
        [b'{' | b'[' | b' ' | b'\t' | b'\n' | b'\r', 0, 0, 0, ..] => ("32", "", "UTF-32LE"),
        [b'{' | b'[' | b' ' | b'\t' | b'\n' | b'\r', 0, ..] => {
            ("16", " (little-endian)", "UTF-16LE")
        }
        [0, b'{' | b'[' | b' ' | b'\t' | b'\n' | b'\r', ..] => ("16", " (big-endian)", "UTF-16BE"),
        _ => return None,
    };
    Some(format!(
        "UTF-{bits} text{order}, not UTF-8: JSON text is read as UTF-8; convert it first \
         (`iconv -f {iconv} -t UTF-8`)"
    ))
}

/// Gzip members one after another, each inflated by flate2, and what follows the last one
/// checked: zero bytes (padding, as tape archives write) are ignored, as `gzip` does, and other
/// bytes are an error that says so.
#[cfg(feature = "gzip")]
enum GzipMembers<R: io::BufRead> {
    Member(Box<flate2::bufread::GzDecoder<R>>),
    Between(R),
    Done,
}

#[cfg(feature = "gzip")]
impl<R: io::BufRead> GzipMembers<R> {
    fn new(inner: R) -> Self {
        GzipMembers::Member(Box::new(flate2::bufread::GzDecoder::new(inner)))
    }
}

#[cfg(feature = "gzip")]
impl<R: io::BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match std::mem::replace(self, GzipMembers::Done) {
                GzipMembers::Member(mut member) => match member.read(buf) {
                    Ok(0) => *self = GzipMembers::Between(member.into_inner()),
                    other => {
                        *self = GzipMembers::Member(member);
                        return other;
                    }
                },
                GzipMembers::Between(mut inner) => {
                    let head = match inner.fill_buf() {
                        Ok(head) => head,
                        Err(e) => {
                            *self = GzipMembers::Between(inner);
                            return Err(e);
                        }
                    };
                    if head.is_empty() {
                        return Ok(0);
                    }
                    if head[0] == 0x1f {
                        // The next member (a cut-off one says so as it is read).
                        *self = GzipMembers::new(inner);
                        continue;
                    }
                    let zeros = head.iter().take_while(|&&b| b == 0).count();
                    if zeros == 0 {
                        return Err(io::Error::new(io::ErrorKind::InvalidData, TRAILING_GZIP));
                    }
                    inner.consume(zeros);
                    *self = GzipMembers::Between(inner);
                }
                GzipMembers::Done => return Ok(0),
            }
        }
    }
}

/// The message of [`GzipMembers`] for bytes after the gzip data that are not gzip.
const TRAILING_GZIP: &str = "bytes that are not gzip after the end of the gzip data";

/// A decoder's output, whose errors say what they mean for the input: data after the end of the
/// compressed stream, or a stream that ends early (a file cut off).
struct Decoded<R> {
    codec: Codec,
    inner: R,
    /// Bytes decompressed so far.
    out: u64,
}

impl<R> Decoded<R> {
    fn new(codec: Codec, inner: R) -> Self {
        Decoded {
            codec,
            inner,
            out: 0,
        }
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.out += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let codec = self.codec.name();
                let out = self.out;
                let detail = e.to_string();
                // Gzip's members are checked one by one (see `GzipMembers`); the first zstd
                // frame's magic bytes were checked: once it decompressed to something, a frame
                // that is not one comes after the end of a complete frame.
                let message = if e.kind() == io::ErrorKind::UnexpectedEof {
                    format!(
                        "the {codec} data ends early, after {out} decompressed bytes: the file \
                         may be cut off ({detail})"
                    )
                } else if detail == TRAILING_GZIP
                    || (out > 0 && detail == "Unknown frame descriptor")
                {
                    let why = if detail == TRAILING_GZIP {
                        String::new()
                    } else {
                        format!(" ({detail})")
                    };
                    format!(
                        "the file goes on after the end of its {codec} data with bytes that are \
                         not {codec}{why}; the {out} bytes decompressed before them were read"
                    )
                } else {
                    format!("the {codec} data is damaged after {out} decompressed bytes ({detail})")
                };
                Err(io::Error::new(e.kind(), message))
            }
        }
    }
}

/// Whether `record` wraps events rather than being one: an object whose member `data` is an
/// array of objects (as `{"count": 100, "data": [...]}`, an export saved in a shape of its own);
/// how many objects then. An event's (or a search-response element's) `data` is an object. A
/// record that is not JSON is not one. Each record is read as one event, so readers check a
/// file's first record with this to warn that its events are not read (`fimql filter` does).
///
/// ```
/// use fimql::stream::wrapped_events;
/// assert_eq!(wrapped_events(br#"{"count":2,"data":[{"action":"Create"},{}]}"#), Some(2));
/// assert_eq!(wrapped_events(br#"{"sortValues":[],"data":{"action":"Create"}}"#), None);
/// assert_eq!(wrapped_events(br#"{"data":[1,2]}"#), None);
/// ```
pub fn wrapped_events(record: &[u8]) -> Option<usize> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    /// The shape of a value: an object, an array of objects (how many), or something else.
    enum Shape {
        Object,
        Objects(usize),
        Other,
    }
    impl<'de> serde::Deserialize<'de> for Shape {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Shape;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("any JSON value")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
                    let (mut n, mut all) = (0, true);
                    while let Some(shape) = seq.next_element::<Shape>()? {
                        n += 1;
                        all &= matches!(shape, Shape::Object);
                    }
                    Ok(if all && n > 0 {
                        Shape::Objects(n)
                    } else {
                        Shape::Other
                    })
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(Shape::Object)
                }
                fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
                    Ok(Shape::Other)
                }
                fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
                    Ok(Shape::Other)
                }
                fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
                    Ok(Shape::Other)
                }
                fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
                    Ok(Shape::Other)
                }
                fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
                    Ok(Shape::Other)
                }
                fn visit_unit<E>(self) -> Result<Shape, E> {
                    Ok(Shape::Other)
                }
            }
            d.deserialize_any(V)
        }
    }

    #[derive(serde::Deserialize)]
    struct Wrapper {
        data: Option<Shape>,
    }

    if !record.trim_ascii_start().starts_with(b"{") {
        return None;
    }
    match serde_json::from_slice::<Wrapper>(record).ok()?.data? {
        Shape::Objects(n) => Some(n),
        Shape::Object | Shape::Other => None,
    }
}

/// How many lines after a first line that is not an object on one line decide the layout.
const DETECT_LINES: usize = 8;

/// Whether a line holds a whole JSON object (as far as its first and last bytes tell).
fn one_line_object(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    line.starts_with(b"{") && line.ends_with(b"}")
}

/// Of the first [`DETECT_LINES`] complete non-blank lines in `bytes` (at the end of the input, the
/// last line is complete without its newline): how many there are, and how many are objects on one
/// line.
fn line_shapes(bytes: &[u8], eof: bool) -> (usize, usize) {
    let (mut seen, mut objects) = (0, 0);
    let mut rest = bytes;
    while seen < DETECT_LINES {
        let Some(nl) = memchr(b'\n', rest) else {
            break;
        };
        let line = &rest[..nl];
        rest = &rest[nl + 1..];
        if line.trim_ascii().is_empty() {
            continue;
        }
        seen += 1;
        objects += usize::from(one_line_object(line));
    }
    if eof && seen < DETECT_LINES && !rest.trim_ascii().is_empty() {
        seen += 1;
        objects += usize::from(one_line_object(rest));
    }
    (seen, objects)
}

/// The error for an input whose first lines hold no `{`: text of another kind (CSV, a log),
/// which read as JSON would give an error for every word.
fn not_json(first: &[u8]) -> io::Error {
    let line = first.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line.trim_ascii());
    let mut shown: String = line
        .chars()
        .take(40)
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect();
    if line.chars().count() > 40 {
        shown.push('…');
    }
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "not JSON events: no `{{` in the first lines, which start `{shown}`; events are read \
             as NDJSON, a JSON array or JSON objects one after another"
        ),
    )
}

/// Splits NDJSON bytes from `start` into record items, as [`RecordReader`] does: one record per
/// line (without its `\r\n` or `\n`), blank lines skipped, a line longer than `max_record` an
/// error item. `line` is the line number at
/// `start`; returns the line number at the end of `bytes`.
///
/// With [`RecordReader::resume_point`], this lets a caller split the rest of a plain NDJSON file
/// itself, say in chunks read at independent offsets, and get the records a reader would give.
///
/// ```
/// use fimql::stream::{Item, split_lines};
/// let bytes = b"{\"a\":1}\r\n\n{\"a\":2}";
/// let mut items = Vec::new();
/// assert_eq!(split_lines(bytes, 0, 1, 64, &mut items), 3);
/// assert_eq!(items[0], Item::Record { start: 0, end: 7, line: 1 }); // without the `\r`
/// assert_eq!(items[1], Item::Record { start: 10, end: 17, line: 3 });
/// ```
pub fn split_lines(
    bytes: &[u8],
    mut start: usize,
    mut line: u64,
    max_record: usize,
    items: &mut Vec<Item>,
) -> u64 {
    while start < bytes.len() {
        let end = memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        // The record, without the `\r` of a CRLF line end (which the cap does not count).
        let e = if end > start && bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        if e - start > max_record {
            items.push(Item::record_too_long(line, max_record));
        } else if !bytes[start..e].trim_ascii().is_empty() {
            items.push(Item::Record {
                start,
                end: e,
                line,
            });
        }
        if end < bytes.len() {
            line += 1;
        }
        start = end + 1;
    }
    line
}

/// Splits an input into batches of records.
///
/// ```
/// use fimql::stream::{Item, RecordReader};
/// let input = "{\"a\":1}\n\n{\"a\":2}\n";
/// let mut r = RecordReader::new(input.as_bytes());
/// let batch = r.next_batch().unwrap().unwrap();
/// let lines: Vec<u64> = batch.items.iter().map(|i| match i { Item::Record { line, .. } => *line, _ => 0 }).collect();
/// assert_eq!(lines, vec![1, 3]);
/// assert_eq!(batch.record(&batch.items[1]).unwrap(), b"{\"a\":2}");
/// ```
pub struct RecordReader<R> {
    inner: R,
    layout: Option<Layout>,
    /// Bytes read but not yet handed out.
    pending: Vec<u8>,
    /// Line number of `pending[0]`.
    line: u64,
    eof: bool,
    /// For array and concatenated layouts: the scanner's state at `pending[scan_pos]`.
    scan: Scanner,
    /// In NDJSON: dropping the rest of an over-long line.
    discarding: bool,
    /// In NDJSON: the last newline in `pending[..searched]`, and how far `pending` has been
    /// searched for newlines, so that each byte is searched once however long its line is.
    last_newline: Option<usize>,
    searched: usize,
    /// Buffers handed back by the consumer, for reuse.
    free: Vec<Vec<u8>>,
    /// The record size cap, [`MAX_RECORD_BYTES`] (smaller in unit tests).
    max_record: usize,
    /// A read error, kept until the records read before it have been handed out.
    failed: Option<io::Error>,
    /// Nothing handed out yet (a byte order mark is still to be skipped).
    at_start: bool,
    /// Input bytes handed out in batches (or skipped as a byte order mark) so far.
    taken: u64,
    /// Some input was dropped without being counted in `taken` (an over-long line).
    untracked: bool,
    /// Bytes searched, scanned or copied so far: the reader's work, which the tests
    /// hold to be linear in the input's size whatever the size of its records.
    work: u64,
    /// Input that arrives over time (see [`RecordReader::live`]): one read per fill, and the
    /// complete records read so far are handed out when a read comes back short.
    live: bool,
    /// In live mode: the last read returned fewer bytes than asked for.
    drained: bool,
}

/// Scanner state for array and concatenated layouts.
#[derive(Clone, Debug, Default)]
struct Scanner {
    /// Whether the outer `[` of an array has been seen (array layout).
    in_array: bool,
    /// Offset of the record being scanned, in `pending`, and its line.
    record: Option<(usize, u64)>,
    /// Nesting depth inside the current record.
    depth: usize,
    /// The kinds of the innermost 64 open containers (bit set: an object), innermost in the
    /// lowest bit, to notice a record that is malformed where it would otherwise swallow the
    /// records after it.
    kinds: u64,
    /// The last byte outside strings that is not whitespace, in the current record (`"` after a
    /// string).
    last: u8,
    /// In an array that started with `[`: what came last between its elements, to report a
    /// missing or extra `,` (its elements are still read).
    sep: Option<Sep>,
    in_string: bool,
    escape: bool,
    /// Where the current string's opening quote is, in `pending`.
    string_at: usize,
    /// Up to where quotes are ordinary bytes, in `pending`: the bytes of a string left open,
    /// scanned again as if outside it (see `scan_pending`).
    plain_until: usize,
    /// The current record is a scalar (not an object, array or string).
    scalar: bool,
    /// The current record is over the cap and reported: it is scanned to its end, but its bytes
    /// are dropped as they are scanned and it is not handed out.
    skipping: bool,
    /// Where scanning resumes in `pending`, and the line there.
    pos: usize,
    pos_line: u64,
}

impl Scanner {
    /// A record starts with byte `b`, at `at`.
    fn start_record(&mut self, b: u8, at: usize) {
        self.record = Some((at, self.pos_line));
        self.escape = false;
        self.depth = 0;
        self.kinds = 0;
        self.last = b;
        self.scalar = !matches!(b, b'{' | b'[' | b'"');
        self.in_string = b == b'"';
        self.string_at = at;
        if matches!(b, b'{' | b'[') {
            self.open(b);
        }
    }

    /// A container opens with `b` (`{` or `[`); its kind is kept for the innermost 64 levels.
    fn open(&mut self, b: u8) {
        if self.depth < 64 {
            self.kinds = self.kinds << 1 | u64::from(b == b'{');
        }
        self.depth += 1;
    }

    /// The current record ends at `end`: hand it out, unless it is being skipped (reported
    /// before) or is longer than `max_record` (reported now).
    fn end_record(&mut self, found: Found<'_>, start: usize, end: usize, line: u64) {
        if end - start > found.max_record && !self.skipping {
            found.errors.push((
                found.items.len(),
                Item::record_too_long(line, found.max_record),
            ));
        } else if !self.skipping {
            found.items.push((start, end, line));
        }
        self.skipping = false;
        self.record = None;
        self.sep = self.sep.map(|_| Sep::Element);
    }
}

/// What came last between the elements of an array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sep {
    /// The `[`.
    Open,
    /// An element.
    Element,
    /// A `,`.
    Comma,
}

/// Where the scanner puts what it finds: records (start, end, line), and errors before the record
/// of their index.
struct Found<'a> {
    items: &'a mut Vec<(usize, usize, u64)>,
    errors: &'a mut Vec<(usize, Item)>,
    max_record: usize,
}

impl<R: Read> RecordReader<R> {
    /// A reader that detects the layout from the input.
    pub fn new(inner: R) -> Self {
        RecordReader {
            inner,
            layout: None,
            pending: Vec::new(),
            line: 1,
            eof: false,
            scan: Scanner {
                pos_line: 1,
                ..Scanner::default()
            },
            discarding: false,
            last_newline: None,
            searched: 0,
            free: Vec::new(),
            max_record: MAX_RECORD_BYTES,
            failed: None,
            at_start: true,
            taken: 0,
            untracked: false,
            work: 0,
            live: false,
            drained: false,
        }
    }

    /// Hands a batch's bytes back for reuse, so that reading allocates (and faults in) no new
    /// memory once a few batches are in flight.
    pub fn recycle(&mut self, bytes: Vec<u8>) {
        if self.free.len() < 8 {
            self.free.push(bytes);
        }
    }

    fn fresh_buffer(&mut self) -> Vec<u8> {
        match self.free.pop() {
            Some(mut v) => {
                v.clear();
                v
            }
            None => Vec::with_capacity(BATCH_BYTES + (64 << 10)),
        }
    }

    /// Splits `pending` at `cut`: returns the bytes before it and keeps the rest, in a reused
    /// buffer.
    fn take_pending(&mut self, cut: usize) -> Vec<u8> {
        let mut next = self.fresh_buffer();
        next.extend_from_slice(&self.pending[cut..]);
        self.work += (self.pending.len() - cut) as u64;
        self.pending.truncate(cut);
        self.taken += cut as u64;
        self.forget_newlines();
        std::mem::replace(&mut self.pending, next)
    }

    /// `pending` was replaced or cut at the front: search it for newlines again.
    fn forget_newlines(&mut self) {
        self.last_newline = None;
        self.searched = 0;
    }

    /// The last newline in `pending`, searching only the bytes not searched before.
    fn last_newline(&mut self) -> Option<usize> {
        if self.searched > self.pending.len() {
            self.forget_newlines();
        }
        self.work += (self.pending.len() - self.searched) as u64;
        if let Some(i) = memchr::memrchr(b'\n', &self.pending[self.searched..]) {
            self.last_newline = Some(self.searched + i);
        }
        self.searched = self.pending.len();
        self.last_newline
    }

    /// Hands out the complete records read so far whenever a read returns fewer bytes than
    /// asked for, instead of waiting for a whole batch ([`BATCH_BYTES`]). For input that arrives
    /// over time, such as a pipe from `tail -f`: without it, a record could wait for a megabyte of
    /// later input before anyone sees it. Off by default; on a file it would only make batches
    /// smaller.
    ///
    /// A short read is taken to mean that no more input is coming for now, so the reader should
    /// return a short count only then: a pipe does, and fimql's command line, so that a fast
    /// writer still fills whole batches, keeps reading while more bytes arrive within a few
    /// milliseconds.
    ///
    /// ```
    /// use std::io::Read;
    /// use fimql::stream::RecordReader;
    ///
    /// // A reader that returns one line per read, as a slow pipe would.
    /// struct Slow(Vec<&'static [u8]>);
    /// impl Read for Slow {
    ///     fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
    ///         let Some(next) = self.0.first_mut() else { return Ok(0) };
    ///         let n = next.len().min(buf.len());
    ///         buf[..n].copy_from_slice(&next[..n]);
    ///         *next = &next[n..];
    ///         if next.is_empty() {
    ///             self.0.remove(0);
    ///         }
    ///         Ok(n)
    ///     }
    /// }
    /// let input = Slow(vec![b"{\"a\":1}\n", b"{\"a\":2}\n"]);
    /// let mut reader = RecordReader::new(input).live(true);
    /// // Each line is its own batch, handed out as soon as it was read.
    /// assert_eq!(reader.next_batch()?.unwrap().items.len(), 1);
    /// assert_eq!(reader.next_batch()?.unwrap().items.len(), 1);
    /// assert!(reader.next_batch()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn live(mut self, on: bool) -> Self {
        self.live = on;
        self
    }

    /// A reader for a known layout.
    pub fn with_layout(inner: R, layout: Layout) -> Self {
        let mut r = RecordReader::new(inner);
        r.layout = Some(layout);
        r
    }

    /// Sets the record cap ([`MAX_RECORD_BYTES`] by default), which bounds the memory a reader
    /// holds. A record longer than `bytes` is reported as a `record-too-long` [`Item::Error`] on
    /// the line where it starts, and skipped; reading goes on after it, in every layout:
    /// - in NDJSON, with the next line;
    /// - in a JSON array or concatenated JSON, after the end of the over-long value, which is
    ///   still found (through its strings and escapes) but not kept: its bytes are dropped as
    ///   they are scanned.
    ///
    /// Either way the cost stays linear in the input's size. The line numbers of later records
    /// stay right.
    ///
    /// ```
    /// use fimql::stream::{Item, RecordReader};
    /// let input = "[{\"a\":1},\n {\"b\":\"a long \\\"]}\\\" string\"},\n {\"c\":3}]";
    /// let mut r = RecordReader::new(input.as_bytes()).with_max_record(12);
    /// let mut lines = Vec::new();
    /// while let Some(batch) = r.next_batch().unwrap() {
    ///     for item in &batch.items {
    ///         lines.push(match item {
    ///             Item::Record { line, .. } => (*line, "record"),
    ///             Item::Error { line, diagnostic } => (*line, diagnostic.code.as_str()),
    ///         });
    ///     }
    /// }
    /// assert_eq!(lines, [(1, "record"), (2, "record-too-long"), (3, "record")]);
    /// ```
    pub fn with_max_record(mut self, bytes: usize) -> Self {
        self.max_record = bytes;
        self
    }

    /// The layout, once known (after the first batch).
    pub fn layout(&self) -> Option<Layout> {
        self.layout
    }

    /// Where an NDJSON input can be read on from without this reader: the number of input
    /// bytes handed out so far (they end at a line boundary) and the line number there. `None`
    /// unless the layout is NDJSON and nothing went wrong (no read error, no over-long line), or
    /// when the end of the input has been seen.
    ///
    /// With a plain file as input, the rest of the file can then be read in independent chunks
    /// (each split with [`split_lines`]), on several threads, giving the same records.
    pub fn resume_point(&self) -> Option<(u64, u64)> {
        let clean = self.layout == Some(Layout::Ndjson)
            && !self.untracked
            && !self.discarding
            && !self.eof
            && self.failed.is_none();
        clean.then_some((self.taken, self.line))
    }

    /// Reads more input into `pending` (up to about a batch); false at end of input.
    ///
    /// A read error (say, a truncated gzip stream) ends the input where it happens: what was read
    /// before it is still split into records, and [`next_batch`](Self::next_batch) returns the
    /// error after the last of them.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let want = (BATCH_BYTES + (64 << 10))
            .saturating_sub(self.pending.len())
            .max(64 << 10);
        let before = self.pending.len();
        let read = if self.live {
            // One read of up to `LIVE_READ` bytes (`read_to_end` would start with small reads):
            // what came back short is all there is for now.
            let chunk = want.min(LIVE_READ);
            self.pending.resize(before + chunk, 0);
            let read = loop {
                match self.inner.read(&mut self.pending[before..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other,
                }
            };
            self.pending.truncate(before + *read.as_ref().unwrap_or(&0));
            if let Ok(n) = read {
                self.drained = n < chunk;
            }
            read
        } else {
            (&mut self.inner)
                .take(want as u64)
                .read_to_end(&mut self.pending)
        };
        match read {
            Ok(0) => {
                self.eof = true;
                Ok(false)
            }
            Ok(_) => Ok(true),
            Err(e) => {
                // `read_to_end` keeps the bytes it read before the error.
                self.eof = true;
                self.failed = Some(e);
                Ok(self.pending.len() > before)
            }
        }
    }

    /// Drops a UTF-8 byte order mark at the start of the input, as some Windows tools write one
    /// (RFC 8259 lets a parser ignore it).
    fn skip_bom(&mut self) -> io::Result<()> {
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        while self.pending.len() < BOM.len() && self.fill()? {}
        if self.pending.starts_with(BOM) {
            self.pending.drain(..BOM.len());
            self.taken += BOM.len() as u64;
        }
        Ok(())
    }

    fn detect(&mut self) -> io::Result<Layout> {
        // How far `pending` has been searched for the end of the first line (it only grows
        // here), so that a long first line is searched once.
        let mut searched = 0;
        // `pending[..blank]` is whitespace: searched once.
        let mut blank = 0;
        let mut blank_lines = 0;
        loop {
            let first = self.pending[blank..]
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .map(|i| blank + i);
            self.work += (first.unwrap_or(self.pending.len()) - blank) as u64;
            blank = first.unwrap_or(self.pending.len());
            if first.is_none() && self.pending.len() >= BATCH_BYTES {
                // A long blank start: its whole lines are dropped and counted, so that they
                // cost no memory (what is left is on the line of the first record).
                // `pending[..blank_lines]` has no newline: searched once too.
                let from = blank_lines;
                blank_lines = self.pending.len();
                if let Some(last) = memchr::memrchr(b'\n', &self.pending[from..]).map(|i| from + i)
                {
                    let lines = memchr::memchr_iter(b'\n', &self.pending[from..]).count() as u64;
                    self.line += lines;
                    self.scan.pos_line += lines;
                    self.pending.drain(..=last);
                    self.forget_newlines();
                    self.untracked = true;
                    blank = self.pending.len();
                    blank_lines = blank;
                }
                if self.pending.len() > self.max_record {
                    // One blank line longer than any record: NDJSON's reading reports it.
                    return Ok(Layout::Ndjson);
                }
            }
            if let Some(i) = first {
                if self.pending[i] == b'[' {
                    return Ok(Layout::Array);
                }
                let from = searched.max(i);
                let newline = memchr(b'\n', &self.pending[from..]).map(|n| from + n - i);
                self.work += newline.map_or(self.pending.len() - from, |nl| i + nl - from) as u64;
                if newline.is_none() {
                    searched = self.pending.len();
                    if self.pending.len() - i > self.max_record {
                        // A first line longer than any record: in any layout, an over-long
                        // record on a line of its own. NDJSON's reading reports and skips it
                        // without holding it whole.
                        return Ok(Layout::Ndjson);
                    }
                }
                if let Some(nl) = newline {
                    if one_line_object(&self.pending[i..i + nl]) {
                        return Ok(Layout::Ndjson);
                    }
                    // Not an object on one line: a pretty-printed object, or NDJSON whose first
                    // line is damaged (a file cut at the front, a line of something else). The
                    // next lines tell them apart.
                    let (seen, objects) = line_shapes(&self.pending[i + nl + 1..], self.eof);
                    if seen >= DETECT_LINES || self.eof || self.pending.len() >= 2 * BATCH_BYTES {
                        if objects * 2 > seen {
                            return Ok(Layout::Ndjson);
                        }
                        // Events are objects: text with no `{` in all that was read (a whole
                        // line after the first at least) is something else.
                        if (seen > 0 || self.eof) && memchr(b'{', &self.pending).is_none() {
                            return Err(not_json(&self.pending[i..]));
                        }
                        return Ok(Layout::Concatenated);
                    }
                    self.fill()?;
                    continue;
                }
            }
            if !self.fill()? {
                let rest = self.pending.trim_ascii();
                return if rest.starts_with(b"[") {
                    Ok(Layout::Array)
                } else if one_line_object(rest) {
                    Ok(Layout::Ndjson)
                } else if !rest.is_empty() && memchr(b'{', rest).is_none() {
                    Err(not_json(rest))
                } else {
                    Ok(Layout::Concatenated)
                };
            }
        }
    }

    /// The next batch, or `None` at the end of the input. A read error is returned after the
    /// batches of the records read before it.
    pub fn next_batch(&mut self) -> io::Result<Option<Batch>> {
        if self.at_start {
            self.at_start = false;
            self.skip_bom()?;
        }
        let layout = match self.layout {
            Some(l) => l,
            None => {
                let l = self.detect()?;
                self.layout = Some(l);
                l
            }
        };
        let batch = match layout {
            Layout::Ndjson => self.next_ndjson()?,
            Layout::Array | Layout::Concatenated => self.next_scanned(layout == Layout::Array)?,
        };
        match (batch, self.failed.take()) {
            (None, Some(e)) => Err(e),
            (batch, failed) => {
                self.failed = failed;
                Ok(batch)
            }
        }
    }

    fn next_ndjson(&mut self) -> io::Result<Option<Batch>> {
        loop {
            // Hand out everything up to the last newline once there is enough of it, or at EOF.
            let have_line = self.last_newline();
            let enough = self.pending.len() >= BATCH_BYTES || self.drained;
            if (enough && have_line.is_some()) || self.eof {
                let cut = if self.eof {
                    self.pending.len()
                } else {
                    have_line.map_or(0, |i| i + 1)
                };
                if cut == 0 && self.eof {
                    return Ok(None);
                }
                let bytes = self.take_pending(cut);
                let mut batch = Batch {
                    consumed: bytes.len() as u64,
                    bytes,
                    items: Vec::new(),
                };
                let mut start = 0;
                if self.discarding {
                    // The end of an over-long line reported before.
                    self.discarding = false;
                    start = memchr(b'\n', &batch.bytes).map_or(batch.bytes.len(), |i| i + 1);
                    self.line += u64::from(start > 0 && batch.bytes[start - 1] == b'\n');
                }
                self.line = split_lines(
                    &batch.bytes,
                    start,
                    self.line,
                    self.max_record,
                    &mut batch.items,
                );
                return Ok(Some(batch));
            }
            // (One byte more than the cap may be the `\r` of a CRLF line end still to come.)
            if have_line.is_none() && self.pending.len() > self.max_record + 1 {
                // One line longer than the cap: report it and drop it up to its newline.
                let line = self.line;
                self.untracked = true;
                self.pending.clear();
                self.forget_newlines();
                self.discarding = true;
                self.skip_to_newline()?;
                return Ok(Some(Batch {
                    bytes: Vec::new(),
                    items: vec![Item::record_too_long(line, self.max_record)],
                    consumed: 0,
                }));
            }
            self.fill()?;
        }
    }

    /// Drops input up to the next newline, which is kept in `pending` for the line count.
    fn skip_to_newline(&mut self) -> io::Result<()> {
        let mut chunk = Vec::with_capacity(64 << 10);
        loop {
            chunk.clear();
            let n = match (&mut self.inner).take(64 << 10).read_to_end(&mut chunk) {
                Ok(n) => n,
                Err(e) => {
                    self.failed = Some(e);
                    0
                }
            };
            if n == 0 {
                self.eof = true;
                self.discarding = false;
                self.line += 1;
                return Ok(());
            }
            let newline = memchr(b'\n', &chunk);
            self.work += newline.map_or(n, |i| i + 1) as u64;
            if let Some(i) = newline {
                self.pending.clear();
                self.pending.extend_from_slice(&chunk[i..]);
                self.forget_newlines();
                return Ok(());
            }
        }
    }

    /// Array and concatenated layouts: scan for value boundaries.
    fn next_scanned(&mut self, array: bool) -> io::Result<Option<Batch>> {
        let mut items: Vec<(usize, usize, u64)> = Vec::new();
        let mut errors: Vec<(usize, Item)> = Vec::new();
        loop {
            self.scan_pending(array, &mut items, &mut errors);
            let cut = match self.scan.record {
                Some((start, _)) => start,
                None => self.scan.pos,
            };
            if self.scan.skipping {
                // Still inside the over-long record (no other can have started): drop what was
                // scanned of it.
                self.work += (self.pending.len() - self.scan.pos) as u64;
                self.pending.drain(..self.scan.pos);
                self.scan.string_at = 0;
                self.scan.plain_until = 0;
                self.scan.pos = 0;
                self.scan.record = self.scan.record.map(|(_, line)| (0, line));
                if !self.fill()? {
                    // Unterminated at the end of the input: already reported.
                    self.scan.record = None;
                    self.scan.skipping = false;
                }
                continue;
            }
            let too_long = self
                .scan
                .record
                .filter(|&(start, _)| self.scan.pos - start > self.max_record);
            if let Some((start, line)) = too_long {
                errors.push((items.len(), Item::record_too_long(line, self.max_record)));
                // The records before this one are complete: hand them out with their bytes. The
                // over-long one is scanned on to its end (through its strings and escapes), its
                // bytes dropped as they go, and reading resumes after it.
                self.scan.record = None;
                // Everything read of it is scanned: drop it before the batch is cut, so that it
                // is not copied.
                self.pending.truncate(start);
                self.scan.pos = start;
                let batch = self.make_batch(start, items, errors);
                self.untracked = true;
                self.scan.record = Some((0, line));
                self.scan.skipping = true;
                return Ok(Some(batch));
            }
            if ((cut >= BATCH_BYTES || self.drained) && !items.is_empty())
                || (self.eof && self.scan.pos >= self.pending.len())
            {
                if self.eof {
                    if let Some((start, line)) = self.scan.record.take() {
                        // An unterminated record at the end: hand it out to be reported (as
                        // the one error of an array cut off inside it).
                        items.push((start, self.pending.len(), line));
                        self.scan.in_array = false;
                    } else if array && self.scan.in_array {
                        // Every element is complete but the `]` never came: the input may have
                        // been cut off after an element, so say so rather than end quietly.
                        errors.push((
                            items.len(),
                            Item::invalid(
                                self.scan.pos_line,
                                "the array of events ends without `]`: the input may be cut \
                                 off after its last complete element"
                                    .to_string(),
                            ),
                        ));
                        self.scan.in_array = false;
                    }
                    let all = self.pending.len();
                    if items.is_empty() && errors.is_empty() {
                        self.pending.clear();
                        self.scan.pos = 0;
                        return Ok(None);
                    }
                    return Ok(Some(self.make_batch(all, items, errors)));
                }
                return Ok(Some(self.make_batch(cut, items, errors)));
            }
            self.fill()?;
        }
    }

    fn make_batch(
        &mut self,
        cut: usize,
        items: Vec<(usize, usize, u64)>,
        errors: Vec<(usize, Item)>,
    ) -> Batch {
        let bytes = self.take_pending(cut.min(self.pending.len()));
        self.scan.pos -= cut.min(self.scan.pos);
        self.scan.string_at = self.scan.string_at.saturating_sub(cut);
        self.scan.plain_until = self.scan.plain_until.saturating_sub(cut);
        if let Some((start, line)) = self.scan.record {
            self.scan.record = Some((start - cut, line));
        }
        let mut out = Vec::with_capacity(items.len() + errors.len());
        let mut errors = errors.into_iter().peekable();
        for (i, (start, end, line)) in items.into_iter().enumerate() {
            while errors.peek().is_some_and(|(at, _)| *at <= i) {
                out.extend(errors.next().map(|(_, e)| e));
            }
            out.push(Item::Record { start, end, line });
        }
        out.extend(errors.map(|(_, e)| e));
        Batch {
            consumed: bytes.len() as u64,
            bytes,
            items: out,
        }
    }

    /// Advances the scanner over `pending`, collecting complete records.
    fn scan_pending(
        &mut self,
        array: bool,
        items: &mut Vec<(usize, usize, u64)>,
        errors: &mut Vec<(usize, Item)>,
    ) {
        let eof = self.eof;
        let s = &mut self.scan;
        let buf = &self.pending;
        let max_record = self.max_record;
        macro_rules! found {
            () => {
                Found {
                    items: &mut *items,
                    errors: &mut *errors,
                    max_record,
                }
            };
        }
        self.work += (buf.len() - s.pos) as u64;
        while s.pos < buf.len() {
            if s.in_string && !s.escape && s.record.is_some() {
                // Inside a string only a quote, a backslash or a newline (for the line count)
                // matters: skip to the next one.
                match memchr::memchr3(b'"', b'\\', b'\n', &buf[s.pos..]) {
                    Some(i) => s.pos += i,
                    None => {
                        s.pos = buf.len();
                        break;
                    }
                }
            }
            let b = buf[s.pos];
            let at = s.pos;
            s.pos += 1;
            if b == b'\n' {
                s.pos_line += 1;
            }
            match s.record {
                None => {
                    if b.is_ascii_whitespace() {
                        continue;
                    }
                    if array && !s.in_array {
                        if b == b'[' {
                            s.in_array = true;
                            s.sep = Some(Sep::Open);
                        } else if buf[at..].starts_with("\u{feff}".as_bytes()) {
                            // Arrays joined from files that each start with a byte order mark:
                            // the mark is reported and skipped, and the next array read.
                            errors.push((
                                items.len(),
                                Item::invalid(
                                    s.pos_line,
                                    "a byte order mark (U+FEFF) before an array, as when files \
                                     that each start with one are joined (`cat a b`): skipped"
                                        .to_string(),
                                ),
                            ));
                            s.pos = at + 3;
                        } else {
                            errors.push((
                                items.len(),
                                Item::invalid(
                                    s.pos_line,
                                    if b.is_ascii_graphic() {
                                        format!(
                                            "expected `[` to start an array of events, found \
                                             `{}`",
                                            b as char
                                        )
                                    } else {
                                        format!(
                                            "expected `[` to start an array of events, found the \
                                             byte 0x{b:02X}"
                                        )
                                    },
                                ),
                            ));
                            // Treat the rest as concatenated values.
                            s.in_array = true;
                            s.start_record(b, at);
                        }
                        continue;
                    }
                    // The separators of an array are checked (`[a,,b]`, `[a b]`, `[a,]` are
                    // reported) but do not stop its elements from being read.
                    let misplaced = match (s.sep, b) {
                        (Some(Sep::Open | Sep::Comma), b',') => {
                            Some("a `,` where an element should be")
                        }
                        (Some(Sep::Comma), b']') => {
                            Some("a `,` before the `]` that ends the array")
                        }
                        (Some(Sep::Element), b) if b != b',' && b != b']' => {
                            Some("a `,` missing between two elements of the array")
                        }
                        _ => None,
                    };
                    if let Some(what) = misplaced {
                        errors.push((items.len(), Item::invalid(s.pos_line, what.to_string())));
                    }
                    if array && b == b',' {
                        s.sep = s.sep.map(|_| Sep::Comma);
                        continue;
                    }
                    if array && b == b']' {
                        s.in_array = false;
                        s.sep = None;
                        continue;
                    }
                    s.start_record(b, at);
                }
                Some((start, line)) => {
                    if s.in_string {
                        if b == b'\n' {
                            // A line end cannot be in a JSON string: the string was left open.
                            // It ends there (the record is malformed, and reported), and the
                            // record goes on, so that its other members on the next lines stay
                            // in it rather than being read as records of their own.
                            s.in_string = false;
                            s.escape = false;
                            s.last = b'"';
                            if s.depth == 0 {
                                // A string that is the record: it ends there.
                                s.end_record(found!(), start, at, line);
                                s.sep = s.sep.map(|_| Sep::Comma);
                            }
                        } else if s.escape {
                            s.escape = false;
                        } else if b == b'\\' {
                            s.escape = true;
                        } else if b == b'"' {
                            if s.pos == buf.len() && !eof {
                                // What follows the quote decides what it is: read on first.
                                s.pos = at;
                                break;
                            }
                            if buf.get(s.pos).is_some_and(|c| {
                                !matches!(
                                    c,
                                    b' ' | b'\t' | b'\r' | b'\n' | b':' | b',' | b'}' | b']'
                                )
                            }) {
                                // A string can only be followed by whitespace, `:`, `,` or a
                                // closer: this quote opens one, and the string before it on the
                                // line was left open. Its bytes are scanned again as if outside it (their
                                // quotes as ordinary bytes), so that the brackets and commas in
                                // them count: on an array written on one line, `{"a":"x},{"b":1}`
                                // is a malformed element and the next one, not one record.
                                // Each byte is scanned again at most once: the next string
                                // opens at this quote.
                                if s.depth > 0 && s.string_at < at {
                                    s.in_string = false;
                                    s.escape = false;
                                    s.last = b'"';
                                    s.plain_until = at;
                                    s.pos = s.string_at + 1;
                                }
                                continue;
                            }
                            s.in_string = false;
                            s.last = b'"';
                            if s.depth == 0 {
                                s.end_record(found!(), start, s.pos, line);
                            }
                        }
                        continue;
                    }
                    if s.scalar {
                        let ends = b.is_ascii_whitespace()
                            || matches!(b, b',' | b']' | b'[' | b'{' | b'"');
                        if ends {
                            s.end_record(found!(), start, at, line);
                            // Re-read the delimiter outside the record.
                            s.pos = at;
                            if b == b'\n' {
                                s.pos_line -= 1;
                            }
                        }
                        continue;
                    }
                    match b {
                        b'"' if at >= s.plain_until => {
                            s.in_string = true;
                            s.string_at = at;
                        }
                        b'{' | b'[' => {
                            if s.depth <= 64 && s.kinds & 1 == 1 && s.last != b':' {
                                // In an object a container can only be a member's value: this
                                // one starts the next record, and the current one is malformed
                                // (a `}` is missing).
                                s.end_record(found!(), start, at, line);
                                // Its `,` may be inside the broken record: not reported again.
                                s.sep = s.sep.map(|_| Sep::Comma);
                                s.start_record(b, at);
                                continue;
                            }
                            s.open(b);
                        }
                        b'}' | b']' => {
                            // A closer of the wrong kind makes the record malformed (and
                            // reported); it is counted as the closer of the innermost container
                            // all the same, so that the record ends where its brackets balance
                            // and the records after it are read, on its line too (an array
                            // written on one line).
                            if s.depth == 0 {
                                // Nothing is open (a string record whose quotes were paired
                                // wrongly): the closer ends the malformed record.
                                s.end_record(found!(), start, s.pos, line);
                                continue;
                            }
                            if s.depth <= 64 {
                                s.kinds >>= 1;
                            }
                            s.depth -= 1;
                            if s.depth == 0 {
                                s.end_record(found!(), start, s.pos, line);
                            }
                        }
                        _ => {}
                    }
                    if !b.is_ascii_whitespace() {
                        s.last = b;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Items = Vec<(u64, Result<String, String>)>;

    /// What a reader hands out, batch after batch: `(line, Ok(record bytes) or Err(message))`,
    /// and the read error that ended it, if any.
    fn read_until_error<R: Read>(mut r: RecordReader<R>) -> (Items, Option<io::Error>) {
        let mut out = Vec::new();
        loop {
            let batch = match r.next_batch() {
                Ok(Some(b)) => b,
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            };
            for item in &batch.items {
                match item {
                    Item::Record { line, .. } => {
                        let bytes = batch.record(item).expect("record bytes");
                        out.push((*line, Ok(String::from_utf8_lossy(bytes).into_owned())));
                    }
                    Item::Error { line, diagnostic } => {
                        out.push((*line, Err(diagnostic.message.clone())))
                    }
                }
            }
        }
    }

    fn read_all<R: Read>(r: RecordReader<R>) -> Items {
        let (items, error) = read_until_error(r);
        assert!(error.is_none(), "{error:?}");
        items
    }

    /// Gives `data` in small reads, then fails.
    struct Broken {
        data: Vec<u8>,
        pos: usize,
    }

    impl Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pos >= self.data.len() {
                return Err(io::Error::other("the input broke"));
            }
            let n = buf.len().min(self.data.len() - self.pos).min(1000);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn broken(data: &str) -> RecordReader<Broken> {
        RecordReader::new(Broken {
            data: data.as_bytes().to_vec(),
            pos: 0,
        })
    }

    #[test]
    fn read_error_comes_after_the_records_read_before_it() {
        let (items, error) = read_until_error(broken("{\"a\":1}\n\n{\"a\":2}\n{\"a\":"));
        assert_eq!(
            items,
            vec![
                (1, Ok("{\"a\":1}".to_string())),
                (3, Ok("{\"a\":2}".to_string())),
                (4, Ok("{\"a\":".to_string())),
            ]
        );
        assert_eq!(
            error.expect("the read error").to_string(),
            "the input broke"
        );

        let (items, error) = read_until_error(broken("[\n{\"a\":1},\n{\"a\":2},\n{\"a\""));
        assert_eq!(
            items,
            vec![
                (2, Ok("{\"a\":1}".to_string())),
                (3, Ok("{\"a\":2}".to_string())),
                (4, Ok("{\"a\"".to_string())),
            ]
        );
        assert!(error.is_some());
    }

    #[test]
    fn read_error_at_the_start_is_returned() {
        let (items, error) = read_until_error(broken(""));
        assert!(items.is_empty());
        assert!(error.is_some());
    }

    #[test]
    fn read_error_is_returned_once() {
        let mut r = broken("{\"a\":1}\n");
        assert!(r.next_batch().expect("a batch").is_some());
        assert!(r.next_batch().is_err());
        assert!(r.next_batch().expect("the end").is_none());
    }

    fn capped(input: &[u8], cap: usize) -> RecordReader<&[u8]> {
        let mut r = RecordReader::new(input);
        r.max_record = cap;
        r
    }

    fn layout_of(input: &str) -> Layout {
        let mut r = RecordReader::new(input.as_bytes());
        r.next_batch().expect("read");
        r.layout().expect("a layout")
    }

    #[test]
    fn layout_is_detected_from_the_first_lines() {
        assert_eq!(layout_of("{\"a\":1}\n{\"a\":2}\n"), Layout::Ndjson);
        assert_eq!(layout_of("\n  {\"a\":1}  "), Layout::Ndjson);
        assert_eq!(layout_of(" [{\"a\":1}]"), Layout::Array);
        assert_eq!(
            layout_of("{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n"),
            Layout::Concatenated
        );
        assert_eq!(layout_of("{\"a\":1}{\"a\":2}"), Layout::Ndjson);
        // Pretty-printed, with small objects on one line inside.
        let pretty =
            "{\n  \"data\": {\"x\": 1},\n  \"list\": [\n    {\"y\": 2},\n    {\"z\": 3}\n  ]\n}\n";
        assert_eq!(layout_of(pretty), Layout::Concatenated);
    }

    #[test]
    fn ndjson_with_a_damaged_first_line_is_still_ndjson() {
        // Cut at the front, as by `tail -c`.
        let input = "e\":\"x\"}}\n{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n";
        assert_eq!(layout_of(input), Layout::Ndjson);
        let items = read_all(RecordReader::new(input.as_bytes()));
        assert_eq!(items.len(), 4);
        assert_eq!(items[0], (1, Ok("e\":\"x\"}}".to_string())));
        assert_eq!(items[3], (4, Ok("{\"a\":3}".to_string())));
        // Cut at the end of the first line, or a header line before the records.
        assert_eq!(
            layout_of("{\"a\":\n{\"a\":1}\n\n{\"a\":2}\n"),
            Layout::Ndjson
        );
        assert_eq!(layout_of("events\n{\"a\":1}\n"), Layout::Ndjson);
        // One line after the damaged one is enough; a minority of objects is not.
        assert_eq!(layout_of("{\"a\":\n{\"a\":1}"), Layout::Ndjson);
        assert_eq!(layout_of("x\ny\n{\"a\":1}\nz\n"), Layout::Concatenated);
    }

    #[test]
    fn text_that_is_not_json_is_one_error() {
        for (input, first) in [
            (
                "dateTime,action\n2023-01-01,Create\n2023-01-02,Delete\n",
                "dateTime,action",
            ),
            ("hello world", "hello world"),
            ("  \"quoted\"\n42\n", "\"quoted\""),
            ("Name:\tState\n", "Name: State"),
        ] {
            let mut r = RecordReader::new(input.as_bytes());
            let e = r.next_batch().expect_err(input);
            assert_eq!(e.kind(), io::ErrorKind::InvalidData);
            assert_eq!(
                e.to_string(),
                format!(
                    "not JSON events: no `{{` in the first lines, which start `{first}`; events \
                     are read as NDJSON, a JSON array or JSON objects one after another"
                ),
            );
        }
        let long = format!("{}\n", "x".repeat(100));
        let e = RecordReader::new(long.as_bytes())
            .next_batch()
            .expect_err("long");
        assert!(
            e.to_string().contains(&format!("`{}…`", "x".repeat(40))),
            "{e}"
        );
        // A `{` among what was read: read, the rest reported record by record. Pretty-printed
        // events cut at the front (`tail -n +5`), NDJSON whose first lines lost their start.
        let cut_ndjson = format!(
            "{}{{\"a\":1}}\n",
            "ion\": \"Create\", \"n\": 0}\n".repeat(DETECT_LINES + 1)
        );
        for input in [
            "x\n{\n\"a\":1}\n",
            "x\ny\n{\"a\":1}\nz\n",
            "  \"name\": \"h\",\n    \"id\": 1\n  },\n  \"file\": {\n    \"type\": \"f\"\n  }\n}\n",
            &cut_ndjson,
            "",
        ] {
            let items = read_all(RecordReader::new(input.as_bytes()));
            assert!(!items.is_empty() || input.is_empty(), "{input}");
        }
        // A first line longer than two batches, cut at the front, with no line after it yet:
        // not refused before a line after it has been seen.
        let first = format!("\"blob\": \"{}\"}}\n", "y".repeat(3 << 20));
        let input = format!("{first}{{\"a\":1}}\n");
        let items = read_all(RecordReader::new(input.as_bytes()));
        assert_eq!(items.len(), 2, "{:?}", items.get(1));
        assert_eq!(items[1], (2, Ok("{\"a\":1}".to_string())));
    }

    #[test]
    fn arrays_joined_with_byte_order_marks_are_all_read() {
        let one = "\u{feff}[\n  {\"a\": 1},\n  {\"a\": 2}\n]\n";
        let items = read_all(RecordReader::new(format!("{one}{one}").as_bytes()));
        assert_eq!(
            items,
            vec![
                (2, Ok("{\"a\": 1}".to_string())),
                (3, Ok("{\"a\": 2}".to_string())),
                (
                    5,
                    Err(
                        "a byte order mark (U+FEFF) before an array, as when files that each \
                         start with one are joined (`cat a b`): skipped"
                            .to_string()
                    )
                ),
                (6, Ok("{\"a\": 1}".to_string())),
                (7, Ok("{\"a\": 2}".to_string())),
            ]
        );
        // Another byte that is not `[` is named by its value.
        let items = read_all(RecordReader::with_layout(
            &b"[{\"a\":1}]\n\x01"[..],
            Layout::Array,
        ));
        assert!(
            items.iter().any(|(_, r)| r
                == &Err("expected `[` to start an array of events, found the byte 0x01".into())),
            "{items:?}"
        );
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let mut r = RecordReader::new("\u{feff}{ \"a\":1}\n{\"a\":2}\n".as_bytes());
        let batch = r.next_batch().expect("read").expect("a batch");
        assert_eq!(r.layout(), Some(Layout::Ndjson));
        assert_eq!(batch.record(&batch.items[0]), Some(&b"{ \"a\":1}"[..]));
        assert_eq!(batch.items.len(), 2);

        let mut r = RecordReader::new("\u{feff}\n[\n{\"a\":1}]".as_bytes());
        let items = {
            let batch = r.next_batch().expect("read").expect("a batch");
            batch.items.clone()
        };
        assert_eq!(r.layout(), Some(Layout::Array));
        assert_eq!(
            items,
            vec![Item::Record {
                start: 3,
                end: 10,
                line: 3
            }]
        );

        let r = RecordReader::with_layout(
            "\u{feff}{\"a\":1}{\"a\":2}".as_bytes(),
            Layout::Concatenated,
        );
        assert_eq!(read_all(r).len(), 2);
        // Only at the very start.
        let items = read_all(RecordReader::new(
            "{\"a\":1}\n\u{feff}{\"a\":2}\n".as_bytes(),
        ));
        assert_eq!(items[1], (2, Ok("\u{feff}{\"a\":2}".to_string())));
    }

    #[test]
    fn oversized_array_element_is_skipped_alone() {
        let big = "x".repeat(2 << 20);
        let input = format!("[{{\"a\":1}},\n{{\"b\":\"{big}\"}},\n{{\"c\":3}}]\n");
        let items = read_all(capped(input.as_bytes(), 100_000));
        assert_eq!(items.len(), 3, "{:?}", &items[..items.len().min(4)]);
        assert_eq!(items[0], (1, Ok("{\"a\":1}".to_string())));
        assert_eq!(items[1].0, 2);
        let message = items[1].1.as_ref().expect_err("an error");
        assert!(message.contains("longer than 100000 bytes"), "{message}");
        assert_eq!(items[2], (3, Ok("{\"c\":3}".to_string())));
    }

    #[test]
    fn a_malformed_element_does_not_swallow_the_records_after_it() {
        let good = "{\"a\":1}";
        // The broken record, on line 3, and where the splitter ends it.
        for (bad, cut) in [
            // A closer of the wrong kind closes the innermost container all the same: the
            // record ends where its brackets balance, or where an object cannot go on.
            ("{\"a\":[1,2},", "{\"a\":[1,2},\n"),
            ("{\"a\":{\"b\":1]},", "{\"a\":{\"b\":1]}"),
            // A string left open ends at the line end; the record goes on.
            ("{\"a\":\"oops},", "{\"a\":\"oops},\n"),
            ("{\"a\":\"oops\\", "{\"a\":\"oops\\\n"),
            // A `}` missing: the record ends where an object cannot go on.
            ("{\"a\":1\n,", "{\"a\":1\n,\n"),
        ] {
            let input = format!("[\n{good},\n{bad}\n{good},\n{good}\n]\n");
            let items = read_all(RecordReader::with_layout(input.as_bytes(), Layout::Array));
            let got: Vec<(u64, &str)> = items
                .iter()
                .map(|(line, r)| (*line, r.as_deref().unwrap_or("error")))
                .collect();
            let after = if bad.contains('\n') { 5 } else { 4 };
            assert_eq!(
                got,
                vec![(2, good), (3, cut), (after, good), (after + 1, good)],
                "{input:?}"
            );
        }
        // Pretty-printed objects one after another: a string left open, a `}` missing.
        for (bad, cut) in [
            ("{\n  \"a\": \"oops\n}", "{\n  \"a\": \"oops\n}"),
            ("{\n  \"a\": {\"b\": 1\n}", "{\n  \"a\": {\"b\": 1\n}\n"),
        ] {
            let input = format!("{bad}\n{{\n  \"a\": 2\n}}\n");
            let items = read_all(RecordReader::with_layout(
                input.as_bytes(),
                Layout::Concatenated,
            ));
            let got: Vec<(u64, &str)> = items
                .iter()
                .map(|(line, r)| (*line, r.as_deref().unwrap_or("error")))
                .collect();
            let last = got.last().copied();
            assert_eq!(got[0], (1, cut), "{input:?}: {got:?}");
            assert_eq!(last, Some((4, "{\n  \"a\": 2\n}")), "{input:?}: {got:?}");
        }
        // A string left open in a pretty-printed element: the members on its next lines stay in
        // the broken record, and none of them is read as an event of its own.
        let input = "[\n  {\n    \"name\": \"abc,\n    \"attr\": {\"hidden\": \"Added\"}\n  },\n  {\n    \"a\": 2\n  }\n]\n";
        let items = read_all(RecordReader::with_layout(input.as_bytes(), Layout::Array));
        let got: Vec<(u64, &str)> = items
            .iter()
            .map(|(line, r)| (*line, r.as_deref().unwrap_or("error")))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    2,
                    "{\n    \"name\": \"abc,\n    \"attr\": {\"hidden\": \"Added\"}\n  }"
                ),
                (6, "{\n    \"a\": 2\n  }")
            ]
        );
        // An array on one line (as a saved API response is): a wrong closer, or a string left
        // open, costs its element alone.
        let elements: Vec<String> = (0..6).map(|n| format!("{{\"n\":{n}}}")).collect();
        for (bad, lost) in [("{\"n\":[2}", vec![2]), ("{\"n\":\"2}", vec![2])] {
            let mut line = elements.clone();
            line[2] = bad.to_string();
            let input = format!("[{}]", line.join(","));
            let items = read_all(RecordReader::with_layout(input.as_bytes(), Layout::Array));
            let read: Vec<&str> = items
                .iter()
                .filter_map(|(_, r)| r.as_deref().ok())
                .collect();
            let kept: Vec<&str> = (0..6)
                .filter(|n| !lost.contains(n))
                .map(|n| elements[n].as_str())
                .collect();
            let well_formed: Vec<&str> = read
                .iter()
                .copied()
                .filter(|r| serde_json::from_str::<serde_json::Value>(r).is_ok())
                .collect();
            assert_eq!(well_formed, kept, "{input}: {items:?}");
            assert_eq!(
                read.len(),
                kept.len() + 1,
                "one malformed record: {items:?}"
            );
        }
        // Valid nesting of every kind, deeper than the 64 levels whose kinds are kept, is one
        // record.
        let deep = format!("{}1{}", "{\"a\":[".repeat(70), "]}".repeat(70));
        let input = format!("[\n{deep},\n{good}\n]\n");
        let items = read_all(RecordReader::new(input.as_bytes()));
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(items[0].1.as_deref(), Ok(deep.as_str()));
    }

    #[test]
    fn misplaced_commas_in_an_array_are_reported_and_every_element_read() {
        let good = "{\"a\":1}";
        for (input, error_line, what) in [
            (
                "[\n{\"a\":1},,\n{\"a\":1}]",
                2,
                "where an element should be",
            ),
            (
                "[,\n{\"a\":1},\n{\"a\":1}]",
                1,
                "where an element should be",
            ),
            (
                "[\n{\"a\":1}\n{\"a\":1}]",
                3,
                "missing between two elements",
            ),
            ("[\n{\"a\":1},\n{\"a\":1},\n]", 4, "before the `]`"),
        ] {
            let items = read_all(RecordReader::new(input.as_bytes()));
            let records: Vec<&str> = items
                .iter()
                .filter_map(|(_, r)| r.as_deref().ok())
                .collect();
            assert_eq!(records, vec![good, good], "{input:?}: {items:?}");
            let errors: Vec<(u64, &str)> = items
                .iter()
                .filter_map(|(l, r)| r.as_ref().err().map(|e| (*l, e.as_str())))
                .collect();
            assert_eq!(errors.len(), 1, "{input:?}: {items:?}");
            assert_eq!(errors[0].0, error_line, "{input:?}: {items:?}");
            assert!(errors[0].1.contains(what), "{input:?}: {items:?}");
        }
        // Well-formed arrays, one after another, empty, pretty: nothing to report.
        for input in [
            "[]",
            "[ ]",
            "[{\"a\":1}]\n[{\"a\":1}, {\"a\":1}]",
            "[\n  {\"a\": 1},\n  {\"a\": 1}\n]\n",
        ] {
            let items = read_all(RecordReader::new(input.as_bytes()));
            assert!(items.iter().all(|(_, r)| r.is_ok()), "{input:?}: {items:?}");
        }
    }

    #[test]
    fn an_array_cut_off_after_an_element_is_reported() {
        // Cut after a comma, after an element, after the `[`: the elements read are handed out,
        // then one error on the last line.
        for (input, records) in [
            ("[{\"a\":1},\n{\"a\":2},", 2),
            ("[{\"a\":1},\n{\"a\":2}\n", 2),
            ("[\n", 0),
        ] {
            let items = read_all(RecordReader::new(input.as_bytes()));
            assert_eq!(items.len(), records + 1, "{input:?}: {items:?}");
            let (line, last) = &items[records];
            let message = last.as_ref().expect_err("an error");
            assert!(message.contains("without `]`"), "{message}");
            assert_eq!(*line, input.matches('\n').count() as u64 + 1, "{input:?}");
        }
        // Closed arrays, one after another or empty, are not reported; a record cut in the
        // middle is reported once, as that record.
        for input in ["[{\"a\":1}]", "[]\n", "[{\"a\":1}]\n[{\"a\":2}]", "[ ]"] {
            let items = read_all(RecordReader::new(input.as_bytes()));
            assert!(items.iter().all(|(_, r)| r.is_ok()), "{input:?}: {items:?}");
        }
        let items = read_all(RecordReader::new("[{\"a\":1},{\"a\":".as_bytes()));
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(items[1].1, Ok("{\"a\":".to_string()));
    }

    /// A record of about `len` bytes whose strings hold everything that could end it early if
    /// strings and escapes were not followed: quotes, backslashes, brackets, braces, newlines
    /// (escaped), commas. Pretty-printed over several lines when `pretty`.
    fn record(n: usize, len: usize, pretty: bool) -> String {
        record_of(n, len, pretty, r#"a\"}]{[,\\\n\"\\"#)
    }

    /// A record of about `len` bytes, its string `unit` repeated.
    fn record_of(n: usize, len: usize, pretty: bool, unit: &str) -> String {
        let pad = unit.repeat(len / unit.len() + 1);
        if pretty {
            format!("{{\n  \"n\": {n},\n  \"list\": [1, \"]\"],\n  \"s\": \"{pad}\"\n}}")
        } else {
            format!("{{\"n\":{n},\"list\":[1,\"]\"],\"s\":\"{pad}\"}}")
        }
    }

    /// An input of `records` in `layout`, and the line where each record starts.
    fn lay_out(layout: Layout, records: &[String]) -> (String, Vec<u64>) {
        let (open, sep, close) = match layout {
            Layout::Ndjson => ("", "\n", "\n"),
            Layout::Array => ("[\n  ", ",\n  ", "\n]\n"),
            _ => ("", "\n", "\n"),
        };
        let mut input = String::from(open);
        let mut lines = Vec::new();
        for (i, r) in records.iter().enumerate() {
            if i > 0 {
                input.push_str(sep);
            }
            lines.push(1 + input.matches('\n').count() as u64);
            input.push_str(r);
        }
        input.push_str(close);
        (input, lines)
    }

    #[test]
    fn over_long_records_are_reported_and_skipped_in_every_layout() {
        const CAP: usize = 1000;
        let layouts = [Layout::Ndjson, Layout::Array, Layout::Concatenated];
        // Just over the cap; over several reads of the input; an object holding a scalar.
        for big_len in [CAP + 10, 300_000] {
            for layout in layouts {
                let pretty = layout == Layout::Concatenated;
                for count in 1..=4 {
                    for big_at in 0..count {
                        // `big_at` first, in the middle, last; and two over-long records in a row.
                        for pair in [false, true] {
                            if pair && big_at + 1 >= count {
                                continue;
                            }
                            let is_big = |i: usize| i == big_at || (pair && i == big_at + 1);
                            let records: Vec<String> = (0..count)
                                .map(|i| record(i, if is_big(i) { big_len } else { 40 }, pretty))
                                .collect();
                            let (input, lines) = lay_out(layout, &records);
                            let case = format!(
                                "{layout:?} {count} records, big at {big_at}, pair {pair}, {big_len}"
                            );
                            let mut reader = capped(input.as_bytes(), CAP);
                            let mut items = Vec::new();
                            while let Some(batch) = reader.next_batch().expect("read") {
                                items.extend(items_of(&batch));
                            }
                            assert_eq!(reader.layout(), Some(layout), "{case}");
                            assert_eq!(items.len(), count, "{case}: {items:?}");
                            for (i, (line, item)) in items.into_iter().enumerate() {
                                assert_eq!(line, lines[i], "{case}: record {i}");
                                match item {
                                    Ok(bytes) => {
                                        assert!(!is_big(i), "{case}: record {i} read");
                                        assert_eq!(bytes, records[i], "{case}: record {i}");
                                    }
                                    Err(message) => {
                                        assert!(is_big(i), "{case}: record {i}: {message}");
                                        assert!(
                                            message.contains("longer than 1000 bytes"),
                                            "{message}"
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `(line, Ok(record bytes) or Err(message))` of each item of a batch.
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

    /// Gives its pieces one per read (a piece longer than the buffer over several reads), as a
    /// slow pipe does.
    struct Pieces(Vec<Vec<u8>>);

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some(next) = self.0.first_mut() else {
                return Ok(0);
            };
            let n = next.len().min(buf.len());
            buf[..n].copy_from_slice(&next[..n]);
            next.drain(..n);
            if next.is_empty() {
                self.0.remove(0);
            }
            Ok(n)
        }
    }

    /// The batches of `pieces`, read live or not, as the items of each.
    fn batches(pieces: &[&str], live: bool) -> Vec<Items> {
        batches_as(pieces, live, None)
    }

    fn batches_as(pieces: &[&str], live: bool, layout: Option<Layout>) -> Vec<Items> {
        let input = Pieces(pieces.iter().map(|p| p.as_bytes().to_vec()).collect());
        let r = match layout {
            Some(l) => RecordReader::with_layout(input, l),
            None => RecordReader::new(input),
        };
        let mut r = r.live(live);
        let mut out = Vec::new();
        while let Some(batch) = r.next_batch().unwrap() {
            out.push(items_of(&batch));
        }
        out
    }

    #[test]
    fn a_string_left_open_costs_its_element_alone_across_reads() {
        // The quote that opens the next element's key is the last byte of a read: what follows
        // it is waited for. Keys that start with other characters than letters count too.
        for key in ["a", "@t", "\u{e9}"] {
            let first = "[{\"n\":0},{\"n\":1,\"p\":\"x},{\"";
            let rest = format!("{key}\":2}},{{\"n\":3}}]\n");
            for live in [false, true] {
                let items: Items = batches(&[first, &rest], live).concat();
                let ok: Vec<&str> = items
                    .iter()
                    .filter_map(|(_, r)| r.as_deref().ok())
                    .filter(|r| serde_json::from_str::<serde_json::Value>(r).is_ok())
                    .collect();
                let second = format!("{{\"{key}\":2}}");
                assert_eq!(ok, ["{\"n\":0}", &second, "{\"n\":3}"], "{items:?}");
                assert_eq!(items.len(), 4, "{items:?}");
            }
        }
    }

    #[test]
    fn live_input_hands_out_each_read_records_at_once_in_every_layout() {
        let rec = |line: u64, text: &str| (line, Ok(text.to_string()));
        // NDJSON: a record cut across reads waits for its end, then goes out with its line.
        let pieces = ["{\"a\":1}\n{\"a\"", ":2}\n", "\n{\"a\":3}\n"];
        assert_eq!(
            batches(&pieces, true),
            [
                vec![rec(1, "{\"a\":1}")],
                vec![rec(2, "{\"a\":2}")],
                vec![rec(4, "{\"a\":3}")],
            ]
        );
        // Not live: one batch of all of it.
        assert_eq!(batches(&pieces, false).len(), 1);
        // An array of records.
        let pieces = ["[{\"a\":1},", "{\"a\":", "2}\n", ",{\"a\":3}]"];
        assert_eq!(
            batches(&pieces, true),
            [
                vec![rec(1, "{\"a\":1}")],
                vec![rec(1, "{\"a\":2}")],
                vec![rec(2, "{\"a\":3}")],
            ]
        );
        // Pretty-printed records one after another (whose layout, when not given, is told from
        // the first lines: live input waits for them).
        let pieces = ["{\n  \"a\": 1\n}\n{\n", "  \"a\": 2\n}\n"];
        let concatenated = Some(Layout::Concatenated);
        assert_eq!(
            batches_as(&pieces, true, concatenated),
            [
                vec![rec(1, "{\n  \"a\": 1\n}")],
                vec![rec(4, "{\n  \"a\": 2\n}")],
            ]
        );
        assert_eq!(batches_as(&pieces, false, concatenated).len(), 1);
        assert_eq!(batches(&pieces, true).len(), 1);
    }

    /// Counts the bytes and calls that go through it.
    struct Counting<R> {
        inner: R,
        bytes: u64,
        calls: u64,
    }

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.bytes += n as u64;
            self.calls += 1;
            Ok(n)
        }
    }

    /// The reader's work on an input of three records, the middle one of about `size` bytes:
    /// bytes searched, scanned or copied, and the calls to read the input.
    fn work(layout: Layout, size: usize, cap: usize) -> (u64, u64) {
        let pretty = layout == Layout::Concatenated;
        // A text file's content, with an escape now and then.
        let unit = format!("{}\\n\\\"{}\\\\", "x".repeat(500), "y".repeat(500));
        let records: Vec<String> = (0..3)
            .map(|i| record_of(i, if i == 1 { size } else { 40 }, pretty, &unit))
            .collect();
        let (input, _) = lay_out(layout, &records);
        let mut reader = RecordReader::new(Counting {
            inner: input.as_bytes(),
            bytes: 0,
            calls: 0,
        });
        reader.max_record = cap;
        let mut records = 0;
        while let Some(batch) = reader.next_batch().expect("read") {
            records += batch.items.len();
        }
        assert_eq!(records, 3);
        assert_eq!(reader.layout(), Some(layout));
        assert_eq!(reader.inner.bytes, input.len() as u64);
        (reader.work, reader.inner.calls)
    }

    #[test]
    fn a_long_blank_start_costs_linear_work_and_no_memory() {
        let read = |blank: &str, n: usize| {
            let input = format!("{}{{\"a\":1}}\n{{\"a\":2}}\n", blank.repeat(n));
            let mut reader = RecordReader::new(input.as_bytes());
            let mut items = Vec::new();
            let mut most = 0;
            while let Some(batch) = reader.next_batch().expect("read") {
                most = most.max(reader.pending.capacity());
                items.extend(items_of(&batch));
            }
            (items, reader.work, most)
        };
        for blank in [" ", "\n"] {
            let (items, small, _) = read(blank, 2 << 20);
            let (big, large, most) = read(blank, 8 << 20);
            let line = if blank == "\n" { (8 << 20) + 1 } else { 1 };
            assert_eq!(big[0].0, line);
            // The spaces on its line are the record's, as written.
            assert_eq!(big[0].1.as_deref().map(str::trim_start), Ok("{\"a\":1}"));
            assert_eq!(items.len(), 2);
            assert!(large * 2 <= small * 9, "{blank:?}: {small} then {large}");
            if blank == "\n" {
                assert!(most < 4 * BATCH_BYTES, "{blank:?}: {most} bytes held");
            }
        }
    }

    #[test]
    fn work_is_linear_in_the_size_of_a_record() {
        // Records of S and 4S bytes (S = 2 MiB: two batches and many reads), under the
        // cap and over it: four times the bytes is at most about four times the work.
        const S: usize = 2 << 20;
        for layout in [Layout::Ndjson, Layout::Array, Layout::Concatenated] {
            for cap in [MAX_RECORD_BYTES, S / 2] {
                let (small, small_calls) = work(layout, S, cap);
                let (large, large_calls) = work(layout, 4 * S, cap);
                let case = format!("{layout:?}, cap {cap}: {small} then {large}");
                assert!(small >= S as u64, "{case}");
                assert!(large * 2 <= small * 9, "{case}");
                // Reads: a few per 64 KiB read (the standard library's `read_to_end` grows its
                // reads from 8 KiB), however long the record.
                let most = |size: usize| (size / (8 << 10)) as u64 + 64;
                assert!(small_calls <= most(S), "{case}: {small_calls} reads");
                assert!(large_calls <= most(4 * S), "{case}: {large_calls} reads");
            }
        }
    }

    #[test]
    fn resume_point_is_where_the_rest_of_the_input_starts() {
        // Enough lines for a full first batch, then the rest read by a second reader.
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
        let first = reader.next_batch().expect("read").expect("a batch");
        let (offset, line) = reader
            .resume_point()
            .expect("a clean NDJSON reader can resume");
        assert!(offset > 0 && offset < input.len() as u64);
        let rest = RecordReader::with_layout(&input.as_bytes()[offset as usize..], Layout::Ndjson);
        let mut all = first.items.len();
        for (i, (l, record)) in read_all(rest).into_iter().enumerate() {
            assert_eq!((l + line - 1, record), whole[first.items.len() + i]);
            all += 1;
        }
        assert_eq!(all, whole.len());
    }

    #[test]
    fn no_resume_point_for_other_layouts_or_after_trouble() {
        let mut r = RecordReader::new("[{\"a\":1}]".as_bytes());
        r.next_batch().expect("read");
        assert_eq!(r.resume_point(), None);
        let big = "x".repeat(200);
        let input = format!("{{\"b\":\"{big}\"}}\n{{\"c\":3}}\n");
        let mut r = capped(input.as_bytes(), 100);
        while r.next_batch().expect("read").is_some() {}
        assert_eq!(r.resume_point(), None);
    }

    #[test]
    fn codec_is_told_by_the_magic_bytes() {
        assert_eq!(Codec::detect(&[0x1f, 0x8b]), Codec::Gzip);
        assert_eq!(Codec::detect(&[0x28, 0xb5, 0x2f, 0xfd, 0x04]), Codec::Zstd);
        assert_eq!(Codec::detect(&[0x28, 0xb5, 0x2f]), Codec::Plain);
        assert_eq!(Codec::detect(b""), Codec::Plain);
        assert_eq!(Codec::detect(b"[{}]"), Codec::Plain);
        assert_eq!(Codec::detect(b"\xfd7zXZ\x00"), Codec::Xz);
        assert_eq!(Codec::detect(b"BZh91AY"), Codec::Bzip2);
        assert_eq!(Codec::detect(b"BZh"), Codec::Plain);
        assert_eq!(Codec::detect(b"PK\x03\x04"), Codec::Zip);
        assert_eq!(Codec::detect(b"\x04\x22\x4d\x18"), Codec::Lz4);
    }

    #[test]
    fn input_compressed_otherwise_or_binary_is_one_error() {
        for (bytes, codec, command) in [
            (
                &b"\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4F"[..],
                Codec::Xz,
                "xz -dc",
            ),
            (b"BZh91AY&SY", Codec::Bzip2, "bzip2 -dc"),
            (b"PK\x03\x04\x14\x00", Codec::Zip, "unzip -p"),
            (b"\x04\x22\x4d\x18\x64\x40", Codec::Lz4, "lz4 -dc"),
        ] {
            let Err(e) = open(io::Cursor::new(bytes.to_vec())) else {
                panic!("{codec:?} input opened");
            };
            assert_eq!(e.kind(), io::ErrorKind::Unsupported);
            let inner = e.get_ref().and_then(|e| e.downcast_ref::<UnreadInput>());
            assert_eq!(inner, Some(&UnreadInput(Some(codec))));
            let name = codec.name();
            assert_eq!(
                e.to_string(),
                format!(
                    "{name}-compressed input is not supported; decompress it first ({command})"
                )
            );
        }
        for bytes in [
            &b"\x7fELF\x02\x01"[..],
            b"\x89PNG\r\n\x1a\n",
            b"\xfe\xfd{\x00",
        ] {
            let Err(e) = open(io::Cursor::new(bytes.to_vec())) else {
                panic!("{bytes:?} opened");
            };
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{bytes:?}");
            assert!(
                e.to_string().starts_with("binary data, not JSON text"),
                "{e}"
            );
        }
        // Text, with a byte order mark or a character cut at the end of the head: read.
        for text in [
            "\u{feff}{\"a\":1}\n",
            "\t\r\n{\"\u{e9}\u{1F600}\":1}",
            "BZh",
            "PK",
        ] {
            let got = opened(text.as_bytes().to_vec()).expect("read");
            assert_eq!(got, (text.as_bytes().to_vec(), Codec::Plain));
        }
    }

    /// A reader that hands out `{` and then fails, as a pipe whose writer has not written more
    /// yet would block.
    struct OneByteThenStuck(bool);

    impl Read for OneByteThenStuck {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if std::mem::replace(&mut self.0, true) {
                return Err(io::Error::other("read past the first byte"));
            }
            buf[0] = b'{';
            Ok(1)
        }
    }

    #[test]
    fn the_codec_of_json_is_told_from_its_first_byte() {
        let (_, codec) = open_detected(OneByteThenStuck(false)).expect("open");
        assert_eq!(codec, Codec::Plain);
    }

    fn opened(bytes: Vec<u8>) -> io::Result<(Vec<u8>, Codec)> {
        let (mut input, codec) = open_detected(io::Cursor::new(bytes))?;
        let mut out = Vec::new();
        input.read_to_end(&mut out)?;
        Ok((out, codec))
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn compressed_input_must_decompress_to_text() {
        use std::io::Write;
        let gzip = |bytes: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).expect("gzip");
            e.finish().expect("gzip")
        };
        let text = b"{\"a\":1}\n";
        assert_eq!(
            opened(gzip(text)).expect("read"),
            (text.to_vec(), Codec::Gzip)
        );
        // Shorter than the head that is checked, and empty: text.
        assert_eq!(opened(gzip(b"{}")).expect("read").0, b"{}");
        assert_eq!(opened(gzip(b"")).expect("read").0, b"");
        // Compressed twice, random bytes, UTF-16: refused at once, each saying why, rather than
        // read as records.
        for (inner, says) in [
            (gzip(text), "is gzip-compressed too"),
            ((0..=255u8).rev().collect(), "gzip-compressed binary data"),
            (
                b"\xff\xfe{\x00\"\x00a\x00".to_vec(),
                "gzip-compressed UTF-16 text (little-endian)",
            ),
        ] {
            let Err(e) = open_detected(io::Cursor::new(gzip(&inner))) else {
                panic!("opened: {says}");
            };
            assert_eq!(e.kind(), io::ErrorKind::InvalidData);
            assert!(e.to_string().contains(says), "{e}");
        }
    }

    #[test]
    fn utf16_input_is_refused_with_how_to_convert_it() {
        let text = "{\"a\":1}\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let bom = |order: [u8; 2], rest: &[u8]| [&order[..], rest].concat();
        for (bytes, says) in [
            (le.clone(), "UTF-16 text (little-endian), not UTF-8"),
            (be.clone(), "UTF-16 text (big-endian), not UTF-8"),
            (bom([0xff, 0xfe], &le), "(`iconv -f UTF-16 -t UTF-8`)"),
            (bom([0xfe, 0xff], &be), "(`iconv -f UTF-16 -t UTF-8`)"),
            (
                "\t{}".encode_utf16().flat_map(u16::to_le_bytes).collect(),
                "UTF-16 text (little-endian)",
            ),
            (
                "\u{feff}{}"
                    .chars()
                    .flat_map(|c| (c as u32).to_le_bytes())
                    .collect(),
                "UTF-32 text, not UTF-8: JSON text is read as UTF-8; convert it first \
                 (`iconv -f UTF-32 -t UTF-8`)",
            ),
            (
                "{}".chars()
                    .flat_map(|c| (c as u32).to_le_bytes())
                    .collect(),
                "(`iconv -f UTF-32LE -t UTF-8`)",
            ),
        ] {
            let Err(e) = open_detected(io::Cursor::new(bytes)) else {
                panic!("opened: {says}");
            };
            assert_eq!(e.kind(), io::ErrorKind::InvalidData);
            assert!(e.to_string().contains(says), "{e}");
        }
        // Other binary data keeps the general message.
        let Err(e) = open_detected(io::Cursor::new(vec![0u8, 1, 2, 3, 4, 5])) else {
            panic!("opened binary data");
        };
        assert!(
            e.to_string().starts_with("binary data, not JSON text"),
            "{e}"
        );
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn compressed_data_cut_off_or_followed_by_other_bytes_says_so() {
        use std::io::Write;
        let text = b"{\"a\":1}\n{\"a\":2}\n";
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text).expect("gzip");
        let gz = e.finish().expect("gzip");
        let read = |bytes: Vec<u8>| {
            let (mut input, _) = open_detected(io::Cursor::new(bytes)).expect("open");
            let mut out = Vec::new();
            let e = input.read_to_end(&mut out).expect_err("an error");
            (out, e)
        };
        // Bytes after the end of the gzip data: everything before them is read, however little.
        let (out, trailing) = read([&gz[..], b"trailing garbage\n"].concat());
        assert_eq!(out, text);
        let mut e2 = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e2.write_all(b"{}\n").expect("gzip");
        let tiny = e2.finish().expect("gzip");
        let (out, e) = read([&tiny[..], b"junk\n"].concat());
        assert_eq!(out, b"{}\n");
        assert!(e.to_string().starts_with("the file goes on"), "{e}");
        // Zero bytes after the gzip data (padding, as tape archives write) are ignored, as
        // `gzip` does; after them, other bytes are not.
        for bytes in [
            [&gz[..], &[0u8; 1000][..]].concat(),
            [&gz[..], &[0u8; 3][..], &gz[..]].concat(),
        ] {
            let (mut input, _) = open_detected(io::Cursor::new(bytes)).expect("open");
            let mut out = Vec::new();
            input.read_to_end(&mut out).expect("read");
            assert!(out == text || out == [&text[..], &text[..]].concat());
        }
        let (_, e) = read([&gz[..], &[0u8; 3][..], b"x"].concat());
        assert!(e.to_string().starts_with("the file goes on"), "{e}");
        assert!(
            trailing.to_string().starts_with(
                "the file goes on after the end of its gzip data with bytes that are not gzip; \
                 the 16 bytes decompressed before them were read"
            ),
            "{trailing}"
        );
        // Cut off: said to be cut off, as an unexpected end.
        let (out, e) = read(gz[..gz.len() - 12].to_vec());
        assert!(text.starts_with(&out));
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert!(
            e.to_string()
                .starts_with("the gzip data ends early, after "),
            "{e}"
        );
        assert!(e.to_string().contains("the file may be cut off"), "{e}");
        // A damaged first header: damaged, not followed by other bytes.
        let mut header = gz.clone();
        header[2] = 7;
        let Err(e) = open_detected(io::Cursor::new(header)) else {
            panic!("opened a damaged header");
        };
        assert!(
            e.to_string()
                .starts_with("the gzip data is damaged after 0 "),
            "{e}"
        );
        // Damaged in the middle: said to be damaged.
        let mut damaged = gz.clone();
        let n = damaged.len();
        damaged[n - 5] ^= 0xff;
        let (_, e) = read(damaged);
        assert!(
            e.to_string().starts_with("the gzip data is damaged after "),
            "{e}"
        );
    }

    #[cfg(feature = "zstd")]
    #[test]
    fn zstd_data_followed_by_other_bytes_says_so() {
        let text = b"{\"a\":1}\n";
        let zst = zstd::encode_all(&text[..], 1).expect("zstd");
        let (mut input, _) =
            open_detected(io::Cursor::new([&zst[..], b"junkjunk"].concat())).expect("open");
        let mut out = Vec::new();
        let e = input.read_to_end(&mut out).expect_err("an error");
        assert_eq!(out, text);
        assert!(
            e.to_string()
                .starts_with("the file goes on after the end of its zstd data with bytes"),
            "{e}"
        );
        // Cut off: the error comes from opening (which decompresses the first bytes) or from
        // reading, as the frame's blocks go.
        let cut = zst[..zst.len() - 3].to_vec();
        let e = match open_detected(io::Cursor::new(cut)) {
            Ok((mut input, _)) => input.read_to_end(&mut Vec::new()).expect_err("an error"),
            Err(e) => e,
        };
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert!(e.to_string().starts_with("the zstd data ends early"), "{e}");
    }

    #[test]
    fn short_plain_input_is_read_whole() {
        for text in ["", "{", "{}\n", "{\"a\":1}\n"] {
            let got = opened(text.as_bytes().to_vec()).expect("read");
            assert_eq!(got, (text.as_bytes().to_vec(), Codec::Plain));
        }
    }

    #[cfg(feature = "zstd")]
    #[test]
    fn zstd_frames_are_read_one_after_another() {
        let text = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n";
        let mut bytes = Vec::new();
        for part in [&text[..5], &text[5..20], &text[20..]] {
            bytes.extend(zstd::encode_all(part.as_bytes(), 1).expect("zstd"));
        }
        let got = opened(bytes.clone()).expect("read");
        assert_eq!(got, (text.as_bytes().to_vec(), Codec::Zstd));
        // A skippable frame first (as `pzstd` writes), or between frames, is skipped.
        for magic in [0x184d_2a50u32, 0x184d_2a5f] {
            let mut framed = magic.to_le_bytes().to_vec();
            framed.extend(10u32.to_le_bytes());
            framed.extend(b"0123456789");
            framed.extend(&bytes);
            let got = opened(framed).expect("read");
            assert_eq!(got, (text.as_bytes().to_vec(), Codec::Zstd));
        }
        // A JSON array is still plain text, though `[` (0x5b) starts a skippable frame's magic.
        let got = opened(b"[{\"a\":1}]\n".to_vec()).expect("read");
        assert_eq!(got.1, Codec::Plain);
        // Cut short: an error, not a panic, after what could be read.
        let cut = bytes[..bytes.len() - 3].to_vec();
        let (mut input, _) = open_detected(io::Cursor::new(cut)).expect("open");
        let mut out = Vec::new();
        assert!(input.read_to_end(&mut out).is_err());
        assert!(text.as_bytes().starts_with(&out));
    }

    #[cfg(not(feature = "zstd"))]
    #[test]
    fn zstd_without_the_feature_is_unsupported() {
        let Err(e) = open(io::Cursor::new(vec![0x28, 0xb5, 0x2f, 0xfd, 0])) else {
            panic!("zstd input opened without the feature");
        };
        assert_eq!(e.kind(), io::ErrorKind::Unsupported);
        assert!(e.to_string().contains("feature `zstd`"), "{e}");
    }

    #[test]
    fn an_over_long_first_line_is_not_held_to_tell_the_layout() {
        // The first line is longer than the cap: it is skipped as an over-long record, whatever
        // the layout would have been, and the layout is told without reading it whole.
        let big = "x".repeat(3 << 20);
        let input = format!("{{\"b\":\"{big}\"}}\n{{\"a\":1}}\n{{\"c\":3}}\n");
        let mut r = capped(input.as_bytes(), 100_000);
        let mut items = Vec::new();
        while let Some(batch) = r.next_batch().expect("read") {
            assert!(
                batch.bytes.len() < 1 << 20,
                "{} bytes held",
                batch.bytes.len()
            );
            for item in &batch.items {
                items.push(match item {
                    Item::Record { start, end, line } => (
                        *line,
                        Ok(String::from_utf8_lossy(&batch.bytes[*start..*end]).into()),
                    ),
                    Item::Error { line, diagnostic } => (*line, Err(diagnostic.message.clone())),
                });
            }
        }
        assert_eq!(r.layout, Some(Layout::Ndjson));
        assert_eq!(items.len(), 3, "{:?}", &items[1..]);
        assert!(
            items[0]
                .1
                .as_ref()
                .is_err_and(|m| m.contains("longer than 100000 bytes"))
        );
        assert_eq!(items[1], (2, Ok("{\"a\":1}".to_string())));
        assert_eq!(items[2], (3, Ok("{\"c\":3}".to_string())));
    }

    #[test]
    fn the_cap_does_not_count_the_cr_of_a_crlf_line_end() {
        for end in ["\n", "\r\n"] {
            let input = format!("0123456789{end}0123456789a{end}{{}}{end}");
            let mut r = RecordReader::with_layout(input.as_bytes(), Layout::Ndjson);
            r.max_record = 10;
            let items = read_all(r);
            assert_eq!(items[0], (1, Ok("0123456789".to_string())), "{end:?}");
            assert!(
                items[1]
                    .1
                    .as_ref()
                    .is_err_and(|m| m.contains("longer than 10"))
            );
            assert_eq!(items[2], (3, Ok("{}".to_string())), "{end:?}");
        }
    }

    #[test]
    fn oversized_ndjson_line_is_skipped_alone() {
        let big = "x".repeat(2 << 20);
        let input = format!("{{\"a\":1}}\n{{\"b\":\"{big}\"}}\n{{\"c\":3}}\n");
        let items = read_all(capped(input.as_bytes(), 100_000));
        assert_eq!(items.len(), 3, "{:?}", &items[..items.len().min(4)]);
        assert_eq!(items[0], (1, Ok("{\"a\":1}".to_string())));
        assert_eq!(items[1].0, 2);
        assert!(items[1].1.is_err());
        assert_eq!(items[2], (3, Ok("{\"c\":3}".to_string())));
    }
}
