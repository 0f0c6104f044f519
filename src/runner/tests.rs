use super::hooks::Hook;
use super::*;
use crate::config::Env;
use crate::task::ResultType;
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
        self.add_task(id, run_min, max_retries, status, None);
    }

    /// An orphan whose executor had started (a process long gone): an attempt.
    fn add_orphan(&self, id: &str, run_min: u32, max_retries: u32) {
        let gone = crate::task::ExecutorProcess {
            pid: 999_999_999,
            started: Some(1),
        };
        self.add_task(id, run_min, max_retries, Status::Executing, Some(gone));
    }

    fn add_task(
        &self,
        id: &str,
        run_min: u32,
        max_retries: u32,
        status: Status,
        executor: Option<crate::task::ExecutorProcess>,
    ) {
        let task = Task {
            executor,
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

    /// `DEFER_MAX_PARALLEL=1`: one task at a time, in order.
    fn serial(&mut self) {
        self.settings.lanes.total = 1;
    }

    fn executor(&mut self, body: &str) {
        let path = self.dir.path().join("exec.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        self.settings.executor = Some(path);
    }

    fn run_at(&self, now: DateTime<Utc>) -> Report {
        self.run_noting(now).0
    }

    /// `run` at `now`, with the notices it reported in order.
    fn run_noting(&self, now: DateTime<Utc>) -> (Report, Vec<Notice>) {
        let clock = move || now;
        let notices = std::cell::RefCell::new(Vec::new());
        let notify = |n: &Notice| notices.borrow_mut().push(n.clone());
        let runner = Runner {
            paths: &self.paths,
            store: &self.store,
            audit: &self.audit,
            settings: &self.settings,
            clock: &clock,
            notify: &notify,
        };
        let report = runner.run().unwrap();
        (report, notices.take())
    }

    fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn hooks(&mut self, pairs: &[(&str, &Path)]) {
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(var, path)| (*var, path.to_str().unwrap()))
            .collect();
        self.settings.hooks = Hooks::from_env(&Env::from_pairs(pairs)).unwrap();
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
    fx.serial();
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
fn a_claim_whose_executor_never_started_is_released_uncounted() {
    let fx = Fixture::new();
    // Claimed, but the runner died before the executor's process was recorded.
    fx.add("never", 50, 0, Status::Executing);
    let report = fx.run_at(at(40));
    assert!(report.recovered.is_empty());
    let never = fx.task("never");
    assert_eq!((never.status, never.attempts), (Status::Scheduled, 0));
    assert_eq!(never.run_at, at(50).into());
    assert!(never.result.is_none() && never.history.is_empty());
    assert!(fx
        .log()
        .contains("released id=never reason=executor_never_started"));
    assert!(!fx.log().contains("interrupted"));
}

#[test]
fn orphans_are_recovered() {
    let fx = Fixture::new();
    fx.add_orphan("again", 10, 1);
    fx.add_orphan("dead", 10, 0);
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

#[test]
fn notices_and_hooks_follow_each_recorded_outcome_in_turn() {
    let mut fx = Fixture::new();
    fx.serial();
    let trail = fx.dir.path().join("trail");
    let store = fx.paths.tasks_file.clone();
    // The hook checks the store already holds the status it is told about.
    let hook = fx.script(
        "hook",
        &format!(
            "rec=unrecorded; grep -q \"\\\"id\\\":\\\"$DEFER_TASK_ID\\\".*\\\"status\\\":\\\"$DEFER_STATUS\\\"\" {s} && rec=recorded\n\
             lock=free; if command -v flock >/dev/null; then flock -n {l} true || lock=held; fi\n\
             echo \"hook $DEFER_TASK_ID $DEFER_STATUS $rec $lock $(head -c 1)\" >> {t}",
            s = store.display(),
            l = fx.paths.store_lock().display(),
            t = trail.display()
        ),
    );
    fx.hooks(&[("DEFER_ON_SUCCESS", &hook), ("DEFER_ON_FAILURE", &hook)]);
    fx.add("a", 10, 0, Status::Scheduled);
    fx.add("b", 20, 0, Status::Scheduled);
    fx.add("r", 5, 2, Status::Scheduled);
    fx.settings.executor = Some(fx.script(
        "exec",
        &format!(
            "echo \"exec $DEFER_TASK_ID\" >> {t}; [ \"$DEFER_TASK_ID\" = b ] && exit 0; echo bad >&2; exit 3",
            t = trail.display()
        ),
    ));
    let (_, notices) = fx.run_noting(at(40));
    let trail = std::fs::read_to_string(&trail).unwrap();
    let trail: Vec<&str> = trail.lines().collect();
    // r's retry is no outcome for a hook; each hook ran after its record, on its task's
    // thread: the next task started without waiting for it (§20).
    let execs: Vec<&str> = trail
        .iter()
        .copied()
        .filter(|l| l.starts_with("exec"))
        .collect();
    assert_eq!(execs, ["exec r", "exec a", "exec b"]);
    let pos = |line: &str| trail.iter().position(|l| l.starts_with(line)).unwrap();
    assert!(pos("hook a failed recorded") > pos("exec a"), "{trail:?}");
    assert!(
        pos("hook b completed recorded") > pos("exec b"),
        "{trail:?}"
    );
    assert_eq!(trail.len(), 5, "{trail:?}");
    let lines: Vec<String> = notices.iter().map(|n| n.to_string()).collect();
    let before = |a: &str, b: &str| {
        let at = |x: &str| lines.iter().position(|l| l == x).expect(x);
        assert!(at(a) < at(b), "{a} before {b}: {lines:?}");
    };
    before(
        "task r claimed",
        &format!(
        "task r attempt 1 of 3 failed, retry scheduled at {}: executor exited with status 3: bad",
        fx.task("r").run_at
    ),
    );
    before(
        "task a claimed",
        "task a failed after 1 attempt: executor exited with status 3: bad",
    );
    before(
        "task a failed after 1 attempt: executor exited with status 3: bad",
        "hook DEFER_ON_FAILURE ran for task a",
    );
    before(
        "task b completed (executor_output)",
        "hook DEFER_ON_SUCCESS ran for task b",
    );
    before(
        "task b completed (executor_output)",
        "archived 2 finished tasks",
    );
    assert_eq!(lines.len(), 9, "{lines:?}");
    let problems: Vec<_> = notices.iter().filter(|n| n.is_problem()).collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn a_failing_or_hanging_hook_is_reported_and_changes_nothing() {
    let mut fx = Fixture::new();
    let hang = fx.script("hang", "sleep 30");
    fx.hooks(&[("DEFER_ON_SUCCESS", &hang)]);
    fx.settings.hook_limits = Some(Limits {
        timeout: Some(Duration::from_millis(300)),
        kill_grace: Duration::from_millis(200),
        drain_grace: Duration::from_millis(200),
        file_cap: Some(hooks::HOOK_OUTPUT_CAP),
    });
    fx.add("a", 10, 0, Status::Scheduled);
    let started = std::time::Instant::now();
    let (report, notices) = fx.run_noting(at(40));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(report.executed.len(), 1);
    assert_eq!(fx.task("a").status, Status::Completed);
    assert!(notices.contains(&Notice::HookFailed {
        hook: Hook::OnSuccess,
        id: "a".into(),
        reason: "timed out after 0s".into(),
    }));
    assert!(
        fx.log().contains(
            "hook failed id=a hook=DEFER_ON_SUCCESS status=completed reason=\"timed out after 0s\""
        ),
        "{}",
        fx.log()
    );
}

#[test]
fn a_recovered_orphan_that_fails_calls_the_failure_hook_outside_the_store_lock() {
    let mut fx = Fixture::new();
    let trail = fx.dir.path().join("trail");
    // The hook checks nobody holds the store lock while it runs (flock(1), util-linux;
    // where it is missing the check is skipped).
    let hook = fx.script(
        "hook",
        &format!(
            "lock=free\n\
             if command -v flock >/dev/null; then flock -n {l} true || lock=held; fi\n\
             echo \"$DEFER_TASK_ID $DEFER_STATUS $lock\" >> {t}",
            l = fx.paths.store_lock().display(),
            t = trail.display()
        ),
    );
    fx.hooks(&[("DEFER_ON_FAILURE", &hook)]);
    fx.add_orphan("orphan", 10, 0);
    let (_, notices) = fx.run_noting(at(40));
    assert_eq!(
        std::fs::read_to_string(&trail).unwrap(),
        "orphan failed free\n"
    );
    assert_eq!(
        notices[0].to_string(),
        "task orphan failed after 1 attempt: interrupted"
    );
}
