//! Input that arrives over time: standard input or a named pipe rather than a regular file (say,
//! `tail -f export.ndjson | fimql filter ...`). Such input is read live
//! ([`fimql::stream::RecordReader::live`]): the records read so far are filtered and written as
//! soon as no more input is waiting, instead of after a megabyte of it.

use std::fs::File;
use std::io::{self, Read};
use std::time::{Duration, Instant};

/// Whether `file` is a regular file (if that cannot be told, it is taken to be one: batches stay
/// whole).
pub fn is_regular(file: &File) -> bool {
    file.metadata().map_or(true, |m| m.is_file())
}

/// Whether the input named `name` (`-` for standard input) may arrive over time: standard input
/// or a file that is not a regular one (a named pipe, say).
pub fn may_be_live(name: &str) -> bool {
    name == "-" || std::fs::metadata(name).is_ok_and(|m| !m.is_file())
}

/// Standard input as a [`File`] of its own (a duplicate of its descriptor), read without the
/// buffer of [`io::Stdin`], so that [`Draining`] can tell whether more of it is waiting.
pub fn stdin_file() -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        Ok(File::from(io::stdin().as_fd().try_clone_to_owned()?))
    }
    #[cfg(windows)]
    {
        use std::os::windows::io::AsHandle;
        Ok(File::from(io::stdin().as_handle().try_clone_to_owned()?))
    }
}

/// A pipe read so that a read comes back short only when the writer has paused: after each read,
/// more reads follow while more bytes arrive within [`PAUSE`], for at most [`MAX_WAIT`]. A fast
/// writer (`zcat export.gz | fimql filter ...`) then still fills whole batches, and a slow one
/// (`tail -f`) has each record handed on within a fraction of a second.
pub struct Draining(pub File);

/// How long a writer may pause before the bytes read so far are handed on.
pub const PAUSE: Duration = Duration::from_millis(10);
/// How long one read may keep collecting bytes that trickle in.
pub const MAX_WAIT: Duration = Duration::from_millis(100);

impl Read for Draining {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = self.0.read(buf)?;
        if n == 0 {
            return Ok(0);
        }
        let start = Instant::now();
        while n < buf.len() {
            let left = MAX_WAIT.saturating_sub(start.elapsed());
            if left.is_zero() || !waiting(&self.0, left.min(PAUSE)) {
                break;
            }
            match self.0.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Handed back on the next read, after the bytes read so far.
                Err(_) => break,
            }
        }
        Ok(n)
    }
}

/// Whether bytes (or the end of the input) are ready to be read from `file` within `timeout`.
#[cfg(unix)]
fn waiting(file: &File, timeout: Duration) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let mut fds = [PollFd::new(file, PollFlags::IN)];
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    matches!(rustix::event::poll(&mut fds, Some(&timeout)), Ok(n) if n > 0)
}

/// Without `poll`, every read may be short: records are handed on after each.
#[cfg(not(unix))]
fn waiting(_: &File, _: Duration) -> bool {
    false
}
