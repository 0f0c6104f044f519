//! Clock changes in cron schedules as Vixie cron handles them (SPEC §19). Pure.
//!
//! A schedule is *fixed-time* when neither its minute nor its hour field starts with `*`
//! (`30 1 * * *`, `0 1,13 * * *`, `0,30 2 * * *`, `@daily`), else *wildcard*
//! (`15 * * * *`, `*/30 2 * * *`, `@hourly`). A fixed-time wall time fires once: at
//! its instant; in a repeated (fall-back) hour at its first pass; inside a skipped
//! (spring-forward) gap at the first valid instant after the gap, where all the gap's
//! wall times collapse into that one fire. Wildcard schedules follow real time, which
//! croner already does for them. croner counts only single values as fixed (a list
//! like `0 1,13` steps through both passes and `0,30 2` loses the gap day), so for
//! fixed-time schedules defer walks the wall clock itself: croner, run in UTC, only
//! says which wall times match.

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;

/// How a cron schedule meets a clock change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CronKind {
    /// Minute and hour fields are values, lists or ranges: each wall time fires once.
    FixedTime,
    /// The minute or hour field starts with `*`: fires follow real time.
    Wildcard,
}

/// The kind of a 5-field expression or nickname (`@hourly` is `0 * * * *`, a wildcard;
/// the other nicknames fire at 00:00, fixed).
pub fn kind_of(expr: &str) -> CronKind {
    let expr = expr.trim();
    if expr.starts_with('@') {
        return match expr.eq_ignore_ascii_case("@hourly") {
            true => CronKind::Wildcard,
            false => CronKind::FixedTime,
        };
    }
    let mut fields = expr.split_whitespace();
    let starred = |field: Option<&str>| field.is_some_and(|f| f.starts_with('*'));
    match starred(fields.next()) || starred(fields.next()) {
        true => CronKind::Wildcard,
        false => CronKind::FixedTime,
    }
}

/// The first fire strictly after `t` of a fixed-time schedule in `tz`.
pub fn next_fixed(cron: &Cron, tz: Tz, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut wall = t.with_timezone(&tz).naive_local();
    // Wall times map to instants in order, so the answer is the first matching wall
    // time after `t`'s whose instant is after `t`. Only when `t` is in the second pass
    // of a repeated hour do some of them map back into the first pass (< t).
    loop {
        wall = next_wall(cron, wall)?;
        match instant(tz, wall) {
            Some(at) if at > t => return Some(at),
            _ => {}
        }
    }
}

/// Up to `n` latest fires at or before `end` of a fixed-time schedule, oldest first.
pub fn latest_fixed(cron: &Cron, tz: Tz, end: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    // A wall time later than `end`'s can still fire before `end` when `end` is in the
    // second pass of a repeated hour: start that far ahead (the offset it dropped by).
    let offset = |at: DateTime<Utc>| {
        i64::from(
            tz.offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    };
    let dropped = (offset(end - TimeDelta::days(2)) - offset(end)).max(0);
    let mut wall = end.with_timezone(&tz).naive_local() + TimeDelta::seconds(dropped);
    let mut inclusive = true;
    let mut fires: Vec<DateTime<Utc>> = Vec::new();
    while fires.len() < n {
        let Ok(found) = cron.find_previous_occurrence(&wall.and_utc(), inclusive) else {
            break;
        };
        wall = found.naive_utc();
        inclusive = false;
        match instant(tz, wall) {
            Some(at) if at <= end && fires.last() != Some(&at) => fires.push(at),
            _ => {}
        }
    }
    fires.reverse();
    fires
}

/// How many of a fixed-time schedule's wall times fire at `fire`: 1, or more when
/// `fire` ends a spring-forward gap that held some of them (they collapse into it).
pub fn collapsed_at(cron: &Cron, tz: Tz, fire: DateTime<Utc>) -> u64 {
    let before = fire - TimeDelta::seconds(1);
    let wall_before = before.with_timezone(&tz).naive_local();
    let wall = fire.with_timezone(&tz).naive_local();
    if wall - wall_before <= TimeDelta::seconds(1) {
        return 1;
    }
    // The gap's wall times and `fire`'s own, each a fire standing for this instant.
    let mut count = 0;
    let mut at = wall_before;
    while let Some(next) = next_wall(cron, at).filter(|w| *w <= wall) {
        count += 1;
        at = next;
    }
    count.max(1)
}

/// The first wall time strictly after `wall` that the expression matches (croner in
/// UTC, where no clock changes).
fn next_wall(cron: &Cron, wall: NaiveDateTime) -> Option<NaiveDateTime> {
    cron.find_next_occurrence(&wall.and_utc(), false)
        .ok()
        .map(|at| at.naive_utc())
}

/// Where a fixed-time wall time fires: its instant; in a repeated hour the first pass;
/// in a gap the first valid instant after the gap.
pub fn instant(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(at) => Some(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => after_gap(tz, wall),
    }
}

/// The first valid instant after the gap `wall` lies in: the first wall time that
/// exists again, found by doubling a step (at most two days) and then halving.
fn after_gap(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    let exists = |w: NaiveDateTime| !matches!(tz.from_local_datetime(&w), LocalResult::None);
    let mut step = 60_i64;
    while !exists(wall + TimeDelta::seconds(step)) {
        step *= 2;
        if step > 2 * 86_400 {
            return None;
        }
    }
    let (mut lo, mut hi) = (0_i64, step);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match exists(wall + TimeDelta::seconds(mid)) {
            true => hi = mid,
            false => lo = mid,
        }
    }
    let hi = wall + TimeDelta::seconds(hi);
    tz.from_local_datetime(&hi)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
