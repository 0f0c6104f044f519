use super::*;
use chrono::TimeDelta;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn hourly() -> Schedule {
    Schedule::from_parts(Some("1h"), None, "UTC").unwrap()
}

const FIRE: &str = "2026-12-01T07:00:00Z";
/// 3h 12m after FIRE: fires at 08:00, 09:00 and 10:00 have passed too.
const NOW: &str = "2026-12-01T10:12:00Z";

#[test]
fn on_time_within_grace_runs_plainly() {
    let d = decide(
        utc(FIRE),
        utc("2026-12-01T07:10:00Z"),
        600,
        MissedPolicy::Skip,
        Some(&hourly()),
    );
    assert_eq!(
        d.claim,
        Claim::Run {
            fire: utc(FIRE),
            late: None
        }
    );
    assert_eq!(d.next_fire, Some(utc("2026-12-01T08:00:00Z")));
    let early = decide(
        utc(FIRE),
        utc("2026-12-01T06:00:00Z"),
        0,
        MissedPolicy::Skip,
        None,
    );
    assert_eq!(
        early.claim,
        Claim::Run {
            fire: utc(FIRE),
            late: None
        }
    );
}

#[test]
fn one_shot_run_and_skip() {
    let late = Lateness {
        late_by: 11_520,
        missed_fires: None,
    };
    let run = decide(utc(FIRE), utc(NOW), 600, MissedPolicy::Run, None);
    assert_eq!(
        run.claim,
        Claim::Run {
            fire: utc(FIRE),
            late: Some(late)
        }
    );
    assert_eq!(run.next_fire, None);
    let skip = decide(utc(FIRE), utc(NOW), 600, MissedPolicy::Skip, None);
    assert_eq!(skip.claim, Claim::Miss(late));
    // One second past the grace is late; the grace itself is not.
    let edge = utc(FIRE) + TimeDelta::seconds(600);
    assert!(matches!(
        decide(utc(FIRE), edge, 600, MissedPolicy::Skip, None).claim,
        Claim::Run { .. }
    ));
    let past = edge + TimeDelta::seconds(1);
    assert!(matches!(
        decide(utc(FIRE), past, 600, MissedPolicy::Skip, None).claim,
        Claim::Miss(_)
    ));
}

#[test]
fn run_once_runs_the_latest_fire_and_counts_the_rest() {
    let d = decide(
        utc(FIRE),
        utc(NOW),
        600,
        MissedPolicy::RunOnce,
        Some(&hourly()),
    );
    assert_eq!(
        d.claim,
        Claim::Run {
            fire: utc("2026-12-01T10:00:00Z"),
            late: Some(Lateness {
                late_by: 720,
                missed_fires: Some(3)
            }),
        }
    );
    assert_eq!(d.next_fire, Some(utc("2026-12-01T11:00:00Z")));
}

#[test]
fn skip_misses_every_passed_fire_and_continues_in_the_future() {
    let d = decide(
        utc(FIRE),
        utc(NOW),
        600,
        MissedPolicy::Skip,
        Some(&hourly()),
    );
    assert_eq!(
        d.claim,
        Claim::Miss(Lateness {
            late_by: 11_520,
            missed_fires: Some(4)
        })
    );
    assert_eq!(d.next_fire, Some(utc("2026-12-01T11:00:00Z")));
}

#[test]
fn all_runs_each_fire_in_order() {
    let d = decide(utc(FIRE), utc(NOW), 600, MissedPolicy::All, Some(&hourly()));
    assert_eq!(
        d.claim,
        Claim::Run {
            fire: utc(FIRE),
            late: Some(Lateness {
                late_by: 11_520,
                missed_fires: None
            })
        }
    );
    assert_eq!(d.next_fire, Some(utc("2026-12-01T08:00:00Z")));
}

#[test]
fn all_folds_fires_beyond_a_hundred_into_one_missed_occurrence() {
    let now = utc(FIRE) + TimeDelta::hours(150) + TimeDelta::minutes(5);
    let d = decide(utc(FIRE), now, 600, MissedPolicy::All, Some(&hourly()));
    // 151 fires (FIRE and 150 after it): the oldest 51 are missed, the last 100 run.
    assert_eq!(
        d.claim,
        Claim::Miss(Lateness {
            late_by: 150 * 3600 + 300,
            missed_fires: Some(51)
        })
    );
    assert_eq!(d.next_fire, Some(utc(FIRE) + TimeDelta::hours(51)));
    // That next occurrence then has exactly 100 fires to run: it runs.
    let next = decide(
        d.next_fire.unwrap(),
        now,
        600,
        MissedPolicy::All,
        Some(&hourly()),
    );
    assert!(matches!(next.claim, Claim::Run { late: Some(_), .. }));
}

#[test]
fn fires_collapsed_by_a_spring_forward_gap_count_as_missed() {
    // `0,30 2 * * *` in New York: on 2027-03-14 both 02:00 and 02:30 fall in the gap
    // and run once at 03:00 EDT (07:00Z).
    let gap = Schedule::from_parts(None, Some("0,30 2 * * *"), "America/New_York").unwrap();
    let before = utc("2027-03-13T07:30:00Z");
    let now = utc("2027-03-14T08:00:00Z");
    let run_once = decide(before, now, 600, MissedPolicy::RunOnce, Some(&gap));
    assert_eq!(
        run_once.claim,
        Claim::Run {
            fire: utc("2027-03-14T07:00:00Z"),
            late: Some(Lateness {
                late_by: 3_600,
                // 03-13 07:30Z did not run, nor one of the two gap fires.
                missed_fires: Some(2),
            })
        }
    );
    assert_eq!(run_once.next_fire, Some(utc("2027-03-15T06:00:00Z")));
    let skip = decide(before, now, 600, MissedPolicy::Skip, Some(&gap));
    assert_eq!(
        skip.claim,
        Claim::Miss(Lateness {
            late_by: 88_200,
            missed_fires: Some(3),
        })
    );
}
