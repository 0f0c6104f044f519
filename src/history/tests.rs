use super::*;
use crate::config::Env;

fn task(id: &str, status: Status, ended: &str) -> Task {
    let at = Timestamp::parse(ended);
    let mut task = Task {
        id: id.into(),
        status,
        created_at: Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
        ..Task::blank()
    };
    match status {
        Status::Completed => task.completed_at = at,
        Status::Failed => task.failed_at = at,
        Status::Cancelled => task.cancelled_at = at,
        _ => {}
    }
    task
}

fn lines(tasks: &[&Task]) -> String {
    tasks.iter().map(|t| t.to_line() + "\n").collect()
}

struct World {
    _dir: tempfile::TempDir,
    paths: Paths,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let runtime = dir.path().join("runtime");
        std::fs::create_dir_all(runtime.join("archive")).unwrap();
        let paths = Env::from_pairs([("DEFER_RUNTIME_DIR", runtime.to_str().unwrap())])
            .paths()
            .unwrap();
        World { _dir: dir, paths }
    }

    fn store(&self) -> Store {
        Store::new(&self.paths.tasks_file, self.paths.store_lock())
    }

    fn query(&self, filter: &Filter) -> Vec<String> {
        let (tasks, _) = query(&self.store(), &self.paths, filter).unwrap();
        tasks.into_iter().map(|t| t.id).collect()
    }
}

#[test]
fn archives_and_store_each_task_once_newest_first() {
    let world = World::new();
    let old = task("old", Status::Completed, "2026-10-05T10:00:00Z");
    let mid = task("mid", Status::Failed, "2026-11-05T10:00:00Z");
    let swept = task("swept", Status::Cancelled, "2026-11-20T10:00:00Z");
    std::fs::write(
        world.paths.archive_file("202610"),
        lines(&[
            &old,
            &Task {
                context: crate::task::Context {
                    summary: "older copy".into(),
                    ..Default::default()
                },
                ..mid.clone()
            },
        ]),
    )
    .unwrap();
    std::fs::write(
        world.paths.archive_file("202611"),
        format!("{}not json\n", lines(&[&mid, &swept])),
    )
    .unwrap();
    // The store: `swept` still there (not compacted yet), a live task, a new finish.
    let live = task("live", Status::Scheduled, "2026-12-01T00:00:00Z");
    let new = task("new", Status::Completed, "2026-12-01T09:00:00Z");
    let claimed = Task {
        status: Status::Executing,
        ..task("new", Status::Scheduled, "")
    };
    std::fs::write(
        &world.paths.tasks_file,
        lines(&[&swept, &live, &claimed, &new]),
    )
    .unwrap();
    assert_eq!(
        world.query(&Filter::default()),
        ["new", "swept", "mid", "old"]
    );
    let (tasks, skipped) = query(&world.store(), &world.paths, &Filter::default()).unwrap();
    assert_eq!(tasks[2].context.summary, "", "the newer month's copy wins");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].line.line_no, 3);

    let only = |filter: Filter| world.query(&filter);
    assert_eq!(
        only(Filter {
            limit: 2,
            ..Filter::default()
        }),
        ["new", "swept"]
    );
    assert_eq!(
        only(Filter {
            statuses: vec![Status::Failed, Status::Cancelled],
            ..Filter::default()
        }),
        ["swept", "mid"]
    );
    let since = Timestamp::parse("2026-11-05T10:00:00Z").unwrap().at();
    assert_eq!(
        only(Filter {
            since: Some(since),
            ..Filter::default()
        }),
        ["new", "swept", "mid"],
        "inclusive bound"
    );
}

#[test]
fn limit_stops_before_older_months() {
    let world = World::new();
    let a = task("a", Status::Completed, "2026-11-02T10:00:00Z");
    let b = task("b", Status::Completed, "2026-11-01T10:00:00Z");
    std::fs::write(world.paths.archive_file("202611"), lines(&[&b, &a])).unwrap();
    // An older month that cannot be read: reached only if the limit did not stop.
    std::fs::create_dir(world.paths.archive_file("202610")).unwrap();
    assert_eq!(
        world.query(&Filter {
            limit: 2,
            ..Filter::default()
        }),
        ["a", "b"]
    );
    assert!(query(
        &world.store(),
        &world.paths,
        &Filter {
            limit: 3,
            ..Filter::default()
        }
    )
    .is_err());
    let since = Timestamp::parse("2026-11-01T00:00:00Z").unwrap().at();
    assert_eq!(
        world.query(&Filter {
            since: Some(since),
            ..Filter::default()
        }),
        ["a", "b"],
        "--since stops before months that ended earlier"
    );
}

#[test]
fn series_and_key_filters_read_the_record() {
    let world = World::new();
    let mut s1 = task("s1", Status::Completed, "2026-11-02T10:00:00Z");
    s1.series = Some(
        serde_json::from_value(serde_json::json!({"id": "s1", "every": "1h", "cron": null,
            "timezone": "UTC", "until": null, "count": null, "occurrence": 1,
            "missed": "run-once", "grace_seconds": 600}))
        .unwrap(),
    );
    let mut k = task("k", Status::Completed, "2026-11-03T10:00:00Z");
    k.key = Some("nightly".into());
    std::fs::write(world.paths.archive_file("202611"), lines(&[&s1, &k])).unwrap();
    assert_eq!(
        world.query(&Filter {
            series: Some("s1".into()),
            ..Filter::default()
        }),
        ["s1"]
    );
    assert_eq!(
        world.query(&Filter {
            key: Some("nightly".into()),
            ..Filter::default()
        }),
        ["k"]
    );
    assert!(world
        .query(&Filter {
            key: Some("other".into()),
            ..Filter::default()
        })
        .is_empty());
}
