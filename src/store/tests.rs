use super::read::PARALLEL_SCAN_BYTES;
use super::*;
use crate::task::{Status, Task};
use anyhow::anyhow;

fn record(id: &str, status: &str) -> String {
    format!(
        r#"{{"id":"{id}","created_at":"2026-04-08T16:35:00Z","run_at":"2026-04-08T16:45:00Z","type":"deferred_task","intent":"notify","context":{{"summary":"s"}},"execution":{{"mode":"fresh","prompt_template":"s","aura_level":"low"}},"status":"{status}"}}"#
    )
}

fn store_with(text: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deferred.jsonl");
    std::fs::write(&file, text).unwrap();
    let store = Store::new(&file, dir.path().join("deferred.jsonl.lock"));
    (dir, store)
}

#[test]
fn latest_snapshot_wins_in_first_appearance_order() {
    let text = [
        record("b", "scheduled"),
        record("a", "scheduled"),
        record("b", "executing"),
    ]
    .join("\n");
    let (_dir, store) = store_with(&(text + "\n"));
    let scan = store.read().unwrap().scan().unwrap();
    let ids: Vec<_> = scan
        .entries
        .iter()
        .map(|e| (e.id.as_str(), e.status))
        .collect();
    assert_eq!(ids, [("b", Status::Executing), ("a", Status::Scheduled)]);
    assert_eq!(scan.get("b").unwrap().line_no, 3);
    let latest_line = |id| scan.get(id).map(|e| e.line_no);
    assert!(latest_line("b") == Some(3) && latest_line("b") != Some(1));
}

#[test]
fn invalid_lines_are_reported_with_line_numbers() {
    let text = format!(
        "{}\nnot json\n[1,2]\n\n{{\"id\":\"x\"}}\n{}\n{{\"id\":\"bad id\",\"status\":\"scheduled\",\"run_at\":\"2026-01-01T00:00:00Z\",\"created_at\":\"2026-01-01T00:00:00Z\"}}\n{{\"trunc",
        record("a", "scheduled"),
        record("c", "weird"),
    );
    let (_dir, store) = store_with(&text);
    let scan = store.read().unwrap().scan().unwrap();
    let lines: Vec<_> = scan.bad.iter().map(|b| b.line_no).collect();
    assert_eq!(lines, [2, 3, 5, 6, 7, 8]);
    assert_eq!(scan.entries.len(), 1);
}

#[test]
fn append_after_a_torn_line_starts_a_new_line() {
    let (_dir, store) = store_with(&format!("{}\n{{\"torn", record("a", "scheduled")));
    let task: Task = serde_json::from_str(&record("b", "scheduled")).unwrap();
    store.write().unwrap().append(&[&task]).unwrap();
    let text = std::fs::read_to_string(store.path()).unwrap();
    assert_eq!(text.lines().nth(1), Some("{\"torn"));
    let scan = store.read().unwrap().scan().unwrap();
    assert_eq!(scan.entries.len(), 2);
    assert_eq!(scan.bad.len(), 1);
}

#[test]
fn catch_up_reads_only_the_tail_and_rereads_a_torn_one() {
    let (_dir, store) = store_with(&format!("{}\n{{\"torn", record("a", "scheduled")));
    let locked = store.read().unwrap();
    let mut scan = locked.scan().unwrap();
    assert_eq!(scan.bad.len(), 1);
    drop(locked);
    let task: Task = serde_json::from_str(&record("b", "scheduled")).unwrap();
    store.write().unwrap().append(&[&task]).unwrap();
    let locked = store.read().unwrap();
    locked.catch_up(&mut scan).unwrap();
    assert_eq!(scan.bad.len(), 1, "torn line reported once");
    assert_eq!(scan.get("b").unwrap().line_no, 3);
    assert_eq!(scan.line_count(), 3);
}

#[test]
fn load_reads_the_full_record() {
    let (_dir, store) = store_with(&format!("{}\n", record("a", "scheduled")));
    let locked = store.read().unwrap();
    let scan = locked.scan().unwrap();
    let task = locked.load(&scan.entries[0]).unwrap();
    assert_eq!(task.id, "a");
    assert_eq!(task.context.summary, "s");
}

#[test]
fn contains_finds_needles_across_chunk_borders() {
    let mut text = "x".repeat((1 << 20) - 3);
    text.push_str("needle");
    let (_dir, store) = store_with(&text);
    let locked = store.read().unwrap();
    assert!(locked.contains(b"needle").unwrap());
    assert!(!locked.contains(b"needles").unwrap());
}

#[test]
fn missing_store_reads_empty_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("absent");
    let store = Store::new(
        root.join("deferred.jsonl"),
        root.join("deferred.jsonl.lock"),
    );
    let scan = store.read().unwrap().scan().unwrap();
    assert!(scan.entries.is_empty());
    assert!(!root.exists());
}

#[test]
fn failed_rewrite_leaves_the_store_untouched() {
    let original = format!("{}\n", record("a", "scheduled"));
    let (dir, store) = store_with(&original);
    let err = store
        .write()
        .unwrap()
        .rewrite(|out| {
            out.write_all(b"partial")?;
            Err(anyhow!("boom"))
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "boom");
    assert_eq!(std::fs::read_to_string(store.path()).unwrap(), original);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temp file left: {names:?}");
}

#[test]
fn load_refuses_a_line_of_another_task() {
    let text = [record("a", "scheduled"), record("b", "scheduled")].join("\n") + "\n";
    let (_dir, store) = store_with(&text);
    let locked = store.read().unwrap();
    let scan = locked.scan().unwrap();
    let mut wrong = scan.get("a").unwrap().clone();
    wrong.offset = scan.get("b").unwrap().offset;
    let error = locked.load(&wrong).unwrap_err();
    assert!(
        format!("{error:#}").contains("holds task b, not a"),
        "{error:#}"
    );
}

/// A store big enough for the two-thread scan: ids whose snapshots straddle the
/// split, invalid and blank lines on both sides, a torn last line.
fn big_store_text() -> String {
    let mut lines = Vec::new();
    let pad = "x".repeat(900);
    for i in 0..12_000 {
        let id = format!("t{}", i % 7_000);
        let status = ["scheduled", "executing", "completed"][i % 3];
        lines.push(
            record(&id, status).replace(r#""summary":"s""#, &format!(r#""summary":"{pad}""#)),
        );
        if i % 997 == 0 {
            lines.push(format!("not json {i}"));
        }
        if i % 1_499 == 0 {
            lines.push(String::new());
        }
    }
    lines.join("\n") + "\n" + &record("torn", "scheduled")[..40]
}

#[test]
fn the_two_thread_scan_equals_one_reader() {
    let text = big_store_text();
    assert!(text.len() as u64 >= PARALLEL_SCAN_BYTES, "{}", text.len());
    let (_dir, store) = store_with(&text);
    let locked = store.read().unwrap();
    let parallel = locked.scan().unwrap();
    let mut sequential = Scan::default();
    locked.catch_up(&mut sequential).unwrap();
    assert_eq!(parallel.entries, sequential.entries);
    assert_eq!(parallel.bad, sequential.bad);
    assert_eq!(
        (parallel.lines, parallel.end, parallel.bad_bytes),
        (sequential.lines, sequential.end, sequential.bad_bytes)
    );
    for entry in &sequential.entries {
        assert_eq!(parallel.get(&entry.id), Some(entry));
    }
    assert!(parallel.get("torn").is_none());
    assert_eq!(sequential.entries.len(), 7_000);
    assert!(!sequential.bad.is_empty());
    // It was split: the middle of the file is not at its start.
    let split = locked.split_point(text.len() as u64).unwrap().unwrap();
    assert!(split > 0 && split < text.len() as u64);
}
