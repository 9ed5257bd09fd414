//! Decompresses gzip files to standard output with the decoder `fimql filter` uses
//! ([`fimql::stream::open_detected`]: flate2 with its zlib-rs backend, over the same read buffer),
//! read in pieces of the size `fimql filter` reads ([`fimql::stream::BATCH_BYTES`]). The
//! benchmarks of compressed input time it alone (`benches/codecs.sh`): the floor under any
//! filtering of gzip input on one thread.
//!
//! ```sh
//! cargo run --release --example gunzip -- part0.ndjson.gz part1.ndjson.gz > /dev/null
//! ```
//!
//! Small reads would time more than the decoder: `io::copy`'s 8 KiB pieces make zlib-rs stop
//! and resume its fast loop every 8 KiB and cost one `write` each, which `fimql filter` does not.

use std::fs::File;
use std::io::{self, Read, Write};

fn main() -> io::Result<()> {
    let mut out = io::stdout().lock();
    let mut buf = vec![0u8; fimql::stream::BATCH_BYTES];
    for path in std::env::args().skip(1) {
        let (mut input, _codec) = fimql::stream::open_detected(File::open(&path)?)?;
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io::Error::new(e.kind(), format!("{path}: {e}"))),
            };
            out.write_all(&buf[..n])?;
        }
    }
    out.flush()
}
