//! The runner's side of the executor's report (SPEC §22): a fresh, empty, owner-only
//! `logs/<id>.report.json` before each attempt, read back (checked, bounded) after it.

use std::io::Read;
use std::path::Path;

use anyhow::Result;

use crate::fsx;
use crate::report::{self, Report};

/// Creates (or empties a leftover) report file: mode 0600, never through a symlink,
/// only a regular file of the user's (`fsx::open_truncate`).
pub fn prepare(path: &Path) -> Result<()> {
    let file = fsx::open_truncate(path)?;
    // A leftover keeps its mode through the truncation: owner-only again.
    #[cfg(unix)]
    {
        use anyhow::Context;
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("setting permissions on {}", path.display()))?;
    }
    Ok(())
}

/// The report the executor left: `Ok(None)` for none (an empty file, or no file);
/// `Err` is one line for a warning (unreadable, too large, not a report).
pub fn read(path: &Path) -> Result<Option<Report>, String> {
    let file = match fsx::open_read(path) {
        Ok(Some(file)) => file,
        Ok(None) => return Ok(None),
        Err(e) => return Err(format!("report not read: {e:#}")),
    };
    let mut bytes = Vec::new();
    // One byte past the limit is enough to know it is too large.
    let limit = u64::try_from(report::MAX_BYTES).unwrap_or(u64::MAX) + 1;
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("report not read: {e}"))?;
    if bytes.len() > report::MAX_BYTES {
        return Err(format!(
            "report is larger than {} bytes; not read",
            report::MAX_BYTES
        ));
    }
    report::parse(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_empty_read_back_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/t.report.json");
        assert_eq!(read(&path), Ok(None));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "leftover").unwrap();
        prepare(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        assert_eq!(read(&path), Ok(None));
        std::fs::write(&path, r#"{"status":"retry","retry_at":"5m"}"#).unwrap();
        let report = read(&path).unwrap().unwrap();
        assert_eq!(report.retry_at.as_deref(), Some("5m"));
        std::fs::write(&path, vec![b' '; report::MAX_BYTES + 10]).unwrap();
        assert!(read(&path).unwrap_err().contains("larger than"));
        std::fs::write(&path, "not json").unwrap();
        assert!(read(&path).unwrap_err().starts_with("report is not JSON"));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_neither_emptied_nor_read() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep").unwrap();
        let path = dir.path().join("t.report.json");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        assert!(prepare(&path).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert!(read(&path).is_err());
    }
}
