//! Appends to the store: snapshots serialised and fsynced in one write, a torn last
//! line closed first, a failed write cut back (rollback), the summary kept current.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, Result};

use super::summary::{self, Identity, Summary};
use super::{Exclusive, Locked};
use crate::safe_fs;
use crate::task::Task;

impl Locked<Exclusive> {
    /// Appends one snapshot per task, fsynced before returning. A torn last line
    /// (no newline) is closed first so it stays a line of its own. A summary that
    /// described the store before is updated to describe it after.
    pub fn append(&self, tasks: &[&Task]) -> Result<()> {
        let mut out = Vec::with_capacity(1024 * tasks.len());
        let mut lines = Vec::with_capacity(tasks.len());
        for task in tasks {
            let start = out.len();
            serde_json::to_writer(&mut out, task)?;
            lines.push((start as u64, (out.len() - start) as u64));
            out.push(b'\n');
        }
        let appended = self.append_raw(&out)?;
        if let (Some(identity), Some(mut summary)) = (appended.after, appended.before) {
            for (task, (start, len)) in tasks.iter().zip(lines) {
                summary.note(task, appended.at + start, len);
            }
            summary::save(&self.file, identity, &summary);
        }
        Ok(())
    }

    /// Appends `bytes` and says where (see `Appended`).
    fn append_raw(&self, bytes: &[u8]) -> Result<Appended> {
        let created = !self.file.exists();
        let mut file = safe_fs::open_rw(&self.file)?;
        let context = || format!("appending to {}", self.file.display());
        let len = file.seek(SeekFrom::End(0)).with_context(context)?;
        let mut before = summary::identity_of(&file)
            .filter(|i| i.file_len() == len)
            .and_then(|i| summary::load(&self.file, i));
        let mut out = Vec::with_capacity(bytes.len() + 1);
        if len > 0 && !ends_with_newline(&mut file, len).with_context(context)? {
            out.push(b'\n');
            before = None;
        }
        out.extend_from_slice(bytes);
        if let Err(e) = file.write_all(&out).and_then(|()| file.sync_data()) {
            return Err(self.roll_back(&file, len, created, e));
        }
        if created {
            safe_fs::sync_dir(self.file.parent().unwrap_or(Path::new(".")))?;
        }
        let after = summary::identity_of(&file).filter(|i| i.file_len() == len + out.len() as u64);
        if before.is_some() && after.is_none() {
            summary::forget(&self.file);
        }
        Ok(Appended {
            at: len,
            after,
            before,
        })
    }

    /// After a failed append (ENOSPC, EFBIG, EIO): cuts the file back to `len`, its
    /// length before, so no partial line stays (a store this append created is
    /// removed), and returns the error to report. The summary needs no care: the store
    /// is byte-identical to what it described, or it changed and the summary is stale.
    fn roll_back(&self, file: &File, len: u64, created: bool, e: std::io::Error) -> anyhow::Error {
        let error = anyhow::Error::new(e).context(format!("appending to {}", self.file.display()));
        let restored = if created {
            std::fs::remove_file(&self.file)
        } else {
            file.set_len(len).and_then(|()| file.sync_data())
        };
        match restored {
            Ok(()) => error,
            Err(again) => error.context(format!(
                "cutting {} back to {len} bytes failed too ({again}); its last line may be torn",
                self.file.display()
            )),
        }
    }
}

/// What `append_raw` did: the offset `bytes` start at, the store's identity after the
/// write and the summary that held before it, when both are known (else the summary
/// is stale for good).
struct Appended {
    at: u64,
    after: Option<Identity>,
    before: Option<Summary>,
}

/// True when the last of a file's `len` (> 0) bytes is a newline; leaves the file at its
/// end. Every append to a JSONL file (the store, an archive month) asks it first, and
/// writes a newline when it is false, so the next line never glues onto a torn one.
pub(crate) fn ends_with_newline(file: &mut File, len: u64) -> std::io::Result<bool> {
    let mut last = [0u8];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    file.seek(SeekFrom::End(0))?;
    Ok(last[0] == b'\n')
}
