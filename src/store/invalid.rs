//! The one warning about a file's invalid lines, however many there are (SPEC §21):
//! cron mails whatever `run` prints, every minute, and a model reads every MCP block.

use std::path::Path;

use super::BadLine;

/// What to say about the lines of `file` that are not records (`store`: it is the
/// active store, which `defer doctor` examines), or `None` when there are none.
///
/// One line names the file, the line and why; more are counted on one line that
/// names the first: `N invalid store lines (first at line L); see 'defer doctor'`.
pub fn warning(file: &Path, bad: &[BadLine], store: bool) -> Option<String> {
    let first = bad.iter().min_by_key(|b| b.line_no)?;
    let line = first.line_no;
    Some(match (bad.len(), store) {
        (1, _) => format!(
            "{}:{line}: not a valid task record, skipped and kept as is ({})",
            file.display(),
            first.reason
        ),
        (n, true) => format!("{n} invalid store lines (first at line {line}); see 'defer doctor'"),
        (n, false) => format!(
            "{}: {n} invalid lines (first at line {line}), skipped and kept as is",
            file.display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(line_no: usize) -> BadLine {
        BadLine {
            line_no,
            offset: 0,
            reason: format!("reason {line_no}"),
        }
    }

    #[test]
    fn none_one_or_a_count_naming_the_first() {
        let file = Path::new("/r/deferred.jsonl");
        assert_eq!(warning(file, &[], true), None);
        assert_eq!(
            warning(file, &[bad(3)], true).unwrap(),
            "/r/deferred.jsonl:3: not a valid task record, skipped and kept as is (reason 3)"
        );
        let many: Vec<BadLine> = [9, 4, 5000, 7].into_iter().map(bad).collect();
        assert_eq!(
            warning(file, &many, true).unwrap(),
            "4 invalid store lines (first at line 4); see 'defer doctor'"
        );
        assert_eq!(
            warning(Path::new("/a/deferred_202604.jsonl"), &many, false).unwrap(),
            "/a/deferred_202604.jsonl: 4 invalid lines (first at line 4), skipped and kept as is"
        );
    }
}
