use super::*;
use crate::config::Env;
use crate::store::summary;
use crate::store::Store;

fn record(id: &str, status: &str, extra: &str) -> String {
    format!(
        r#"{{"id":"{id}","created_at":"2026-03-31T10:00:00Z","run_at":"2026-03-31T10:00:00Z","type":"deferred_task","intent":"notify","context":{{"summary":"s"}},"execution":{{"mode":"fresh","prompt_template":"s","aura_level":"low"}},"status":"{status}"{extra}}}"#
    )
}

struct Fixture {
    _dir: tempfile::TempDir,
    paths: Paths,
    store: Store,
}

fn fixture(lines: &[String]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap().to_string();
    let paths = Env::from_pairs([("DEFER_RUNTIME_DIR", root.as_str())])
        .paths()
        .unwrap();
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&paths.tasks_file, text).unwrap();
    let store = Store::new(&paths.tasks_file, paths.store_lock());
    Fixture {
        _dir: dir,
        paths,
        store,
    }
}

impl Fixture {
    fn sweep(&self) -> Swept {
        let locked = self.store.write().unwrap();
        let scan = locked.scan().unwrap();
        sweep(&locked, &scan, &self.paths).unwrap()
    }

    fn active(&self) -> Vec<String> {
        std::fs::read_to_string(&self.paths.tasks_file)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn month(&self, month: &str) -> Vec<String> {
        match std::fs::read_to_string(self.paths.archive_file(month)) {
            Ok(text) => text.lines().map(str::to_string).collect(),
            Err(_) => vec![],
        }
    }
}

#[test]
fn terminal_tasks_move_by_month_and_the_rest_compacts() {
    let done = record(
        "a",
        "completed",
        r#","completed_at":"2026-04-01T00:00:05Z","mine":1"#,
    );
    let cancelled = record(
        "c",
        "cancelled",
        r#","cancelled_at":"2026-03-31T23:59:59Z""#,
    );
    let fx = fixture(&[
        record("a", "scheduled", ""),
        record("b", "scheduled", ""),
        "garbage line".into(),
        record("a", "executing", ""),
        record("c", "scheduled", ""),
        done.clone(),
        cancelled.clone(),
        record("b", "executing", ""),
    ]);
    let swept = fx.sweep();
    assert_eq!(swept.archived.len(), 2);
    assert_eq!(
        fx.active(),
        ["garbage line".to_string(), record("b", "executing", "")]
    );
    assert_eq!(
        fx.month("202604"),
        [done],
        "archived verbatim, unknown fields and all"
    );
    assert_eq!(fx.month("202603"), [cancelled]);
    assert!(!fx.paths.archive_dir.join(MARKER).exists());
}

#[test]
fn nothing_terminal_means_no_rewrite() {
    let fx = fixture(&[record("a", "scheduled", ""), record("a", "scheduled", "")]);
    let inode = std::fs::metadata(&fx.paths.tasks_file).unwrap();
    assert!(fx.sweep().archived.is_empty());
    let after = std::fs::metadata(&fx.paths.tasks_file).unwrap();
    assert_eq!(inode.modified().unwrap(), after.modified().unwrap());
    assert_eq!(fx.active().len(), 2);
    assert!(!fx.paths.archive_dir.exists());
}

#[test]
fn rerun_after_a_crash_between_archive_append_and_rename_archives_once() {
    let done = record(
        "a",
        "completed",
        r#","completed_at":"2026-04-01T00:00:05Z""#,
    );
    let fx = fixture(&[done.clone(), record("b", "scheduled", "")]);
    // The crashed sweep: marker written, archive appended (torn tail after), no rename.
    std::fs::create_dir_all(&fx.paths.archive_dir).unwrap();
    std::fs::write(fx.paths.archive_dir.join(MARKER), "202604\n").unwrap();
    std::fs::write(
        fx.paths.archive_file("202604"),
        format!("{done}\n{{\"id\":\"a\",\"sta"),
    )
    .unwrap();
    fx.sweep();
    assert_eq!(fx.month("202604"), [done]);
    assert_eq!(fx.active(), [record("b", "scheduled", "")]);
}

#[test]
fn rerun_after_a_crash_before_any_append_archives_everything() {
    let done = record("a", "failed", r#","failed_at":"2026-04-01T00:00:05Z""#);
    let fx = fixture(std::slice::from_ref(&done));
    std::fs::create_dir_all(&fx.paths.archive_dir).unwrap();
    std::fs::write(fx.paths.archive_dir.join(MARKER), "202604\n").unwrap();
    std::fs::write(fx.paths.archive_file("202604"), "{\"id\":\"a\",\"st").unwrap();
    fx.sweep();
    assert_eq!(fx.month("202604"), [done]);
    assert!(fx.active().is_empty());
}

#[test]
fn a_reused_id_is_archived_again_when_its_record_differs() {
    let first = record(
        "a",
        "completed",
        r#","completed_at":"2026-04-01T00:00:05Z""#,
    );
    let second = record(
        "a",
        "completed",
        r#","completed_at":"2026-04-02T00:00:05Z""#,
    );
    let fx = fixture(std::slice::from_ref(&second));
    std::fs::create_dir_all(&fx.paths.archive_dir).unwrap();
    std::fs::write(fx.paths.archive_dir.join(MARKER), "202604\n").unwrap();
    std::fs::write(fx.paths.archive_file("202604"), format!("{first}\n")).unwrap();
    fx.sweep();
    assert_eq!(fx.month("202604"), [first, second]);
}

/// A store over 8 MiB: one big live task, then the given lines.
fn large_fixture(lines: &[String]) -> Fixture {
    let pad = record("pad", "scheduled", "").replace(
        r#""summary":"s""#,
        &format!(r#""summary":"{}""#, "p".repeat(COMPACT_BELOW as usize)),
    );
    let mut all = vec![pad];
    all.extend_from_slice(lines);
    fixture(&all)
}

#[test]
fn a_large_store_is_archived_lazily_once_and_then_compacted_by_archive() {
    let done = record(
        "a",
        "completed",
        r#","completed_at":"2026-04-01T00:00:05Z""#,
    );
    let fx = large_fixture(&[record("a", "scheduled", ""), done.clone()]);
    let before = fx.active();
    let settle = || {
        let locked = fx.store.write().unwrap();
        let mut scan = locked.scan().unwrap();
        locked.save_summary(&scan);
        settle(&locked, &mut scan, &fx.paths).unwrap()
    };
    let swept = settle();
    assert!(!swept.compacted);
    assert_eq!(swept.archived.len(), 1);
    assert_eq!(fx.active(), before, "the store is not rewritten");
    assert_eq!(fx.month("202604"), std::slice::from_ref(&done));
    // Scanned again (the summary cannot vouch): found in the archive, not re-archived.
    summary::forget(&fx.paths.tasks_file);
    settle();
    assert_eq!(fx.month("202604"), std::slice::from_ref(&done));
    // `archive` compacts: the record leaves the store, still archived once.
    assert!(fx.sweep().compacted);
    assert_eq!(fx.month("202604"), [done]);
    assert_eq!(fx.active().len(), 1);
}

#[test]
fn a_summary_pointing_at_another_line_archives_nothing() {
    let done = record(
        "a",
        "completed",
        r#","completed_at":"2026-04-01T00:00:05Z""#,
    );
    let fx = large_fixture(&[record("b", "scheduled", ""), done]);
    let locked = fx.store.write().unwrap();
    let scan = locked.scan().unwrap();
    let (a, b) = (scan.get("a").unwrap(), scan.get("b").unwrap());
    // A lying summary: task a's terminal record "at" b's line.
    let mut lie = scan.summary();
    lie.terminal = vec![summary::Slot {
        offset: b.offset,
        len: b.len as u64,
        ..a.slot()
    }];
    lie.unsure = false;
    let identity = summary::identity(&fx.paths.tasks_file).unwrap();
    summary::save(&fx.paths.tasks_file, identity, &lie);
    let mut listed = locked.listed(&locked.summary().unwrap());
    let error = settle(&locked, &mut listed, &fx.paths).unwrap_err();
    assert!(
        format!("{error:#}").contains("not task a's record"),
        "{error:#}"
    );
    assert!(fx.month("202604").is_empty());
    assert!(
        locked.summary().is_none(),
        "the summary is dropped: next run scans"
    );
}
