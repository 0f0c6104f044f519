//! The `lane_holds` row (SPEC §22): lanes an executor's `retry` report (scope `lane`)
//! holds, and until when; their tasks wait, due or not, and that is no fault.

use super::Row;
use crate::hold::{self, Hold};

/// True when `lane` (`None`: no lane) is among the `holds` in force.
pub fn is_held(holds: &[Hold], lane: Option<&str>) -> bool {
    holds.iter().any(|h| h.lane.as_deref() == lane)
}

/// The row for the holds in force (`hold::active`).
pub fn lane_holds(holds: &[Hold]) -> Row {
    if holds.is_empty() {
        return Row::ok("lane_holds", "no lane is held");
    }
    let held: Vec<String> = holds
        .iter()
        .map(|h| {
            format!(
                "{} held until {} (task {}: {})",
                hold::lane_name(h.lane.as_deref()),
                h.until,
                h.task,
                h.reason
            )
        })
        .collect();
    Row::ok("lane_holds", held.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_are_listed_and_no_fault() {
        assert_eq!(lane_holds(&[]).detail, "no lane is held");
        let holds = [Hold {
            lane: Some("claude".into()),
            until: crate::timestamp::Timestamp::parse("2026-12-01T14:05:00Z").unwrap(),
            task: "t1".into(),
            reason: "rate limit five_hour".into(),
        }];
        assert!(is_held(&holds, Some("claude")) && !is_held(&holds, None));
        let held = lane_holds(&holds);
        assert_eq!(held.status, super::super::Level::Ok);
        assert_eq!(
            held.detail,
            "lane claude held until 2026-12-01T14:05:00Z (task t1: rate limit five_hour)"
        );
    }
}
