//! Recurring tasks (SPEC §12): the `series` object every occurrence carries, and the
//! pure cores beside it: `schedule` (every/cron stepping in a zone) and `missed` (what
//! a claim does with a late occurrence). The runner (`runner/series.rs`) applies them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::task::MissedPolicy;
use crate::timestamp::Timestamp;

pub mod chain;
pub mod dst;
pub mod missed;
pub mod plan;
pub mod schedule;

pub use missed::{decide, Claim, Lateness};
pub use plan::{plan, Plan, SeriesRequest};
pub use schedule::{Recurrence, Schedule};

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

/// The default `--pause-after` of a series: consecutive failures before it pauses.
pub const DEFAULT_PAUSE_AFTER: u32 = 5;

/// A series occurrence's `series` object. Fields are in the record's order; the first
/// nine are SPEC §12's, the last three are this implementation's (see
/// `references/task-schema.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The first occurrence's id: the series' name.
    pub id: String,
    /// The interval as given (`1h`), or null for a cron series.
    pub every: Option<String>,
    /// The cron expression as given, or null for an interval series.
    pub cron: Option<String>,
    /// The IANA zone the schedule is evaluated in.
    pub timezone: String,
    /// No occurrence after this instant.
    pub until: Option<Timestamp>,
    /// Total occurrences, ended ones of every kind.
    pub count: Option<u32>,
    /// This occurrence's number, 1-based.
    pub occurrence: u32,
    pub missed: MissedPolicy,
    pub grace_seconds: u64,
    /// Consecutive `failed` occurrences before this one pauses the series; 0 = never.
    #[serde(default = "default_pause_after")]
    pub pause_after: u32,
    /// Consecutive `failed` occurrences just before this one (the breaker's count).
    #[serde(default)]
    pub consecutive_failures: u32,
    /// The id of the occurrence this one linked (k+1), once it has: no claim or
    /// `cancel --occurrence` of this occurrence links another (SPEC §19). Not copied
    /// to the next occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn default_pause_after() -> u32 {
    DEFAULT_PAUSE_AFTER
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
