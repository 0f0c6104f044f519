//! The pure choice of a record for a handle.

use super::*;
use crate::series::Series;
use crate::task::{MissedPolicy, Status};

fn occurrence(id: &str, k: u32, status: Status) -> Task {
    Task {
        id: id.into(),
        status,
        key: Some("nightly".into()),
        series: Some(Series {
            id: "s1".into(),
            every: Some("1d".into()),
            cron: None,
            timezone: "UTC".into(),
            until: None,
            count: None,
            occurrence: k,
            missed: MissedPolicy::RunOnce,
            grace_seconds: 600,
            pause_after: 5,
            consecutive_failures: 0,
            next_id: None,
            extra: Default::default(),
        }),
        ..Task::blank()
    }
}

fn series_going_on() -> Vec<Task> {
    vec![
        occurrence("s1", 1, Status::Completed),
        occurrence("s2", 2, Status::Completed),
        occurrence("s3", 3, Status::Executing),
        occurrence("s4", 4, Status::Scheduled),
    ]
}

fn id(text: &str) -> Selector {
    Selector::Id(text.into())
}

fn picked(selector: &Selector, seen: &[Task], purpose: Purpose) -> Option<String> {
    let all = series_going_on();
    pick(selector, seen, purpose, |_| Ok(all.clone()))
        .unwrap()
        .map(|t| t.id)
}

#[test]
fn a_series_id_names_the_pending_occurrence() {
    let seen = series_going_on();
    for purpose in [Purpose::Act, Purpose::Show] {
        assert_eq!(picked(&id("s1"), &seen, purpose).as_deref(), Some("s4"));
    }
    // Archived and compacted: only the later occurrences still mention it.
    assert_eq!(
        picked(&id("s1"), &seen[2..], Purpose::Act).as_deref(),
        Some("s4")
    );
}

#[test]
fn a_key_names_its_newest_live_holder() {
    let key = Selector::Key("nightly".into());
    assert_eq!(
        picked(&key, &series_going_on(), Purpose::Act).as_deref(),
        Some("s4")
    );
    let one_shot = Task {
        id: "t1".into(),
        key: Some("nightly".into()),
        status: Status::Completed,
        ..Task::blank()
    };
    assert_eq!(
        picked(&key, std::slice::from_ref(&one_shot), Purpose::Act),
        None
    );
    assert_eq!(
        picked(&key, &[one_shot], Purpose::Show).as_deref(),
        Some("t1")
    );
}

#[test]
fn a_finished_occurrence_names_the_live_one_to_act_on_but_shows_itself() {
    let seen = vec![occurrence("s2", 2, Status::Completed)];
    let err = pick(&id("s2"), &seen, Purpose::Act, |_| Ok(series_going_on())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "task s2 already completed; its series continues as s4 (use the series id s1 or --key nightly)"
    );
    assert_eq!(
        picked(&id("s2"), &seen, Purpose::Show).as_deref(),
        Some("s2")
    );
}

#[test]
fn an_ended_series_shows_its_last_record_and_acts_on_it() {
    let ended = vec![
        occurrence("s1", 1, Status::Completed),
        occurrence("s2", 2, Status::Cancelled),
    ];
    assert_eq!(
        picked(&id("s1"), &ended, Purpose::Show).as_deref(),
        Some("s2")
    );
    let no_live = |_: &str| Ok(ended.clone());
    let own = pick(&id("s2"), &ended, Purpose::Act, no_live).unwrap();
    assert_eq!(own.map(|t| t.id).as_deref(), Some("s2"));
}

#[test]
fn a_plain_task_is_itself_and_an_unknown_one_nothing() {
    let task = Task {
        id: "t1".into(),
        status: Status::Failed,
        ..Task::blank()
    };
    assert_eq!(
        picked(&id("t1"), std::slice::from_ref(&task), Purpose::Act).as_deref(),
        Some("t1")
    );
    assert_eq!(picked(&id("t9"), &[task], Purpose::Act), None);
}
