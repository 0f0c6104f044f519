//! The task record: `Task` and its parts, the closed sets (status, intent, mode, ...),
//! and the id rules. Field order here is the record's field order on disk.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::timestamp::Timestamp;

pub mod fields;
pub mod snapshot;

use snapshot::Snapshot;

/// A closed set of lower-case names, shared by serde, the CLI and error messages.
pub trait ClosedSet: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;

    fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.name()).collect()
    }

    fn from_name(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == text)
    }
}

/// Declares a closed-set enum with serde names equal to its `ClosedSet` names.
macro_rules! closed_set {
    ($(#[$meta:meta])* $name:ident, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $( #[serde(rename = $text)] $variant ),+ }

        impl ClosedSet for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn name(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

closed_set!(
    /// Where a task is in its lifecycle; see `docs/lifecycle.md`.
    Status, {
        Scheduled => "scheduled",
        Executing => "executing",
        Paused => "paused",
        Completed => "completed",
        Failed => "failed",
        Cancelled => "cancelled",
        Missed => "missed",
        Waiting => "waiting",
    }
);

impl Status {
    /// Completed, failed, cancelled and missed tasks never change again and get archived.
    /// `paused` is not terminal: it waits for `defer resume`.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Completed | Status::Failed | Status::Cancelled | Status::Missed
        )
    }
}

closed_set!(
    /// What `run` does with a late task (SPEC §12): `run`/`skip` for a one-shot task,
    /// `run-once`/`skip`/`all` for a series.
    MissedPolicy, {
        Run => "run",
        RunOnce => "run-once",
        Skip => "skip",
        All => "all",
    }
);

impl MissedPolicy {
    /// The policies a one-shot task accepts.
    pub const ONE_SHOT: &'static [MissedPolicy] = &[MissedPolicy::Run, MissedPolicy::Skip];
    /// The policies a series accepts.
    pub const SERIES: &'static [MissedPolicy] =
        &[MissedPolicy::RunOnce, MissedPolicy::Skip, MissedPolicy::All];
}

closed_set!(
    /// What a series occurrence due while its previous occurrence still executes does
    /// (SPEC §20): wait for it, be missed, stop it, or run beside it.
    Overlap, {
        Queue => "queue",
        Skip => "skip",
        Replace => "replace",
        Allow => "allow",
    }
);

closed_set!(
    /// What the future run is for.
    Intent, {
        ResumeTask => "resume_task",
        Notify => "notify",
        ExecuteAction => "execute_action",
    }
);

#[allow(clippy::derivable_impls)] // the enum is declared by `closed_set!`
impl Default for Intent {
    fn default() -> Self {
        Intent::ResumeTask
    }
}

closed_set!(
    /// Whether the future run starts fresh or calls back into a session.
    Mode, {
        Fresh => "fresh",
        Callback => "callback",
    }
);

closed_set!(
    /// How much ambient context the executor should bring.
    AuraLevel, {
        Low => "low",
        Medium => "medium",
        High => "high",
    }
);

closed_set!(
    /// How the wait before a retry grows: the same each time, or doubling.
    Backoff, {
        Fixed => "fixed",
        Exponential => "exponential",
    }
);

#[allow(clippy::derivable_impls)] // the enum is declared by `closed_set!`
impl Default for Backoff {
    fn default() -> Self {
        Backoff::Fixed
    }
}

closed_set!(
    /// What the last execution attempt produced.
    ResultType, {
        PromptPrepared => "prompt_prepared",
        ExecutorOutput => "executor_output",
        ExecutorFailed => "executor_failed",
        RetryScheduled => "retry_scheduled",
        Interrupted => "interrupted",
        Missed => "missed",
        Deferred => "deferred",
        NeedsInput => "needs_input",
    }
);

/// The longest id the id rule allows.
pub const MAX_ID_LEN: usize = 128;

/// True when `id` matches `[A-Za-z0-9][A-Za-z0-9._-]{0,127}`.
pub fn is_valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_ID_LEN
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The snapshot of intent a future run starts from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    pub summary: String,
    #[serde(default)]
    pub key_points: Vec<String>,
    #[serde(default)]
    pub artifacts: Vec<String>,
    #[serde(default)]
    pub constraints: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reoriented_from: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub mode: Mode,
    pub prompt_template: String,
    pub aura_level: AuraLevel,
    /// A per-task program and its arguments, run instead of `DEFER_EXECUTOR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Per-task retry timing (`retry` in the record). `delay_seconds: null` means the
/// runner's `DEFER_RETRY_DELAY_SECONDS`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Retry {
    #[serde(default)]
    pub delay_seconds: Option<u64>,
    #[serde(default)]
    pub backoff: Backoff,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reorient {
    pub requested: bool,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub explicit_context_file: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What the last attempt produced (`result` in the record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskResult {
    #[serde(rename = "type")]
    pub kind: ResultType,
    pub prompt_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_truncated: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn deferred_task() -> String {
    "deferred_task".to_string()
}

/// One deferred task: a line of `deferred.jsonl`. Fields this program does not know are
/// kept in `extra` and written back (after the known ones). A new field also goes in
/// `fields::FIELDS`, which says what the scan, exports and a series' next occurrence do
/// with it (a test fails until it is there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub created_at: Timestamp,
    pub run_at: Timestamp,
    #[serde(rename = "type", default = "deferred_task")]
    pub kind: String,
    #[serde(default)]
    pub intent: Intent,
    pub context: Context,
    pub execution: Execution,
    pub status: Status,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub max_retries: u32,
    #[serde(default)]
    pub reorient_requested: bool,
    #[serde(default)]
    pub reorient: Reorient,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<Timestamp>,
    /// Absent until cancelled; `Some(None)` is written as `null`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub cancel_reason: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<TaskResult>,
    /// The `run_at` a `defer reschedule` replaced (the latest one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescheduled_from: Option<Timestamp>,
    /// On the `executing` snapshot written once the executor started: its process, so
    /// recovery can stop it if this runner dies (SPEC §11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<ExecutorProcess>,
    // Recurring tasks and missed runs (SPEC §12); each present only when used.
    /// A one-shot task's `--missed` policy, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed: Option<MissedPolicy>,
    /// A one-shot task's `--grace`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Series>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_by_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed_fires: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed_at: Option<Timestamp>,
    // Lanes (SPEC §20); each present only when used.
    /// `--lane`: the named lane whose slots the task's runs take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lane: Option<String>,
    /// `--overlap`: what a due occurrence does while the series' previous one executes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap: Option<Overlap>,
    /// When a run first found this fire due and had no free slot for it: its lateness
    /// is measured from there (§19), not from when a slot freed. Ignored when before
    /// `run_at` (a later fire or retry of the task).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_due_at: Option<Timestamp>,
    // Lineage and attempt history (SPEC §14); each present only when used.
    /// The task whose run scheduled this one (`DEFER_TASK_ID`, or `--parent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// One entry per finished attempt, oldest first, the last `attempt::KEPT`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Attempt>,
    // The executor talks back (SPEC §22); each present only when used.
    /// Deferrals by the executor in a row (`retry` reports, exit 75); reset by an attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferrals: Option<u32>,
    /// A `waiting` task's question (the executor's `needs_input`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// When the task began waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<Timestamp>,
    /// `--answer-timeout`: a waiting task fails this long after it began waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_timeout_seconds: Option<u64>,
    /// `--budget`: a series' reported cost over 24 hours (USD) that stops its fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_usd: Option<f64>,
    /// What the world looked like when the task was scheduled (`snapshot::capture`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<Snapshot>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A running executor (`executor` in the record): the pid of its process-group leader
/// (the group id too) and the leader's start time as the OS reports it (Linux:
/// `/proc/<pid>/stat` field 22), which tells it from a later process with the same pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutorProcess {
    pub pid: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<u64>,
}

/// One finished attempt. `started_at`/`duration_ms` are `null` only for a hand-edited
/// `executing` record that lacks `started_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub attempt: u32,
    pub started_at: Option<Timestamp>,
    pub finished_at: Timestamp,
    pub duration_ms: Option<u64>,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub result: ResultType,
    pub error: Option<String>,
    pub output_tail: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
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

/// How an attempt's program (the executor, a task's command or a hook) ended; the
/// executor reports it, the attempt's entry keeps its exit code or signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signalled(i32),
    TimedOut(Duration),
    SpawnFailed(String),
    /// `defer` was asked to stop (SIGTERM, SIGINT, SIGHUP) and stopped the executor.
    Stopped,
}

impl Ending {
    pub fn success(&self) -> bool {
        *self == Ending::Exited(0)
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Exited(code) => write!(f, "executor exited with status {code}"),
            Ending::Signalled(signal) => write!(f, "executor killed by signal {signal}"),
            Ending::TimedOut(limit) => write!(f, "executor timed out after {}s", limit.as_secs()),
            Ending::SpawnFailed(why) => write!(f, "executor could not start: {why}"),
            Ending::Stopped => write!(f, "interrupted"),
        }
    }
}

/// A field that is present (even as `null`) deserialises to `Some(..)`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

impl Task {
    /// A scheduled task with empty context and no lifecycle fields, for struct-update
    /// syntax (`Task { id, ..Task::blank() }`).
    pub fn blank() -> Self {
        let epoch = Timestamp::new(chrono::DateTime::UNIX_EPOCH);
        Task {
            id: String::new(),
            created_at: epoch,
            run_at: epoch,
            kind: deferred_task(),
            intent: Intent::ResumeTask,
            context: Context::default(),
            execution: Execution {
                mode: Mode::Fresh,
                prompt_template: String::new(),
                aura_level: AuraLevel::Low,
                command: None,
                extra: Map::new(),
            },
            status: Status::Scheduled,
            attempts: 0,
            max_retries: 0,
            reorient_requested: false,
            reorient: Reorient::default(),
            key: None,
            retry: None,
            started_at: None,
            completed_at: None,
            failed_at: None,
            cancelled_at: None,
            cancel_reason: None,
            last_attempt_at: None,
            last_error: None,
            error: None,
            result: None,
            rescheduled_from: None,
            executor: None,
            missed: None,
            grace_seconds: None,
            series: None,
            late_by_seconds: None,
            missed_fires: None,
            missed_at: None,
            lane: None,
            overlap: None,
            found_due_at: None,
            parent_id: None,
            history: Vec::new(),
            deferrals: None,
            question: None,
            waiting_since: None,
            answer_timeout_seconds: None,
            budget_usd: None,
            snapshot: None,
            extra: Map::new(),
        }
    }

    /// The instant that decides the archive month: when it ended, else when it was made.
    pub fn archive_stamp(&self) -> Timestamp {
        self.completed_at
            .or(self.failed_at)
            .or(self.cancelled_at)
            .or(self.missed_at)
            .unwrap_or(self.created_at)
    }

    /// One JSON line, without the newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a Task always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str = r#"{"id":"task_20260408_163500_4821","created_at":"2026-04-08T16:35:00Z","run_at":"2026-04-08T16:45:00Z","type":"deferred_task","intent":"resume_task","context":{"summary":"s","key_points":[],"artifacts":[],"constraints":[]},"execution":{"mode":"fresh","prompt_template":"s","aura_level":"low"},"status":"scheduled","reorient_requested":false,"reorient":{"requested":false,"project":null,"explicit_context_file":null}}"#;

    #[test]
    fn original_record_reads_with_zero_counters() {
        let task: Task = serde_json::from_str(ORIGINAL).unwrap();
        assert_eq!((task.attempts, task.max_retries), (0, 0));
        assert_eq!(task.status, Status::Scheduled);
    }

    #[test]
    fn unknown_fields_survive_at_every_level() {
        let line = ORIGINAL
            .replace(r#""summary":"s""#, r#""summary":"s","mood":"calm""#)
            .replace(r#""aura_level":"low""#, r#""aura_level":"low","gpu":true"#)
            .replace(
                r#""status":"scheduled""#,
                r#""status":"scheduled","owner":{"x":1}"#,
            );
        let task: Task = serde_json::from_str(&line).unwrap();
        let back: Value = serde_json::from_str(&task.to_line()).unwrap();
        assert_eq!(back["context"]["mood"], "calm");
        assert_eq!(back["execution"]["gpu"], true);
        assert_eq!(back["owner"]["x"], 1);
    }

    #[test]
    fn cancel_reason_null_is_kept_present() {
        let line = ORIGINAL.replace(
            r#""status":"scheduled""#,
            r#""status":"cancelled","cancel_reason":null"#,
        );
        let task: Task = serde_json::from_str(&line).unwrap();
        assert_eq!(task.cancel_reason, Some(None));
        assert!(task.to_line().contains(r#""cancel_reason":null"#));
    }

    #[test]
    fn id_rule() {
        assert!(is_valid_id("a"));
        assert!(is_valid_id("task_1.2-3"));
        assert!(is_valid_id(&"a".repeat(128)));
        assert!(!is_valid_id(&"a".repeat(129)));
        assert!(!is_valid_id("-a"));
        assert!(!is_valid_id("_a"));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a/b"));
    }

    #[test]
    fn closed_set_names() {
        assert_eq!(Intent::names(), ["resume_task", "notify", "execute_action"]);
        assert_eq!(Status::from_name("executing"), Some(Status::Executing));
        assert_eq!(Mode::from_name("Fresh"), None);
    }
}
