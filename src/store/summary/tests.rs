use super::*;
use crate::timestamp::Timestamp;

fn slot(id: &str, status: Status, at: i64, offset: u64) -> Slot {
    Slot {
        id: id.to_string(),
        status,
        at,
        offset,
        len: 10,
    }
}

fn task(id: &str, status: Status, run_at: i64) -> Task {
    let at = Timestamp::new(chrono::DateTime::from_timestamp(run_at, 0).unwrap());
    Task {
        id: id.to_string(),
        status,
        run_at: at,
        created_at: at,
        ..Task::blank()
    }
}

#[test]
fn round_trip() {
    let id = Identity([1, 2, 3, 4, 5, 6, 7]);
    let full = Summary {
        due: vec![slot("a", Status::Scheduled, -5, 0)],
        beyond: Some(9),
        executing: vec![slot("b", Status::Executing, 0, 11)],
        terminal: vec![slot("c", Status::Cancelled, 3, 22)],
        unsure: true,
        overflow: false,
        bad: true,
        dead: 77,
    };
    for summary in [Summary::default(), full] {
        assert_eq!(decode(&encode(id, &summary)), Some((id, summary)));
    }
}

#[test]
fn torn_or_foreign_text_is_not_trusted() {
    let summary = Summary {
        due: vec![slot("a", Status::Scheduled, 1, 0)],
        ..Summary::default()
    };
    let text = encode(Identity([1; 7]), &summary);
    for cut in 0..text.len() {
        assert_eq!(decode(&text[..cut]), None, "{:?}", &text[..cut]);
    }
    assert_eq!(decode("something else\n"), None);
    assert_eq!(decode(&text.replace(" 000", " 002")), None);
    assert_eq!(decode(&text.replace("d scheduled", "x scheduled")), None);
    assert_eq!(decode(&text.replace(" a\n", " ../a\n")), None);
    let v1 = "defer-summary-v1 1 1 1 1 1 1 1 - 000\n";
    assert_eq!(decode(v1), None, "an old summary means a scan");
}

#[test]
fn idle_only_without_due_executing_terminal_or_bad() {
    let mut s = Summary::default();
    assert!(s.idle_at(100));
    s.due.push(slot("a", Status::Scheduled, 100, 0));
    assert!(!s.idle_at(100));
    assert!(s.idle_at(99));
    s.beyond = Some(99);
    assert!(!s.idle_at(99), "something not listed may be due");
    assert!(s.idle_at(98));
    for flag in 0..2 {
        let mut t = s.clone();
        *[&mut t.overflow, &mut t.bad][flag] = true;
        assert!(!t.idle_at(0) && !t.listed_at(0));
    }
    let mut t = s.clone();
    t.executing.push(slot("b", Status::Executing, 0, 1));
    assert!(!t.idle_at(0) && t.listed_at(0));
    let mut t = s;
    t.terminal.push(slot("c", Status::Completed, 0, 1));
    assert!(!t.idle_at(0) && t.listed_at(0));
}

#[test]
fn notes_keep_each_task_latest_snapshot_only() {
    let mut s = Summary::default();
    s.note(&task("a", Status::Scheduled, 50), 0, 9);
    s.note(&task("b", Status::Scheduled, 40), 10, 9);
    let ids = |l: &[Slot]| l.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&s.due), ["b", "a"], "earliest run_at first");
    s.note(&task("a", Status::Executing, 50), 20, 9);
    assert_eq!(ids(&s.due), ["b"]);
    assert_eq!(ids(&s.executing), ["a"]);
    assert_eq!(s.dead, 10, "the claimed snapshot is dead");
    s.note(&task("a", Status::Completed, 50), 30, 9);
    assert!(s.executing.is_empty());
    assert_eq!(ids(&s.terminal), ["a"]);
    let mut missed = s.clone();
    missed.note(&task("b", Status::Missed, 40), 40, 9);
    assert_eq!(ids(&missed.terminal), ["a", "b"], "missed is terminal");
    s.note(&task("b", Status::Paused, 40), 40, 9);
    assert!(s.due.is_empty(), "a paused task is not due");
    assert_eq!(s.dead, 30);
    s.archived_terminal();
    assert!(s.terminal.is_empty());
    assert_eq!(s.dead, 40);
}

#[test]
fn the_due_list_is_capped_and_beyond_bounds_the_rest() {
    let mut s = Summary::default();
    for i in 0..(DUE_CAP as i64 + 10) {
        s.note(
            &task(&format!("t{i}"), Status::Scheduled, 1000 - i),
            i as u64 * 10,
            9,
        );
    }
    assert_eq!(s.due.len(), DUE_CAP);
    let beyond = s.beyond.unwrap();
    assert!(s.due.iter().all(|d| d.at < beyond));
    assert!(s.listed_at(beyond - 1) && !s.listed_at(beyond));
    // Later than everything listed: not listed, and `beyond` already covers it.
    s.note(&task("late", Status::Scheduled, 5000), 99_999, 9);
    assert!(s.due.iter().all(|d| d.id != "late"));
    assert!(s.beyond.unwrap() <= 5000);
}

#[test]
fn full_lists_overflow_instead_of_forgetting() {
    let mut s = Summary::default();
    for i in 0..=EXECUTING_CAP {
        s.note(&task(&format!("x{i}"), Status::Executing, 0), i as u64, 1);
    }
    assert!(s.overflow && !s.listed_at(0));
    let mut s = Summary::default();
    for i in 0..=TERMINAL_CAP {
        s.note(&task(&format!("t{i}"), Status::Failed, 0), i as u64, 1);
    }
    assert!(s.overflow);
    s.archived_terminal();
    assert!(s.overflow, "an unlisted terminal record still needs a scan");
}

#[test]
fn a_full_scan_lists_the_earliest_and_counts_dead_bytes() {
    let latest = (0..(DUE_CAP as u64 + 2))
        .map(|i| slot(&format!("s{i}"), Status::Scheduled, 1000 - i as i64, i * 11))
        .chain([slot("done", Status::Completed, 7, 5000)]);
    let s = Summary::of_scan(latest, false, 9000, 3000);
    assert_eq!(s.due.len(), DUE_CAP);
    assert_eq!(s.due[0].id, format!("s{}", DUE_CAP + 1));
    assert_eq!(s.beyond, Some(999), "the first one left out");
    assert_eq!(s.terminal.len(), 1);
    assert!(s.unsure, "a scan cannot tell whether it was archived");
    assert_eq!(s.dead, 9000 - 3000 - 11);
}

#[test]
fn only_entries_inside_the_store_and_the_line_limit_fit() {
    let listed = |offset: u64, len: u64| Summary {
        executing: vec![Slot {
            len,
            ..slot("a", Status::Executing, 0, offset)
        }],
        ..Summary::default()
    };
    // A 100-byte store: a listed line must end before its last byte (the newline).
    assert!(listed(0, 99).fits(100));
    assert!(listed(89, 10).fits(100));
    assert!(!listed(90, 10).fits(100));
    assert!(!listed(0, 1_000_000_000_000_000).fits(100));
    assert!(!listed(u64::MAX, 10).fits(100), "no overflow");
    let huge = crate::store::MAX_LINE_BYTES;
    assert!(listed(0, huge).fits(huge + 1));
    assert!(!listed(0, huge + 1).fits(u64::MAX), "over the line limit");
    assert!(Summary::default().fits(0));
}

#[test]
fn a_waiting_task_is_listed_like_a_due_one_so_run_checks_its_answer_timeout() {
    let mut s = Summary::default();
    s.note(&task("w", Status::Waiting, 50), 0, 9);
    assert_eq!(s.due.len(), 1);
    assert_eq!(s.due[0].status, Status::Waiting);
    assert!(!s.idle_at(60), "a run after its run_at looks at it");
    let id = Identity([1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(decode(&encode(id, &s)), Some((id, s.clone())));
    s.note(&task("w", Status::Scheduled, 70), 10, 9);
    assert_eq!(s.due.len(), 1, "answered: one slot, the new one");
}
