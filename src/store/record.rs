//! One store line as a record: `parse_record`, and the `Entry` (or `BadLine`) a scan
//! keeps of it.

use anyhow::Result;

use super::summary::Slot;
use crate::task::{is_valid_id, Status, Task};
use crate::timestamp::Timestamp;

/// Where the latest snapshot of one task sits, and what the runner needs from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub status: Status,
    pub run_at: Timestamp,
    /// The month this record is archived under, if terminal.
    pub archive_stamp: Timestamp,
    pub key: Option<String>,
    /// A series occurrence's (series id, occurrence number).
    pub series: Option<(String, u32)>,
    /// 1-based line number in the file.
    pub line_no: usize,
    pub offset: u64,
    pub len: usize,
}

impl Entry {
    /// The entry as the summary lists it.
    pub fn slot(&self) -> Slot {
        let at = match self.status {
            Status::Scheduled | Status::Waiting => self.run_at.at().timestamp(),
            Status::Executing | Status::Paused => 0,
            _ => self.archive_stamp.at().timestamp(),
        };
        Slot {
            id: self.id.clone(),
            status: self.status,
            at,
            offset: self.offset,
            len: self.len as u64,
        }
    }

    /// The entry of a listed snapshot: only what `run` reads (no key, no line number).
    pub(super) fn of_slot(slot: &Slot) -> Self {
        let at = crate::timestamp::Timestamp::new(
            chrono::DateTime::from_timestamp(slot.at, 0).unwrap_or_default(),
        );
        Entry {
            id: slot.id.clone(),
            status: slot.status,
            run_at: at,
            archive_stamp: at,
            key: None,
            series: None,
            line_no: 0,
            offset: slot.offset,
            len: slot.len as usize,
        }
    }
}

/// A line that is not a valid record; it stays in the file verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line_no: usize,
    pub offset: u64,
    pub reason: String,
}

/// True for a line of only white space, which the store neither reports nor keeps.
pub fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// A line is a record when it parses as a whole `Task` with a valid id; only then can
/// it be the latest snapshot of its task.
pub fn parse_record(bytes: &[u8]) -> Result<Task, String> {
    let task: Task = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if !is_valid_id(&task.id) {
        return Err(format!("id '{}' is not a valid task id", task.id));
    }
    Ok(task)
}

pub(super) fn parse_entry(bytes: &[u8], line_no: usize, offset: u64) -> Result<Entry, String> {
    let task = parse_record(bytes)?;
    Ok(Entry {
        status: task.status,
        run_at: task.run_at,
        archive_stamp: task.archive_stamp(),
        key: task.key,
        series: task.series.map(|s| (s.id, s.occurrence)),
        id: task.id,
        line_no,
        offset,
        len: bytes.len(),
    })
}
