//! Decompresses gzip files to standard output with flate2's zlib-rs backend, the decoder
//! `fimql filter` uses: the benchmarks of compressed input time it alone (`benches/codecs.sh`),
//! the floor under any filtering of gzip input on one decompressing thread.
//!
//! ```sh
//! cargo run --release --example gunzip -- part0.ndjson.gz part1.ndjson.gz > /dev/null
//! ```

use std::fs::File;
use std::io::{self, BufReader};

use flate2::read::MultiGzDecoder;

fn main() -> io::Result<()> {
    let mut out = io::stdout().lock();
    for path in std::env::args().skip(1) {
        let mut d = MultiGzDecoder::new(BufReader::with_capacity(1 << 20, File::open(&path)?));
        io::copy(&mut d, &mut out)?;
    }
    Ok(())
}
