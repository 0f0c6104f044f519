//! `Timestamp`: a UTC instant stored as `YYYY-MM-DDTHH:MM:SSZ`, the record's only time format.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A whole-second UTC instant. Reads any RFC 3339 form (records written by hand or by
/// the original scripts), always writes `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Truncates to whole seconds, as the record stores them.
    pub fn new(at: DateTime<Utc>) -> Self {
        Timestamp(DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at))
    }

    pub fn at(self) -> DateTime<Utc> {
        self.0
    }

    /// The latest instant the record's format can hold: `9999-12-31T23:59:59Z`.
    pub fn max() -> Self {
        let last = NaiveDate::from_ymd_opt(9999, 12, 31).and_then(|d| d.and_hms_opt(23, 59, 59));
        Timestamp(last.expect("a valid date").and_utc())
    }

    /// `self + delay`, saturating at `Timestamp::max()`: timestamp arithmetic never
    /// panics, and never writes a year the record cannot read back.
    pub fn saturating_add(self, delay: std::time::Duration) -> Self {
        chrono::TimeDelta::from_std(delay)
            .ok()
            .and_then(|delta| self.0.checked_add_signed(delta))
            .map_or(Timestamp::max(), Timestamp::new)
            .min(Timestamp::max())
    }

    /// `YYYYMM` of this instant, the archive file's month.
    pub fn year_month(self) -> String {
        self.0.format("%Y%m").to_string()
    }

    /// Parses the canonical form quickly, any RFC 3339 form otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(ts) = Timestamp::parse_canonical(text.as_bytes()) {
            return Some(ts);
        }
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ") {
            return Some(Timestamp::new(naive.and_utc()));
        }
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|at| Timestamp::new(at.with_timezone(&Utc)))
    }
}

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SSZ` read digit by digit (every record has several, and a
    /// format-string parse was a tenth of a scan). `None` for anything else, including
    /// leap seconds, which then take the general path.
    fn parse_canonical(b: &[u8]) -> Option<Self> {
        let shape = b.len() == 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'Z';
        if !shape {
            return None;
        }
        let num = |from: usize, to: usize| {
            b[from..to].iter().try_fold(0u32, |n, &d| {
                d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
            })
        };
        let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
        let second = num(17, 19)?;
        if second >= 60 {
            return None;
        }
        let time = NaiveTime::from_hms_opt(num(11, 13)?, num(14, 16)?, second)?;
        Some(Timestamp(date.and_time(time).and_utc()))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Timestamp::new(at)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

impl FromStr for Timestamp {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(text).ok_or_else(|| format!("invalid timestamp '{text}'"))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_string(TimestampVisitor)
    }
}

/// Reads the string without copying it; accepts what a `String` accepts.
struct TimestampVisitor;

impl serde::de::Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Timestamp, E> {
        text.parse().map_err(E::custom)
    }

    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Timestamp, E> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.visit_str(text),
            Err(_) => Err(E::invalid_value(serde::de::Unexpected::Bytes(bytes), &self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_round_trip() {
        let ts: Timestamp = "2026-04-08T16:35:00Z".parse().unwrap();
        assert_eq!(ts.to_string(), "2026-04-08T16:35:00Z");
        assert_eq!(ts.year_month(), "202604");
    }

    #[test]
    fn offsets_and_fractions_normalise_to_utc_seconds() {
        let ts: Timestamp = "2026-04-08T18:35:00.75+02:00".parse().unwrap();
        assert_eq!(ts.to_string(), "2026-04-08T16:35:00Z");
    }

    #[test]
    fn canonical_fast_path_agrees_with_the_format_parse() {
        let slow = |t: &str| {
            NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%SZ")
                .ok()
                .map(|n| Timestamp::new(n.and_utc()))
        };
        for text in [
            "2026-04-08T16:35:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2024-02-29T12:00:00Z",
            "2025-02-29T12:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-04-08T24:00:00Z",
            "2026-04-08T16:60:00Z",
            "2026-04-08T16:35:60Z",
            "2026-04-08T16:35:61Z",
            "2026-04-08 16:35:00Z",
            "2026-04-08T16:35:00z",
            "2026-4-08T16:35:00ZZ",
            "+026-04-08T16:35:00Z",
            "2026-04-08T16:3a:00Z",
            "２026-04-08T16:35:00Z",
        ] {
            let fast = Timestamp::parse_canonical(text.as_bytes());
            if fast.is_some() {
                assert_eq!(fast, slow(text), "{text}");
            }
            assert_eq!(
                Timestamp::parse(text).is_some(),
                slow(text).is_some() || DateTime::parse_from_rfc3339(text).is_ok(),
                "{text}"
            );
        }
        assert!(Timestamp::parse_canonical(b"2026-04-08T16:35:00Z").is_some());
    }

    #[test]
    fn wrong_types_fail_as_for_a_string() {
        let err = serde_json::from_str::<Timestamp>("5")
            .unwrap_err()
            .to_string();
        let expected = serde_json::from_str::<String>("5").unwrap_err().to_string();
        assert_eq!(err, expected);
        let ts: Timestamp = serde_json::from_str(r#""2026-04-08T16:35:00\u005a""#).unwrap();
        assert_eq!(ts.to_string(), "2026-04-08T16:35:00Z");
    }

    #[test]
    fn adding_saturates_at_the_last_readable_second() {
        use std::time::Duration;
        let ts: Timestamp = "2026-04-08T16:35:00Z".parse().unwrap();
        let later = ts.saturating_add(Duration::from_secs(60));
        assert_eq!(later.to_string(), "2026-04-08T16:36:00Z");
        let max = Timestamp::max();
        assert_eq!(max.to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(max.to_string().parse::<Timestamp>(), Ok(max));
        for delay in [10_000_000_000_000, u64::MAX] {
            assert_eq!(ts.saturating_add(Duration::from_secs(delay)), max);
        }
        assert_eq!(max.saturating_add(Duration::from_secs(1)), max);
        let late: Timestamp = "9995-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(late.saturating_add(Duration::from_secs(315_360_000)), max);
    }

    #[test]
    fn garbage_is_rejected() {
        assert!("2026-04-08".parse::<Timestamp>().is_err());
        assert!("yesterday".parse::<Timestamp>().is_err());
    }
}
