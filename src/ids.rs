//! Generated task ids: `task_YYYYMMDD_HHMMSS_<12 hex>`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new id for a task created at `now`. The suffix is 48 bits from a hasher seeded by
/// the OS's randomness (std's `RandomState`), mixed with the process id, a per-process
/// counter and the clock's nanoseconds; the store also rejects an id it already holds,
/// so a collision is retried, never stored.
pub fn generate(now: DateTime<Utc>) -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(now.timestamp_subsec_nanos());
    let suffix = hasher.finish() & 0xffff_ffff_ffff;
    format!("task_{}_{suffix:012x}", now.format("%Y%m%d_%H%M%S"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::is_valid_id;
    use std::collections::HashSet;

    #[test]
    fn shape_and_uniqueness_within_one_second() {
        let now = DateTime::from_timestamp(1_775_666_100, 0).unwrap();
        let ids: HashSet<String> = (0..10_000).map(|_| generate(now)).collect();
        assert_eq!(ids.len(), 10_000);
        let id = ids.iter().next().unwrap();
        assert!(id.starts_with("task_20260408_163500_"), "{id}");
        assert_eq!(id.len(), "task_20260408_163500_".len() + 12);
        assert!(is_valid_id(id));
    }
}
