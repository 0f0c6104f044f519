//! Generated task ids: `task_YYYYMMDD_HHMMSS_<12 base-36 digits>`, unique by
//! construction, so `schedule` need not read the store to check a generated id.
//!
//! The suffix encodes the process id (22 bits) and 40 bits of the wall clock's
//! nanoseconds, made strictly increasing within the process: 62 bits, written as 12
//! digits `0-9a-z` (36^12 > 2^62, so the encoding is one-to-one). Two equal
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
const PID_BITS: u32 = 22;
const SUFFIX_LEN: usize = 12;
const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// A new id for a task created at `now` (the prefix's date and time).
pub fn generate(now: DateTime<Utc>) -> String {
    let pid = u64::from(std::process::id()) & ((1 << PID_BITS) - 1);
    let suffix = base36((pid << CLOCK_BITS) | next_reading());
    format!("task_{}_{suffix}", now.format("%Y%m%d_%H%M%S"))
}

/// `value` as exactly `SUFFIX_LEN` base-36 digits.
fn base36(mut value: u64) -> String {
    let mut digits = [b'0'; SUFFIX_LEN];
    for digit in digits.iter_mut().rev() {
        *digit = DIGITS[(value % 36) as usize];
        value /= 36;
    }
    String::from_utf8(digits.to_vec()).expect("ASCII digits")
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
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
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
        assert_eq!(id.len(), "task_20260408_163500_".len() + 12);
    }

    #[test]
    fn base36_is_fixed_width_and_one_to_one_at_the_extremes() {
        assert_eq!(base36(0), "000000000000");
        assert_eq!(base36(35), "00000000000z");
        let max = (1u64 << (PID_BITS + CLOCK_BITS)) - 1;
        assert_eq!(base36(max).len(), 12);
        assert_ne!(base36(max), base36(max - 1));
        assert!(36u128.pow(12) > 1u128 << (PID_BITS + CLOCK_BITS));
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
        assert!(is_reserved("task_20260408_163500_0a3kz9x2m1qp"));
        assert!(
            !is_reserved("task_20260408_163500_4821"),
            "the original scripts' ids"
        );
        assert!(!is_reserved("task_20260408_163500_0A3KZ9X2M1QP"));
        assert!(!is_reserved("task_20260408_163500_0a3kz9x2m1q"));
        assert!(!is_reserved("my_task"));
    }
}
