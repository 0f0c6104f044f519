//! `Timestamp`: a UTC instant stored as `YYYY-MM-DDTHH:MM:SSZ`, the record's only time format.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
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

    /// `YYYYMM` of this instant, the archive file's month.
    pub fn year_month(self) -> String {
        self.0.format("%Y%m").to_string()
    }

    /// Parses the canonical form quickly, any RFC 3339 form otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ") {
            return Some(Timestamp::new(naive.and_utc()));
        }
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|at| Timestamp::new(at.with_timezone(&Utc)))
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
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
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
    fn garbage_is_rejected() {
        assert!("2026-04-08".parse::<Timestamp>().is_err());
        assert!("yesterday".parse::<Timestamp>().is_err());
    }
}
