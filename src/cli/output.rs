//! Printing: JSON to stdout (pretty, or one line with `--compact`), warnings to stderr.

use std::io::{self, Write};

use anyhow::Result;
use serde::Serialize;

use crate::store::BadLine;

/// Writes `value` as JSON plus a newline: pretty by default, one line when `compact`.
pub fn json<T: Serialize + ?Sized>(value: &T, compact: bool) -> Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if compact {
        serde_json::to_writer(&mut out, value)?;
    } else {
        serde_json::to_writer_pretty(&mut out, value)?;
    }
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

pub fn warn(message: &str) {
    eprintln!("defer: warning: {message}");
}

/// Information that is not a problem: `defer: note: ...` on stderr.
pub fn note(message: &str) {
    eprintln!("defer: note: {message}");
}

/// Reports each invalid store line once, with its line number.
pub fn bad_lines(store: &std::path::Path, bad: &[BadLine]) {
    for line in bad {
        warn(&format!(
            "{}:{}: not a valid task record, skipped and kept as is ({})",
            store.display(),
            line.line_no,
            line.reason
        ));
    }
}

/// Prints the audit log's warnings, if it had any.
pub fn audit_warnings(audit: &crate::audit::AuditLog) {
    for warning in audit.take_warnings() {
        warn(&warning);
    }
}

/// `defer list | head` closes the pipe early; that is not an error.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|e| e.io_error_kind())
                .is_some_and(|k| k == io::ErrorKind::BrokenPipe)
    })
}

/// The width of the terminal on stdout, if stdout is one (`COLUMNS` is rarely exported).
#[cfg(unix)]
pub fn terminal_width() -> Option<usize> {
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ only writes a `winsize` into the pointer we pass.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(not(unix))]
pub fn terminal_width() -> Option<usize> {
    None
}
