//! The archive sweep after a run: terminal tasks moved to the archive (the store
//! compacted when small or mostly dead).

use anyhow::Result;

use super::Runner;
use crate::archive;
use crate::store::Scan;

impl Runner<'_> {
    /// Archives terminal tasks if there are any (compacting the store when it is small
    /// or mostly dead, SPEC §18); returns how many moved.
    pub(super) fn sweep(&self, scan: &mut Scan) -> Result<usize> {
        let locked = self.store.write()?;
        locked.catch_up(scan)?;
        if !archive::needed(scan, self.paths) {
            return Ok(0);
        }
        let swept = archive::settle(&locked, scan, self.paths)?;
        drop(locked);
        archive::log(self.audit, &swept, (self.clock)());
        Ok(swept.archived.len())
    }
}
