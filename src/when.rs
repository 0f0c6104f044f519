//! Time expressions (`--when`): text → UTC instant, given `now` and a zone. Pure.
//! PLACEHOLDER until the grammar branch lands: durations like `10m` and RFC 3339 only.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub at: DateTime<Utc>,
    pub in_past: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhenError(String);

impl std::fmt::Display for WhenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for WhenError {}

pub const EXAMPLES: &str = "  now, 10m, 2h";

pub fn parse(input: &str, now: DateTime<Utc>, _tz: Tz) -> Result<Resolved, WhenError> {
    let t = input.trim();
    if t == "now" {
        return Ok(Resolved {
            at: now,
            in_past: false,
        });
    }
    if let Some(n) = t
        .strip_suffix('m')
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n > 0)
    {
        return Ok(Resolved {
            at: now + chrono::Duration::minutes(n),
            in_past: false,
        });
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        let at = at.with_timezone(&Utc);
        return Ok(Resolved {
            at,
            in_past: at < now,
        });
    }
    Err(WhenError("unrecognised expression".into()))
}

pub fn relative(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    format!("{}s", (at - now).num_seconds())
}
