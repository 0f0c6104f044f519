//! The sidecar summary as the locked store keeps it: loaded only when it describes the
//! store exactly, saved after a scan or a write it accounts for, else forgotten.

use super::scan::Scan;
use super::summary::{self, Identity, Summary};
use super::{Exclusive, Locked};

impl<M> Locked<M> {
    /// The saved summary, if it describes the store exactly as it is now.
    pub fn summary(&self) -> Option<Summary> {
        self.summary_now().map(|(_, s)| s)
    }

    /// The saved summary with the identity it was checked against.
    pub fn summary_now(&self) -> Option<(Identity, Summary)> {
        let identity = summary::identity(&self.file)?;
        summary::load(&self.file, identity).map(|s| (identity, s))
    }
}

impl Locked<Exclusive> {
    /// Saves the summary of `scan` when it is a full scan of the store exactly as it
    /// is now: nothing written since the scan began, by this process or any other.
    pub fn save_summary(&self, scan: &Scan) {
        let now = summary::identity(&self.file);
        if let Some(identity) =
            now.filter(|i| Some(*i) == scan.identity && i.file_len() == scan.end)
        {
            summary::save(&self.file, identity, &scan.summary());
        }
    }

    /// Saves `summary` as describing the store as it is now, when the store's length is
    /// `end` (what the caller has accounted for); else forgets any summary.
    pub fn save_summary_as(&self, summary: &Summary, end: u64) {
        match summary::identity(&self.file).filter(|i| i.file_len() == end) {
            Some(identity) => summary::save(&self.file, identity, summary),
            None => summary::forget(&self.file),
        }
    }

    /// Saves `summary` for the store as it was when `summary_now` returned
    /// `identity`, if it has not changed since; else forgets any summary.
    pub fn save_summary_for(&self, identity: Identity, summary: &Summary) {
        match summary::identity(&self.file) == Some(identity) {
            true => summary::save(&self.file, identity, summary),
            false => summary::forget(&self.file),
        }
    }

    /// Removes the summary: the next `run` scans.
    pub fn forget_summary(&self) {
        summary::forget(&self.file);
    }
}
