//! Generated task ids: `task_YYYYMMDD_HHMMSS_<16 hex>`, unique by construction, so
//! `schedule` need not read the store to check a generated id.
//!
//! The suffix is the process id (6 hex digits) and 40 bits of the wall clock's
//! nanoseconds (10 hex digits), made strictly increasing within the process. Two equal
//! ids would need the same second, the same process id and the same clock reading: the
//! same process never repeats a reading, and two processes alive at once have different
//! ids. Explicit `--id`s of this exact shape are refused (`is_reserved`), so a chosen id
//! cannot take a generated one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};

/// The last clock reading this process used (40 bits of nanoseconds).
static LAST: AtomicU64 = AtomicU64::new(0);

const CLOCK_BITS: u32 = 40;
const SUFFIX_LEN: usize = 16;

/// A new id for a task created at `now` (the prefix's date and time).
pub fn generate(now: DateTime<Utc>) -> String {
    let pid = u64::from(std::process::id()) & 0xff_ffff;
    format!(
        "task_{}_{pid:06x}{:010x}",
        now.format("%Y%m%d_%H%M%S"),
        next_reading()
    )
}

/// The wall clock in nanoseconds (low 40 bits), strictly greater than the last reading
/// this process used, even if the clock stands still or steps back.
fn next_reading() -> u64 {
    let mask = (1u64 << CLOCK_BITS) - 1;
    let clock = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        & mask;
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = if clock > last {
            clock
        } else {
            (last + 1) & mask
        };
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// True for ids of the generated shape, which only `generate` may hand out.
pub fn is_reserved(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("task_") else {
        return false;
    };
    let bytes = rest.as_bytes();
    bytes.len() == 8 + 1 + 6 + 1 + SUFFIX_LEN
        && bytes[8] == b'_'
        && bytes[15] == b'_'
        && bytes[..8]
            .iter()
            .chain(&bytes[9..15])
            .all(u8::is_ascii_digit)
        && bytes[16..]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
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
        assert!(is_reserved(id) && is_valid_id(id), "{id}");
        let pid = format!("{:06x}", std::process::id() & 0xff_ffff);
        assert_eq!(&id["task_20260408_163500_".len()..][..6], pid);
    }

    #[test]
    fn unique_across_threads() {
        let now = DateTime::from_timestamp(1_775_666_100, 0).unwrap();
        let ids: Vec<String> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..4)
                .map(|_| s.spawn(move || (0..2_000).map(|_| generate(now)).collect::<Vec<_>>()))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 8_000);
    }

    #[test]
    fn reserved_shape() {
        assert!(is_reserved("task_20260408_163500_00a3f20012ab34cd"));
        assert!(
            !is_reserved("task_20260408_163500_4821"),
            "the original scripts' ids"
        );
        assert!(
            !is_reserved("task_20260408_163500_3f9a0c21d4e7"),
            "12 hex: ours before"
        );
        assert!(!is_reserved("task_20260408_163500_00A3F20012AB34CD"));
        assert!(!is_reserved("my_task"));
    }
}
