//! The `lanes` row (SPEC §20): each lane's use (`busy/limit`, busy = executing tasks
//! whose worker is alive) and the tasks waiting for a slot for over 10 minutes.

use chrono::{DateTime, Utc};

use super::store::View;
use super::Row;
use crate::heartbeat::{span, STALE_AFTER_SECONDS};
use crate::runner::lanes::{Limits, Slots};
use crate::task::Status;

/// What the row found: the row, and the ids of the overdue tasks it accounts for
/// (waiting for a slot, not for a runner).
pub(super) struct Use {
    pub row: Row,
    pub waiting: Vec<String>,
}

/// `live(id)`: the worker of executing task `id` holds its lock.
pub(super) fn lanes(
    view: &View,
    limits: &Limits,
    live: &dyn Fn(&str) -> bool,
    now: DateTime<Utc>,
) -> Use {
    let lane_of = |id: &str| view.lanes.get(id).map(String::as_str);
    let mut slots = Slots::new(limits);
    for (id, _, _) in view
        .tasks
        .iter()
        .filter(|(id, status, _)| *status == Status::Executing && live(id))
    {
        slots.take(lane_of(id));
    }
    let mut detail = format!("all lanes {}/{}", slots.busy(None), limits.total);
    let mut named: Vec<(&str, usize)> = slots.busy_lanes();
    for name in limits.named.keys() {
        if !named.iter().any(|(n, _)| n == name) {
            named.push((name, 0));
        }
    }
    named.sort();
    for (name, busy) in &named {
        detail.push_str(&format!(
            ", {} {busy}/{}",
            crate::text::escape_control(name),
            limits.of(Some(name))
        ));
    }
    let limit = now - chrono::Duration::seconds(STALE_AFTER_SECONDS);
    let mut waiting: Vec<&(String, Status, DateTime<Utc>)> = view
        .tasks
        .iter()
        .filter(|(id, status, at)| {
            *status == Status::Scheduled && *at < limit && !slots.fits(lane_of(id))
        })
        .collect();
    waiting.sort_by_key(|(_, _, at)| *at);
    let row = match waiting.first() {
        None => Row::ok("lanes", detail),
        Some((id, _, at)) => Row::warn(
            "lanes",
            format!(
                "{} task(s) waiting for a free slot for over 10 minutes (the oldest, {id}{}, for {}); {detail}",
                waiting.len(),
                lane_of(id).map_or(String::new(), |l| format!(
                    " in lane {}",
                    crate::text::escape_control(l)
                )),
                span(now.signed_duration_since(*at).num_seconds())
            ),
            "look for a hung executor ('defer list --status executing'), or raise DEFER_MAX_PARALLEL or the lane's limit in DEFER_LANES",
        ),
    };
    Use {
        row,
        waiting: waiting.iter().map(|(id, _, _)| id.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;

    fn at(minutes_ago: i64) -> DateTime<Utc> {
        now() - chrono::Duration::minutes(minutes_ago)
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn busy_over_limit_per_lane_and_tasks_waiting_for_a_slot() {
        let mut view = View {
            tasks: vec![
                ("run1".into(), Status::Executing, at(30)),
                ("dead".into(), Status::Executing, at(30)),
                ("wait".into(), Status::Scheduled, at(20)),
                ("fresh".into(), Status::Scheduled, at(2)),
                ("free".into(), Status::Scheduled, at(20)),
            ],
            ..View::default()
        };
        for id in ["run1", "dead", "wait", "fresh"] {
            view.lanes.insert(id.into(), "repo".into());
        }
        let limits = Limits::parse(Some("4"), Some("research=3")).unwrap();
        let live = |id: &str| id != "dead";
        let found = lanes(&view, &limits, &live, now());
        assert_eq!(found.row.status, Level::Warn);
        assert!(
            found
                .row
                .detail
                .starts_with("1 task(s) waiting for a free slot for over 10 minutes (the oldest, wait in lane repo, for 20m)"),
            "{}",
            found.row.detail
        );
        assert!(
            found
                .row
                .detail
                .ends_with("all lanes 1/4, repo 1/1, research 0/3"),
            "{}",
            found.row.detail
        );
        // `free` has no lane and a free slot: its lateness is the overdue row's.
        assert_eq!(found.waiting, ["wait"]);
        let idle = lanes(&View::default(), &limits, &live, now());
        assert_eq!(idle.row.status, Level::Ok);
        assert_eq!(idle.row.detail, "all lanes 0/4, research 0/3");
    }
}
