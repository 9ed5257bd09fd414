//! Input that arrives over time: standard input or a named pipe rather than a regular file (say,
//! `tail -f export.ndjson | fimql filter ...`). Such input is read live
//! ([`fimql::stream::RecordReader::live`]): the records read so far are filtered and written as
//! soon as no more input is waiting, instead of after a megabyte of it.

use std::fs::File;
use std::io::{self, Read};

/// Whether `file` is a regular file (if that cannot be told, it is taken to be one: batches stay
/// whole).
pub fn is_regular(file: &File) -> bool {
    file.metadata().map_or(true, |m| m.is_file())
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

/// A pipe read so that a read comes back short only when no more input is waiting: after each
/// read, more reads follow while `poll` says there are bytes ready. A fast writer then still fills
/// whole batches, and a slow one has each record handed on as soon as it has arrived.
pub struct Draining(pub File);

impl Read for Draining {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = self.0.read(buf)?;
        if n == 0 {
            return Ok(0);
        }
        while n < buf.len() && waiting(&self.0) {
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

/// Whether bytes (or the end of the input) are ready to be read from `file` at once.
#[cfg(unix)]
fn waiting(file: &File) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let mut fds = [PollFd::new(file, PollFlags::IN)];
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(rustix::event::poll(&mut fds, Some(&now)), Ok(n) if n > 0)
}

/// Without `poll`, every read may be short: records are handed on after each.
#[cfg(not(unix))]
fn waiting(_: &File) -> bool {
    false
}
