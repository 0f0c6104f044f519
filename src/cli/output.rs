//! Printing: JSON and text to stdout (a failed write is an error, never a panic), and
//! one-line `defer: ...` messages to stderr with control characters escaped.

use std::io::{self, IsTerminal, Write};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::text;

/// Writes `value` as JSON plus a newline: pretty by default, one line when `compact`.
pub fn json<T: Serialize + ?Sized>(value: &T, compact: bool) -> Result<()> {
    let mut bytes = match compact {
        true => serde_json::to_vec(value)?,
        false => serde_json::to_vec_pretty(value)?,
    };
    bytes.push(b'\n');
    stdout(&bytes)
}

/// Writes `bytes` to stdout and flushes. A full disk or a closed terminal is an error
/// (`writing to stdout: ...`); a closed pipe is one too, and `main` exits quietly on it.
pub fn stdout(bytes: &[u8]) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("writing to stdout")
}

/// Prints `defer: <message>` on stderr as one line (control characters escaped). A
/// failed write to stderr is ignored: there is nowhere left to report it.
pub fn say(message: &str) {
    let line = format!("defer: {}\n", text::escape_control(message));
    let _ = io::stderr().lock().write_all(line.as_bytes());
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

/// How wide a table on stdout may be: on a terminal, `COLUMNS` or the terminal's width;
/// anywhere else (a pipe, a file) no limit: every column, nothing cut.
pub fn table_width(columns: Option<&str>) -> Option<usize> {
    width_for(io::stdout().is_terminal(), columns, terminal_width)
}

fn width_for(
    is_terminal: bool,
    columns: Option<&str>,
    terminal: impl FnOnce() -> Option<usize>,
) -> Option<usize> {
    if !is_terminal {
        return None;
    }
    Some(match columns {
        Some(columns) => crate::view::width(Some(columns)),
        None => terminal().unwrap_or(crate::view::DEFAULT_WIDTH),
    })
}

/// The width of the terminal on stdout, if stdout is one (`COLUMNS` is rarely exported).
pub fn terminal_width() -> Option<usize> {
    let size = rustix::termios::tcgetwinsize(io::stdout()).ok()?;
    (size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_cut_on_a_terminal_only() {
        assert_eq!(width_for(false, Some("60"), || Some(80)), None);
        assert_eq!(width_for(true, Some("60"), || Some(80)), Some(60));
        assert_eq!(width_for(true, None, || Some(80)), Some(80));
        assert_eq!(
            width_for(true, None, || None),
            Some(crate::view::DEFAULT_WIDTH)
        );
    }
}
