//! `defer doctor --format table`: the rows for people, one line each plus an indented
//! `fix:` line under every row that is not `ok`. Control characters are escaped, so
//! nothing in a path or an environment value can forge a row.

use std::io::Write;

use super::Row;
use crate::text;

const HEADERS: [&str; 3] = ["CHECK", "STATUS", "DETAIL"];

pub fn table<W: Write>(out: &mut W, rows: &[Row]) -> std::io::Result<()> {
    let check_width = rows
        .iter()
        .map(|r| r.check.len())
        .chain([HEADERS[0].len()])
        .max()
        .unwrap_or(0);
    let status_width = HEADERS[1].len();
    writeln!(
        out,
        "{:check_width$}  {:status_width$}  {}",
        HEADERS[0], HEADERS[1], HEADERS[2]
    )?;
    for row in rows {
        writeln!(
            out,
            "{:check_width$}  {:status_width$}  {}",
            row.check,
            row.status.name(),
            text::escape_control(&row.detail)
        )?;
        if let Some(fix) = &row.fix {
            let indent = check_width + status_width + 4;
            writeln!(out, "{:indent$}fix: {}", "", text::escape_control(fix))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_fixes() {
        let rows = [
            Row::ok("store", "fine"),
            Row::fail("runtime_dir", "/r\n/x is \u{1b}[31mred", "chmod 700 '/r'"),
        ];
        let mut out = Vec::new();
        table(&mut out, &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "CHECK        STATUS  DETAIL\n\
             store        ok      fine\n\
             runtime_dir  fail    /r\\n/x is \\u{1b}[31mred\n\
             \x20                    fix: chmod 700 '/r'\n"
        );
    }
}
