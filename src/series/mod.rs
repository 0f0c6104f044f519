//! Recurring tasks (SPEC §12): what the `series` object every occurrence carries
//! (`task::Series`, a part of the record) does, and the pure cores beside it:
//! `schedule` (every/cron stepping in a zone) and `missed` (what a claim does with a
//! late occurrence). The runner (`runner/series.rs`) applies them.

pub mod chain;
pub mod dst;
pub mod missed;
pub mod plan;
pub mod recurrence;

pub use missed::{decide, Claim, Lateness};
pub use plan::{plan, Plan, SeriesRequest};
pub use recurrence::{Recurrence, Schedule};
// The `series` object is a part of the record (task.rs); what it does is here.
pub use crate::task::{Series, DEFAULT_PAUSE_AFTER};

/// `DEFER_GRACE_SECONDS`' default: ten minutes.
pub const DEFAULT_GRACE_SECONDS: u64 = 600;

/// The grace (seconds) a one-shot task without `--grace` gets; 600 unless configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grace(pub u64);

impl Default for Grace {
    fn default() -> Self {
        Grace(DEFAULT_GRACE_SECONDS)
    }
}

impl Series {
    /// The schedule this series steps by, or why its stored form is unusable.
    pub fn schedule(&self) -> Result<Schedule, String> {
        Schedule::from_parts(self.every.as_deref(), self.cron.as_deref(), &self.timezone)
    }

    /// True when an occurrence numbered `occurrence` may exist (`--count`).
    pub fn allows(&self, occurrence: u32) -> bool {
        self.count.is_none_or(|count| occurrence <= count)
    }

    /// True when a fire at `at` is within `--until`.
    pub fn within_until(&self, at: chrono::DateTime<chrono::Utc>) -> bool {
        self.until.is_none_or(|until| at <= until.at())
    }

    /// How `list --format table` shows the recurrence: `every 1h`, `cron 0 9 * * 1-5`.
    pub fn describe(&self) -> String {
        match (&self.every, &self.cron) {
            (Some(every), _) => format!("every {every}"),
            (None, Some(cron)) => format!("cron {cron}"),
            (None, None) => "series".to_string(),
        }
    }
}
