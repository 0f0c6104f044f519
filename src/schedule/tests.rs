use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 8, 16, 35, 0).unwrap()
}

fn request() -> Request {
    Request {
        when: Some("10m".into()),
        summary: Some("Check the build".into()),
        ..Request::default()
    }
}

fn build_ok(req: &Request) -> Task {
    build(req, now(), Tz::UTC, None).unwrap().task
}

fn build_err(req: &Request) -> String {
    build(req, now(), Tz::UTC, None).unwrap_err().to_string()
}

#[test]
fn defaults() {
    let task = build_ok(&request());
    assert_eq!(task.run_at.to_string(), "2026-04-08T16:45:00Z");
    assert_eq!(task.created_at.to_string(), "2026-04-08T16:35:00Z");
    assert_eq!(task.execution.prompt_template, "Check the build");
    assert_eq!(task.status, Status::Scheduled);
    assert!(task.id.starts_with("task_20260408_163500_"));
    assert!(!task.reorient.requested);
}

#[test]
fn explicit_summary_wins_and_lists_concatenate() {
    let mut req = request();
    req.context_json = Some(
        r#"{"summary":"from json","key_points":["j1"],"artifacts":["a.txt"],"reoriented_from":"/x/CONTEXT.md","extra":1}"#.into(),
    );
    req.key_points = vec!["f1".into()];
    let task = build_ok(&req);
    assert_eq!(task.context.summary, "Check the build");
    assert_eq!(task.context.key_points, ["j1", "f1"]);
    assert_eq!(task.context.artifacts, ["a.txt"]);
    assert_eq!(
        task.context.reoriented_from.as_deref(),
        Some("/x/CONTEXT.md")
    );
    assert_eq!(task.context.extra["extra"], 1);
}

#[test]
fn json_summary_used_without_flag() {
    let mut req = request();
    req.summary = None;
    req.context_json = Some(r#"{"summary":"from json"}"#.into());
    let task = build_ok(&req);
    assert_eq!(task.context.summary, "from json");
    assert_eq!(task.execution.prompt_template, "from json");
    assert_eq!(task.context.reoriented_from, None);
}

#[test]
fn snapshot_first_then_json_then_flags() {
    let snap = Snapshot {
        summary: "from context".into(),
        key_points: vec!["s1".into()],
        artifacts: vec![],
        constraints: vec!["c0".into()],
        reoriented_from: "/p/CONTEXT.md".into(),
    };
    let mut req = request();
    req.summary = None;
    req.reorient = true;
    req.context_json = Some(r#"{"key_points":["j1"]}"#.into());
    req.key_points = vec!["f1".into()];
    req.constraints = vec!["c1".into()];
    let task = build(&req, now(), Tz::UTC, Some(&snap)).unwrap().task;
    assert_eq!(task.context.summary, "from context");
    assert_eq!(task.context.key_points, ["s1", "j1", "f1"]);
    assert_eq!(task.context.constraints, ["c0", "c1"]);
    assert_eq!(
        task.context.reoriented_from.as_deref(),
        Some("/p/CONTEXT.md")
    );
    assert!(task.reorient.requested && task.reorient_requested);
}

#[test]
fn context_json_shapes_are_checked() {
    let cases = [
        ("[]", "a JSON object"),
        ("nope", "a JSON object"),
        (r#"{"summary":5}"#, "summary must be a string"),
        (
            r#"{"key_points":"one"}"#,
            "key_points must be an array of strings",
        ),
        (
            r#"{"artifacts":[1]}"#,
            "artifacts must be an array of strings",
        ),
        (
            r#"{"constraints":null}"#,
            "constraints must be an array of strings",
        ),
        (
            r#"{"reoriented_from":3}"#,
            "reoriented_from must be a string or null",
        ),
    ];
    for (json, reason) in cases {
        let mut req = request();
        req.context_json = Some(json.into());
        let err = build_err(&req);
        assert!(
            err.contains(reason) && err.contains("--context-json"),
            "{json}: {err}"
        );
    }
}

#[test]
fn summary_required() {
    let mut req = request();
    req.summary = None;
    assert!(build_err(&req).contains("summary is required"));
    req.summary = Some("  ".into());
    assert!(build_err(&req).contains("summary is required"));
    req.summary = None;
    req.context_json = Some(r#"{"key_points":["x"]}"#.into());
    assert!(build_err(&req).contains("summary is required"));
}

#[test]
fn id_rules() {
    let mut req = request();
    req.id = Some("my.task-1".into());
    let prepared = build(&req, now(), Tz::UTC, None).unwrap();
    assert_eq!(prepared.task.id, "my.task-1");
    assert!(!prepared.generated_id);
    req.id = Some("bad id".into());
    assert!(build_err(&req).starts_with("invalid --id 'bad id'"));
}

#[test]
fn bad_when_names_the_input() {
    let mut req = request();
    req.when = Some("whenever".into());
    assert!(build_err(&req).starts_with("invalid --when 'whenever': "));
}

#[test]
fn persist_rejects_duplicates_and_dedupes_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("d.jsonl"), dir.path().join("d.jsonl.lock"));
    let audit = AuditLog::new(dir.path().join("log"));
    let mut req = request();
    req.id = Some("one".into());
    req.key = Some("nightly".into());
    let first = build(&req, now(), Tz::UTC, None).unwrap();
    assert!(matches!(
        persist(&store, &audit, first.clone(), now()).unwrap(),
        Outcome::Created(_)
    ));
    match persist(&store, &audit, first.clone(), now()).unwrap() {
        Outcome::Existing(task) => assert_eq!(task.id, "one"),
        other => panic!("expected the keyed task back, got {other:?}"),
    }
    req.key = None;
    let again = build(&req, now(), Tz::UTC, None).unwrap();
    let err = persist(&store, &audit, again, now())
        .unwrap_err()
        .to_string();
    assert_eq!(err, "task id already exists: one (choose another --id)");
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert_eq!(log.lines().count(), 1);
    assert!(
        log.ends_with("scheduled id=one run_at=2026-04-08T16:45:00Z intent=resume_task\n"),
        "{log}"
    );
}

#[test]
fn a_key_is_live_only_on_a_tasks_latest_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("d.jsonl"), dir.path().join("d.jsonl.lock"));
    let audit = AuditLog::new(dir.path().join("log"));
    let mut req = request();
    req.key = Some("nightly".into());
    let first = match persist(&store, &audit, build_ok_prepared(&req), now()).unwrap() {
        Outcome::Created(task) => task,
        other => panic!("{other:?}"),
    };
    // Finished: the key is free again.
    let done = Task {
        status: Status::Cancelled,
        ..first.clone()
    };
    store.write().unwrap().append(&[&done]).unwrap();
    let second = match persist(&store, &audit, build_ok_prepared(&req), now()).unwrap() {
        Outcome::Created(task) => task,
        other => panic!("the finished task's key must not block: {other:?}"),
    };
    assert_ne!(second.id, first.id);
    // A later snapshot without the key (a hand edit) frees it too.
    let unkeyed = Task {
        key: None,
        ..second.clone()
    };
    store.write().unwrap().append(&[&unkeyed]).unwrap();
    assert!(matches!(
        persist(&store, &audit, build_ok_prepared(&req), now()).unwrap(),
        Outcome::Created(_)
    ));
    // And a live keyed task is found however many other lines mention the key.
    match persist(&store, &audit, build_ok_prepared(&req), now()).unwrap() {
        Outcome::Existing(task) => assert_eq!(task.key.as_deref(), Some("nightly")),
        other => panic!("{other:?}"),
    }
}

fn build_ok_prepared(req: &Request) -> Prepared {
    build(req, now(), Tz::UTC, None).unwrap()
}

#[test]
fn command_retry_and_replace_are_checked_and_stored() {
    let mut req = request();
    req.replace = true;
    assert!(build_err(&req).contains("--replace needs --key"));
    req.key = Some("k".into());
    req.command = Some(vec![]);
    assert!(build_err(&req).contains("nothing follows"));
    req.command = Some(vec!["notify-send".into(), "done".into()]);
    req.retry = Some(crate::task::Retry {
        delay_seconds: Some(90),
        backoff: crate::task::Backoff::Exponential,
        ..Default::default()
    });
    let built = build(&req, now(), Tz::UTC, None).unwrap();
    assert!(built.replace);
    let line = built.task.to_line();
    assert!(
        line.contains(r#""aura_level":"low","command":["notify-send","done"]}"#),
        "{line}"
    );
    assert!(
        line.contains(r#""key":"k","retry":{"delay_seconds":90,"backoff":"exponential"}"#),
        "{line}"
    );
}

#[test]
fn lane_and_overlap_are_checked_and_kept() {
    let mut req = request();
    req.lane = Some("repo-a".into());
    assert_eq!(build_ok(&req).lane.as_deref(), Some("repo-a"));
    req.lane = Some("Repo A".into());
    let err = build_err(&req);
    assert!(err.starts_with("invalid --lane 'Repo A'"), "{err}");
    req.lane = None;
    req.overlap = Some(crate::task::Overlap::Skip);
    let err = build_err(&req);
    assert!(err.starts_with("invalid --overlap 'skip'"), "{err}");
    req.series.every = Some("1h".into());
    assert_eq!(build_ok(&req).overlap, Some(crate::task::Overlap::Skip));
}
