use super::*;
use crate::config::Env;
use chrono::TimeZone;
use std::os::unix::fs::PermissionsExt;

fn at(min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 8, 16, min, 0).unwrap()
}

struct Fixture {
    dir: tempfile::TempDir,
    paths: Paths,
    store: Store,
    audit: AuditLog,
    settings: Settings,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rt");
        let paths = Env::from_pairs([("DEFER_RUNTIME_DIR", root.to_str().unwrap())])
            .paths()
            .unwrap();
        let store = Store::new(&paths.tasks_file, paths.store_lock());
        let audit = AuditLog::new(&paths.log_file);
        let settings = Settings {
            retry_delay: Duration::from_secs(60),
            ..Settings::default()
        };
        Fixture {
            dir,
            paths,
            store,
            audit,
            settings,
        }
    }

    fn add(&self, id: &str, run_min: u32, max_retries: u32, status: Status) {
        let task = Task {
            id: id.into(),
            created_at: at(0).into(),
            run_at: at(run_min).into(),
            status,
            max_retries,
            context: crate::task::Context {
                summary: format!("do {id}"),
                ..Default::default()
            },
            ..Task::blank()
        };
        self.store.write().unwrap().append(&[&task]).unwrap();
    }

    fn executor(&mut self, body: &str) {
        let path = self.dir.path().join("exec.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        self.settings.executor = Some(path);
    }

    fn run_at(&self, now: DateTime<Utc>) -> Report {
        let clock = move || now;
        let runner = Runner {
            paths: &self.paths,
            store: &self.store,
            audit: &self.audit,
            settings: &self.settings,
            clock: &clock,
        };
        runner.run().unwrap()
    }

    /// The latest snapshot of every task, active or archived.
    fn task(&self, id: &str) -> Task {
        let mut found = None;
        let mut files = vec![self.paths.tasks_file.clone()];
        if let Ok(dir) = std::fs::read_dir(&self.paths.archive_dir) {
            files.extend(dir.map(|e| e.unwrap().path()));
        }
        for file in files {
            for line in std::fs::read_to_string(file).unwrap_or_default().lines() {
                if let Ok(task) = serde_json::from_str::<Task>(line) {
                    if task.id == id {
                        found = Some(task);
                    }
                }
            }
        }
        found.unwrap_or_else(|| panic!("task {id} not found"))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.paths.log_file).unwrap_or_default()
    }
}

#[test]
fn nothing_due_writes_nothing() {
    let fx = Fixture::new();
    fx.add("later", 50, 0, Status::Scheduled);
    let before = std::fs::read(&fx.paths.tasks_file).unwrap();
    let report = fx.run_at(at(40));
    assert!(report.executed.is_empty() && !report.skipped);
    assert_eq!(std::fs::read(&fx.paths.tasks_file).unwrap(), before);
    assert!(!fx.paths.archive_dir.exists());
    assert_eq!(fx.log(), "");
}

#[test]
fn due_without_executor_prepares_the_prompt_and_archives() {
    let fx = Fixture::new();
    fx.add("now", 30, 0, Status::Scheduled);
    fx.add("later", 50, 0, Status::Scheduled);
    let report = fx.run_at(at(40));
    assert_eq!(report.executed.len(), 1);
    assert_eq!(report.archived, 1);
    let task = fx.task("now");
    assert_eq!(task.status, Status::Completed);
    assert_eq!(task.started_at, Some(at(40).into()));
    let result = task.result.unwrap();
    assert_eq!(result.kind, ResultType::PromptPrepared);
    let prompt = std::fs::read_to_string(&result.prompt_path).unwrap();
    assert!(
        prompt.starts_with("You are resuming a deferred task.\n\nTask ID: now\n"),
        "{prompt}"
    );
    let active = std::fs::read_to_string(&fx.paths.tasks_file).unwrap();
    assert_eq!(active.lines().count(), 1, "only 'later' stays: {active}");
    assert!(std::fs::read_to_string(fx.paths.archive_file("202604"))
        .unwrap()
        .contains("\"id\":\"now\""));
    let log = fx.log();
    for event in [
        "runner claimed id=now",
        "executed id=now result=prompt_prepared",
        "archived id=now",
    ] {
        assert!(log.contains(event), "{event} missing from {log}");
    }
}

#[test]
fn oldest_run_at_first() {
    let mut fx = Fixture::new();
    let order = fx.dir.path().join("order");
    fx.executor(&format!("echo $DEFER_TASK_ID >> {}", order.display()));
    fx.add("b", 20, 0, Status::Scheduled);
    fx.add("a", 10, 0, Status::Scheduled);
    fx.add("c", 30, 0, Status::Scheduled);
    fx.run_at(at(40));
    assert_eq!(std::fs::read_to_string(order).unwrap(), "a\nb\nc\n");
}

#[test]
fn executor_success_failure_retry_and_env() {
    let mut fx = Fixture::new();
    fx.executor(
        "cat > /dev/null; echo \"$DEFER_TASK_ID $DEFER_PROMPT_PATH\"; [ \"$DEFER_TASK_ID\" = ok ]",
    );
    fx.add("ok", 10, 0, Status::Scheduled);
    fx.add("retry", 10, 2, Status::Scheduled);
    fx.add("fail", 10, 0, Status::Scheduled);
    fx.run_at(at(40));
    let ok = fx.task("ok");
    assert_eq!(ok.status, Status::Completed);
    let result = ok.result.unwrap();
    assert_eq!(result.kind, ResultType::ExecutorOutput);
    assert_eq!(
        result.output.unwrap(),
        format!("ok {}\n", fx.paths.prompt_path("ok").display())
    );
    let retry = fx.task("retry");
    assert_eq!((retry.status, retry.attempts), (Status::Scheduled, 1));
    assert_eq!(retry.run_at, at(41).into());
    let quoted = format!(
        "executor exited with status 1: retry {}",
        fx.paths.prompt_path("retry").display()
    );
    assert_eq!(retry.last_error.as_deref(), Some(quoted.as_str()));
    assert_eq!(
        retry.result.as_ref().unwrap().kind,
        ResultType::RetryScheduled
    );
    let fail = fx.task("fail");
    assert_eq!((fail.status, fail.attempts), (Status::Failed, 1));
    assert_eq!(fail.result.unwrap().kind, ResultType::ExecutorFailed);
    // The retry runs again a minute later, and fails for good after max_retries.
    fx.run_at(at(41));
    fx.run_at(at(42));
    let retry = fx.task("retry");
    assert_eq!((retry.status, retry.attempts), (Status::Failed, 3));
    assert!(fx
        .log()
        .contains("retry scheduled id=retry attempt=1 next_run_at=2026-04-08T16:41:00Z"));
}

#[test]
fn a_non_executable_executor_fails_at_once() {
    let mut fx = Fixture::new();
    fx.settings.executor = Some(fx.dir.path().join("missing"));
    fx.add("t", 10, 3, Status::Scheduled);
    fx.run_at(at(40));
    let task = fx.task("t");
    assert_eq!(task.status, Status::Failed);
    let expected = format!(
        "Configured DEFER_EXECUTOR is not executable: {}",
        fx.dir.path().join("missing").display()
    );
    assert_eq!(task.error.as_deref(), Some(expected.as_str()));
}

#[test]
fn orphans_are_recovered() {
    let fx = Fixture::new();
    fx.add("again", 10, 1, Status::Executing);
    fx.add("dead", 10, 0, Status::Executing);
    let report = fx.run_at(at(40));
    assert_eq!(report.recovered.len(), 2);
    let again = fx.task("again");
    assert_eq!((again.status, again.attempts), (Status::Scheduled, 1));
    assert_eq!(again.run_at, at(41).into());
    assert_eq!(again.last_error.as_deref(), Some("interrupted"));
    let result = again.result.unwrap();
    assert_eq!(
        (result.kind, result.next_run_at),
        (ResultType::Interrupted, Some(at(41).into()))
    );
    let dead = fx.task("dead");
    assert_eq!((dead.status, dead.attempts), (Status::Failed, 1));
    assert_eq!(dead.error.as_deref(), Some("interrupted"));
    assert!(fx.log().contains("interrupted id=dead status=failed"));
}

#[test]
fn a_held_runner_lock_skips() {
    let fx = Fixture::new();
    fx.add("t", 10, 0, Status::Scheduled);
    let _held = RunnerLock::acquire(&fx.paths.runner_lock(), false)
        .unwrap()
        .unwrap();
    // flock locks belong to the open file description, so a second open conflicts.
    let report = fx.run_at(at(40));
    assert!(report.skipped);
    assert_eq!(fx.task("t").status, Status::Scheduled);
    assert!(fx.log().ends_with("runner skipped reason=lock_held\n"));
}
