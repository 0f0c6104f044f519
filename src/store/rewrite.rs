//! The atomic rewrite compaction uses: a temp file beside the store, fsynced, renamed
//! over it, the directory fsynced.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, Context, Result};

use super::{Exclusive, Locked};
use crate::safe_fs;

impl Locked<Exclusive> {
    /// Replaces the store with what `fill` writes: a temp file in the same directory,
    /// fsynced, renamed over the store, then the directory fsynced. If `fill` fails,
    /// the store is untouched.
    pub fn rewrite(&self, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        safe_fs::ensure_dir(dir)?;
        let tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
        let mut writer = std::io::BufWriter::with_capacity(256 * 1024, tmp);
        fill(&mut writer)?;
        let tmp = writer.into_inner().map_err(|e| {
            anyhow!(
                "writing a temporary file in {}: {}",
                dir.display(),
                e.error()
            )
        })?;
        tmp.as_file()
            .sync_all()
            .with_context(|| format!("syncing {}", tmp.path().display()))?;
        tmp.persist(&self.file)
            .with_context(|| format!("renaming over {}", self.file.display()))?;
        safe_fs::sync_dir(dir)
    }
}
