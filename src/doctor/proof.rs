//! The proof check (SPEC §23): no fire executed more than once in the last 30 days,
//! counted as `defer stats` counts. Reads only; skipped while nothing has run yet.

use chrono::{DateTime, Duration, Utc};

use super::Row;
use crate::config::Paths;
use crate::stats::{self, Select};
use crate::store::Store;

const CHECK: &str = "duplicates";
const DAYS: i64 = 30;

pub(super) fn duplicates(paths: &Paths, now: DateTime<Utc>) -> Row {
    // No lock file: nothing was ever written, and reading must not create one.
    if !paths.store_lock().exists() {
        return Row::ok(CHECK, "nothing has run yet");
    }
    let store = match Store::open(paths, true) {
        Ok(store) => store,
        Err(e) => {
            return Row::warn(
                CHECK,
                format!("not checked: {e:#}"),
                "fix the runtime dir rows above, then run doctor again",
            )
        }
    };
    let since = now - Duration::days(DAYS);
    let rows = match stats::collect(&store, paths, since, &Select::default()) {
        Ok(tasks) => stats::rows(&tasks, since, now),
        Err(e) => {
            return Row::warn(
                CHECK,
                format!("not checked: {e:#}"),
                "see 'defer stats --since 30d'",
            )
        }
    };
    let forked: Vec<String> = rows
        .iter()
        .filter(|r| r.duplicates > 0)
        .map(|r| {
            let name = r.series.as_deref().unwrap_or("one-shot tasks");
            format!("{name}: {} fire(s) executed twice", r.duplicates)
        })
        .collect();
    if forked.is_empty() {
        return Row::ok(
            CHECK,
            format!("no fire executed more than once in the last {DAYS} days"),
        );
    }
    Row::fail(
        CHECK,
        format!("in the last {DAYS} days, {}", forked.join("; ")),
        "see 'defer stats --since 30d --format table'; look for a copied record or a second \
         copy of this store run by another runner",
    )
}
