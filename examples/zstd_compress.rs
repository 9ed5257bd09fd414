//! Compresses standard input to standard output with zstd (level 3), for the benchmarks of
//! compressed input where the `zstd` tool is not installed.

use std::io;

fn main() -> io::Result<()> {
    zstd::stream::copy_encode(io::stdin().lock(), io::stdout().lock(), 3)
}
