//! The runner's side of the executor's report (SPEC §22): a fresh, empty, owner-only
//! `logs/<id>.report.json` before each attempt, read back (checked, bounded) after it,
//! and weighed with the exit status into the task's next snapshot.

use std::io::Read;
use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::Runner;
use crate::audit::Event;
use crate::executor::{self, Ending};
use crate::lifecycle::{self, Output};
use crate::report::{self, Report};
use crate::safe_fs;
use crate::task::{ResultType, Status, Task};

/// The `Changed since scheduled:` lines for `task` (none without a `snapshot`), times in
/// the task's zone: what its prompt says when it runs, or would say now.
pub fn changes_for(task: &Task) -> Vec<String> {
    match &task.snapshot {
        Some(then) => crate::snapshot::changes(then, crate::local::zone(task, chrono_tz::Tz::UTC)),
        None => Vec::new(),
    }
}

/// Creates (or empties a leftover) report file: mode 0600, never through a symlink,
/// only a regular file of the user's (`safe_fs::open_truncate`).
pub fn prepare(path: &Path) -> Result<()> {
    let file = safe_fs::open_truncate(path)?;
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
    let file = match safe_fs::open_read(path) {
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

impl Runner<'_> {
    /// The audit line of a deferral or a question (SPEC §22); false for any other
    /// outcome.
    pub(super) fn log_talkback(&self, task: &Task, now: DateTime<Utc>) -> bool {
        let kind = task.result.as_ref().map(|r| r.kind);
        match task.status {
            Status::Scheduled if kind == Some(ResultType::Deferred) => self.audit.record(
                now,
                Event::DeferredByExecutor,
                &[
                    ("id", &task.id),
                    ("until", &task.run_at),
                    ("reason", &task.last_error.as_deref().unwrap_or_default()),
                ],
            ),
            Status::Waiting => {
                let question = task.question.as_deref().unwrap_or_default();
                self.audit.record(
                    now,
                    Event::Waiting,
                    &[
                        ("id", &task.id),
                        ("question", &question.lines().next().unwrap_or_default()),
                    ],
                )
            }
            _ => return false,
        }
        true
    }

    /// What is left of a series' `--budget` now (`DEFER_BUDGET_USD`); `None` without a
    /// budget, or when the store cannot be read (the claim already checked it).
    pub(super) fn budget_left(&self, task: &Task) -> Option<String> {
        let (budget, series) = (task.budget_usd?, task.series.as_ref()?);
        let now = (self.clock)();
        let locked = self.store.read().ok()?;
        let spent = crate::budget::spent_stored(&locked, self.paths, &series.id, now).ok()?;
        Some(crate::budget::left(budget, spent))
    }

    /// The executor's report weighed with its exit status (SPEC §22): the task's next
    /// snapshot — completed, a failed attempt, deferred (no attempt) or waiting.
    pub(super) fn judge(
        &self,
        task: &Task,
        outcome: &executor::Outcome,
        report: Option<&Report>,
        prompt_path: &str,
        output: Output,
        now: DateTime<Utc>,
    ) -> Task {
        use crate::report::{Exit, Verdict};
        let exit = match outcome.ending {
            Ending::Exited(code) => Exit::from_code(Some(code)),
            _ => Exit::Failure,
        };
        let delay = lifecycle::task_retry_wait(task, self.settings.retry_delay, 1, 0.0);
        let delay = chrono::Duration::from_std(delay).unwrap_or(report::MAX_AHEAD);
        let verdict = report::decide(report, exit, task.deferrals.unwrap_or(0), delay, now);
        let mut next = match verdict {
            Verdict::Completed => {
                lifecycle::complete(task, ResultType::ExecutorOutput, prompt_path, output, now)
            }
            Verdict::Failed { reason } => {
                let error = match (reason, exit) {
                    (Some(reason), _) => reason,
                    (None, Exit::Success) => "the executor reported a failure".to_string(),
                    (None, _) => outcome.error(),
                };
                lifecycle::attempt_failed(
                    task,
                    &error,
                    ResultType::ExecutorFailed,
                    prompt_path,
                    output,
                    self.settings.retry_delay,
                    now,
                )
            }
            Verdict::Deferred {
                until,
                scope,
                reason,
            } => {
                if scope == report::Scope::Lane {
                    self.hold_lane(task, until, &reason, now);
                }
                lifecycle::deferred(task, until, &reason, prompt_path, output)
            }
            Verdict::NeedsInput { question } => {
                lifecycle::waiting(task, &question, prompt_path, output, now)
            }
        };
        if let Some(result) = next.result.as_mut() {
            result.extra.extend(lifecycle::report_fields(report));
        }
        next
    }
}

/// The report's `summary` and `cost` in the attempt's history entry (the last one);
/// a deferral's or a question's entry names it instead of an error.
pub(super) fn entry(task: &mut Task, report: Option<&Report>) {
    let status = task.status;
    let question = task.question.clone();
    let Some(entry) = task.history.last_mut() else {
        return;
    };
    entry.extra.extend(lifecycle::report_fields(report));
    if status == Status::Waiting {
        entry.error = question
            .as_deref()
            .map(|q| format!("needs input: {}", q.lines().next().unwrap_or_default()));
    }
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
