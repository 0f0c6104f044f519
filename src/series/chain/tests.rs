use super::*;
use crate::timestamp::Timestamp;

fn utc(text: &str) -> DateTime<Utc> {
    Timestamp::parse(text).unwrap().at()
}

fn occurrence(k: u32, run_at: &str, policy: MissedPolicy) -> Task {
    Task {
        id: format!("occ{k}"),
        run_at: utc(run_at).into(),
        series: Some(Series {
            id: "occ1".into(),
            every: Some("1h".into()),
            cron: None,
            timezone: "UTC".into(),
            until: None,
            count: None,
            occurrence: k,
            missed: policy,
            grace_seconds: 600,
            pause_after: 2,
            consecutive_failures: 0,
            next_id: None,
            extra: Map::new(),
        }),
        ..Task::blank()
    }
}

/// Found due at the claim itself: lateness judged at `now`.
fn due() -> Trigger {
    Trigger::Due(DateTime::<Utc>::MAX_UTC)
}

fn never(_: &str, _: u32) -> Option<String> {
    None
}

#[test]
fn on_time_claim_links_the_next_fire() {
    let task = occurrence(1, "2026-12-01T10:00:00Z", MissedPolicy::RunOnce);
    let step = claim(
        &task,
        utc("2026-12-01T10:00:30Z"),
        600,
        due(),
        never,
        || "n2".into(),
    );
    assert_eq!(step.snapshot.status, Status::Executing);
    assert_eq!(step.snapshot.late_by_seconds, None);
    let next = step.next.unwrap();
    assert_eq!((next.id.as_str(), next.status), ("n2", Status::Scheduled));
    assert_eq!(next.run_at.to_string(), "2026-12-01T11:00:00Z");
    assert_eq!(next.created_at.to_string(), "2026-12-01T10:00:30Z");
    let series = next.series.unwrap();
    assert_eq!((series.id.as_str(), series.occurrence), ("occ1", 2));
}

#[test]
fn an_existing_next_occurrence_is_not_forked() {
    let task = occurrence(1, "2026-12-01T10:00:00Z", MissedPolicy::RunOnce);
    let step = claim(
        &task,
        utc("2026-12-01T10:00:30Z"),
        600,
        due(),
        |s, k| (s == "occ1" && k == 2).then(|| "n2".to_string()),
        || unreachable!(),
    );
    assert!(step.next.is_none());
}

#[test]
fn late_run_once_moves_run_at_to_the_latest_fire() {
    let task = occurrence(3, "2026-12-01T07:00:00Z", MissedPolicy::RunOnce);
    let step = claim(
        &task,
        utc("2026-12-01T10:12:00Z"),
        600,
        due(),
        never,
        || "n".into(),
    );
    assert_eq!(step.snapshot.run_at.to_string(), "2026-12-01T10:00:00Z");
    assert_eq!(
        (step.snapshot.late_by_seconds, step.snapshot.missed_fires),
        (Some(720), Some(3))
    );
    assert_eq!(
        step.next.unwrap().run_at.to_string(),
        "2026-12-01T11:00:00Z"
    );
}

#[test]
fn skip_makes_a_missed_snapshot() {
    let task = occurrence(1, "2026-12-01T07:00:00Z", MissedPolicy::Skip);
    let step = claim(
        &task,
        utc("2026-12-01T10:12:00Z"),
        600,
        due(),
        never,
        || "n".into(),
    );
    assert!(step.missed());
    let s = &step.snapshot;
    assert_eq!(s.missed_at.unwrap().to_string(), "2026-12-01T10:12:00Z");
    assert_eq!((s.late_by_seconds, s.missed_fires), (Some(11_520), Some(4)));
    assert_eq!(s.result.as_ref().unwrap().kind, ResultType::Missed);
    assert_eq!(s.archive_stamp().to_string(), "2026-12-01T10:12:00Z");
    assert_eq!(
        step.next.unwrap().run_at.to_string(),
        "2026-12-01T11:00:00Z"
    );
}

#[test]
fn count_and_until_end_the_chain() {
    let mut task = occurrence(3, "2026-12-01T10:00:00Z", MissedPolicy::RunOnce);
    task.series.as_mut().unwrap().count = Some(3);
    assert!(claim(
        &task,
        utc("2026-12-01T10:00:00Z"),
        600,
        due(),
        never,
        || "n".into()
    )
    .next
    .is_none());
    let mut task = occurrence(3, "2026-12-01T10:00:00Z", MissedPolicy::RunOnce);
    task.series.as_mut().unwrap().until = Some(utc("2026-12-01T10:59:59Z").into());
    assert!(claim(
        &task,
        utc("2026-12-01T10:00:00Z"),
        600,
        due(),
        never,
        || "n".into()
    )
    .next
    .is_none());
    task.series.as_mut().unwrap().until = Some(utc("2026-12-01T11:00:00Z").into());
    assert!(claim(
        &task,
        utc("2026-12-01T10:00:00Z"),
        600,
        due(),
        never,
        || "n".into()
    )
    .next
    .is_some());
}

#[test]
fn one_shot_tasks_use_their_own_or_the_default_grace() {
    let mut task = Task {
        run_at: utc("2026-12-01T10:00:00Z").into(),
        ..Task::blank()
    };
    task.missed = Some(MissedPolicy::Skip);
    let now = utc("2026-12-01T10:05:00Z");
    assert!(!claim(&task, now, 600, due(), never, || unreachable!()).missed());
    assert!(claim(&task, now, 60, due(), never, || unreachable!()).missed());
    task.grace_seconds = Some(600);
    assert!(!claim(&task, now, 60, due(), never, || unreachable!()).missed());
    task.missed = None;
    let run = claim(
        &task,
        utc("2026-12-01T13:00:00Z"),
        60,
        due(),
        never,
        || unreachable!(),
    );
    assert_eq!(run.snapshot.late_by_seconds, Some(10_800));
    assert!(run.next.is_none());
}

#[test]
fn cancel_occurrence_links_the_next() {
    let task = occurrence(2, "2026-12-01T10:00:00Z", MissedPolicy::RunOnce);
    let mut cancelled = task.clone();
    let now = utc("2026-12-01T09:00:00Z");
    let next = after_skip(&mut cancelled, Status::Scheduled, now, never, || {
        "n3".into()
    })
    .unwrap();
    assert_eq!(next.run_at.to_string(), "2026-12-01T11:00:00Z");
    assert_eq!(next.status, Status::Scheduled);
    let series = next.series.unwrap();
    assert_eq!((series.occurrence, series.next_id), (3, None));
    assert_eq!(cancelled.series.unwrap().next_id.as_deref(), Some("n3"));
    // A paused series stays paused.
    let mut cancelled = task.clone();
    let next = after_skip(&mut cancelled, Status::Paused, now, never, || "n3".into()).unwrap();
    assert_eq!(next.status, Status::Paused);
}

#[test]
fn an_occurrence_that_linked_never_links_again() {
    let mut task = occurrence(2, "2026-12-01T10:00:00Z", MissedPolicy::RunOnce);
    task.series.as_mut().unwrap().next_id = Some("n3".into());
    // Whatever the store says (the successor archived and compacted away).
    let step = claim(
        &task,
        utc("2026-12-01T10:00:30Z"),
        600,
        due(),
        never,
        || unreachable!(),
    );
    assert!(step.next.is_none());
    assert_eq!(step.snapshot.series.unwrap().next_id.as_deref(), Some("n3"));
    let mut cancelled = task.clone();
    let now = utc("2026-12-01T10:00:30Z");
    assert!(after_skip(
        &mut cancelled,
        Status::Scheduled,
        now,
        never,
        || unreachable!()
    )
    .is_none());
    // A successor the store holds (a record from before `next_id`) is noted, not forked.
    let task = occurrence(2, "2026-12-01T10:00:00Z", MissedPolicy::RunOnce);
    let stored = |_: &str, _: u32| Some("old3".to_string());
    let step = claim(&task, now, 600, due(), stored, || unreachable!());
    assert!(step.next.is_none());
    assert_eq!(
        step.snapshot.series.unwrap().next_id.as_deref(),
        Some("old3")
    );
}

#[test]
fn lateness_is_judged_when_the_run_found_the_task_due() {
    let task = Task {
        run_at: utc("2026-12-01T10:00:00Z").into(),
        missed: Some(MissedPolicy::Skip),
        grace_seconds: Some(60),
        ..Task::blank()
    };
    // Found due 30 s after its time; reached 20 minutes later behind a slow task.
    let found = utc("2026-12-01T10:00:30Z");
    let reached = utc("2026-12-01T10:20:30Z");
    let step = claim(
        &task,
        reached,
        600,
        Trigger::Due(found),
        never,
        || unreachable!(),
    );
    assert_eq!(step.snapshot.status, Status::Executing);
    assert_eq!(step.snapshot.late_by_seconds, None);
    assert_eq!(step.snapshot.started_at, Some(reached.into()));
    let step = claim(&task, reached, 600, due(), never, || unreachable!());
    assert!(step.missed());
}

#[test]
fn breaker_counts_failures_and_pauses() {
    let mut done = occurrence(1, "2026-12-01T10:00:00Z", MissedPolicy::RunOnce);
    let next = occurrence(2, "2026-12-01T11:00:00Z", MissedPolicy::RunOnce);
    done.status = Status::Failed;
    let (updated, paused) = after_outcome(&done, &next).unwrap();
    assert!(!paused);
    assert_eq!(updated.series.as_ref().unwrap().consecutive_failures, 1);
    // The second failure in a row trips pause_after = 2.
    done.series.as_mut().unwrap().consecutive_failures = 1;
    let (updated, paused) = after_outcome(&done, &updated).unwrap();
    assert!(paused);
    assert_eq!(updated.status, Status::Paused);
    assert_eq!(updated.series.unwrap().consecutive_failures, 0);
    // A success resets; a missed occurrence changes nothing.
    done.status = Status::Completed;
    let mut counted = next.clone();
    counted.series.as_mut().unwrap().consecutive_failures = 1;
    assert_eq!(
        after_outcome(&done, &counted)
            .unwrap()
            .0
            .series
            .unwrap()
            .consecutive_failures,
        0
    );
    done.status = Status::Missed;
    assert!(after_outcome(&done, &counted).is_none());
    // pause_after 0 never pauses.
    done.status = Status::Failed;
    done.series.as_mut().unwrap().consecutive_failures = 50;
    counted.series.as_mut().unwrap().pause_after = 0;
    assert!(!after_outcome(&done, &counted).unwrap().1);
}

#[test]
fn an_explicit_execute_runs_what_skip_would_miss() {
    let task = occurrence(1, "2026-12-01T07:00:00Z", MissedPolicy::Skip);
    let now = utc("2026-12-01T10:12:00Z");
    let step = claim(&task, now, 600, Trigger::Explicit, never, || "n".into());
    assert_eq!(step.snapshot.status, Status::Executing);
    assert_eq!(step.snapshot.missed_fires, Some(3));
    let one_shot = Task {
        run_at: utc("2026-12-01T07:00:00Z").into(),
        missed: Some(MissedPolicy::Skip),
        ..Task::blank()
    };
    let step = claim(
        &one_shot,
        now,
        600,
        Trigger::Explicit,
        never,
        || unreachable!(),
    );
    assert_eq!(step.snapshot.status, Status::Executing);
    assert_eq!(step.snapshot.late_by_seconds, Some(11_520));
}

#[test]
fn an_on_time_run_at_a_gap_end_counts_the_fires_collapsed_into_it() {
    // `0,30 2 * * *` in New York: 02:00 and 02:30 on 2027-03-14 run once at 07:00Z.
    let mut task = occurrence(1, "2027-03-14T07:00:00Z", MissedPolicy::RunOnce);
    let series = task.series.as_mut().unwrap();
    series.every = None;
    series.cron = Some("0,30 2 * * *".into());
    series.timezone = "America/New_York".into();
    let step = claim(
        &task,
        utc("2027-03-14T07:00:30Z"),
        600,
        due(),
        never,
        || "n".into(),
    );
    assert_eq!(step.snapshot.status, Status::Executing);
    assert_eq!(step.snapshot.late_by_seconds, None);
    assert_eq!(step.snapshot.missed_fires, Some(1));
    // The next day's fires are plain ones.
    let next = step.next.unwrap();
    assert_eq!(next.run_at.to_string(), "2027-03-15T06:00:00Z");
    let step = claim(
        &next,
        utc("2027-03-15T06:00:10Z"),
        600,
        due(),
        never,
        || "m".into(),
    );
    assert_eq!(step.snapshot.missed_fires, None);
}

#[test]
fn a_claim_taken_again_stands_for_the_fire_it_chose() {
    // Run-once, 3 h late: the claim chooses 13:00 (three folded fires) and links 14:00.
    let task = occurrence(1, "2026-12-01T10:00:00Z", MissedPolicy::RunOnce);
    let first = claim(
        &task,
        utc("2026-12-01T13:20:00Z"),
        600,
        due(),
        never,
        || "occ2".into(),
    );
    assert_eq!(first.snapshot.run_at.to_string(), "2026-12-01T13:00:00Z");
    assert_eq!(first.snapshot.missed_fires, Some(3));
    assert_eq!(
        first.next.as_ref().unwrap().run_at.to_string(),
        "2026-12-01T14:00:00Z"
    );
    // Its executor never started; taken again at 15:30, when 15:00 is the latest fire
    // (its successor's territory): it still stands for 13:00, runs late, links nothing.
    let again = lifecycle::unclaim(&first.snapshot);
    let second = claim(
        &again,
        utc("2026-12-01T15:30:00Z"),
        600,
        due(),
        never,
        || panic!("nothing new is linked"),
    );
    assert_eq!(second.snapshot.status, Status::Executing);
    assert_eq!(second.snapshot.run_at.to_string(), "2026-12-01T13:00:00Z");
    assert_eq!(
        second.snapshot.missed_fires,
        Some(3),
        "the folded fires stay counted"
    );
    assert_eq!(second.snapshot.late_by_seconds, Some(9000));
    assert!(second.next.is_none());
    // The same after a runner error released it.
    let released = lifecycle::release(&task, &first.snapshot, "runner error: x");
    assert_eq!(released.run_at.to_string(), "2026-12-01T13:00:00Z");
    let third = claim(
        &released,
        utc("2026-12-01T15:30:00Z"),
        600,
        due(),
        never,
        || panic!("nothing new is linked"),
    );
    assert_eq!(third.snapshot.run_at.to_string(), "2026-12-01T13:00:00Z");
}

/// The next occurrence gets its own value for exactly the fields `task::fields` marks
/// `RESET`, and a copy of every other (unknown fields too).
#[test]
fn the_next_occurrence_resets_exactly_the_reset_fields() {
    use crate::task::fields::{tests::every_field_set, FIELDS};
    let mut task = every_field_set();
    task.status = Status::Cancelled;
    task.extra
        .insert("owner".into(), serde_json::json!({"x": 1}));
    let next = after_skip(
        &mut task.clone(),
        Status::Scheduled,
        utc("2026-12-01T10:05:00Z"),
        never,
        || "n2".into(),
    )
    .unwrap();
    let (before, after) = (
        serde_json::to_value(&task).unwrap(),
        serde_json::to_value(&next).unwrap(),
    );
    for field in FIELDS {
        let changed = before.get(field.name) != after.get(field.name);
        assert_eq!(
            changed,
            field.reset(),
            "{}: {:?} -> {:?}",
            field.name,
            before.get(field.name),
            after.get(field.name)
        );
    }
    assert_eq!(after["owner"], before["owner"]);
    assert_eq!(next.series.unwrap().occurrence, 2);
}
