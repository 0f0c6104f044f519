//! A series' schedule: `--every` (a fixed interval) or `--cron` (5 fields, stepped by
//! the `croner` crate in an IANA zone, clock changes as Vixie cron: `dst.rs`), and the
//! fires it yields. Pure.

use std::collections::VecDeque;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

use super::dst;

/// The shortest `--every`.
pub const MIN_EVERY_SECONDS: u64 = 60;

/// The longest `--every`: 10 years, the bound every duration setting has.
pub const MAX_EVERY_SECONDS: u64 = 315_360_000;

/// The most fires `defer when --next` (and the MCP `when` tool) previews.
pub const MAX_PREVIEW: u32 = 1000;

/// At most this many recent fires are kept by `Schedule::window` (`--missed all`).
pub const MAX_CATCH_UP: usize = 100;

/// Counting a cron series' missed fires stops here (a minutely cron ~70 days late), so
/// a claim holds the store lock for a bounded time; beyond it `count` is a lower bound.
pub const MAX_COUNTED: u64 = 100_000;

/// How a series steps from one fire to the next.
#[derive(Debug, Clone)]
pub enum Recurrence {
    /// A fixed number of seconds (a day is 86,400 s).
    Every(u64),
    /// A 5-field cron expression, evaluated in the schedule's zone.
    Cron(Box<Cron>),
}

/// A recurrence in a zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub recurrence: Recurrence,
    pub tz: Tz,
}

/// The fires after an anchor up to an instant.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Window {
    /// How many fires lie in (anchor, end].
    pub count: u64,
    /// The latest up to `MAX_CATCH_UP` of them, oldest first.
    pub recent: VecDeque<DateTime<Utc>>,
}

/// Parses `--every`: whole numbers with units `s m h d w` (`90m`, `1h30m`, `1d`,
/// `2 hours`), at least one minute. The error names what is accepted.
pub fn parse_every(text: &str) -> Result<u64, String> {
    const ACCEPTED: &str = "accepted: a duration from 1m to 10 years with units s, m, h, d, w, e.g. 15m, 1h, 1d12h, 1w; months are --cron's";
    let seconds = interval_seconds(text).ok_or_else(|| ACCEPTED.to_string())?;
    if seconds < MIN_EVERY_SECONDS {
        return Err(format!("shorter than 1m; {ACCEPTED}"));
    }
    if seconds > MAX_EVERY_SECONDS {
        return Err(format!("longer than 10 years; {ACCEPTED}"));
    }
    Ok(seconds)
}

/// `<digits><unit>` pairs, spaces allowed between them; verbose units too (the
/// exact units of `--when` durations: no months); a bare number is seconds.
pub(crate) fn interval_seconds(text: &str) -> Option<u64> {
    crate::when::parse_seconds(text)
}

/// Parses `--cron`: exactly 5 fields (minute hour day-of-month month day-of-week), names
/// like `mon`/`jan`, or `@hourly @daily @weekly @monthly @yearly`.
pub fn parse_cron(text: &str) -> Result<Cron, String> {
    const ACCEPTED: &str = "accepted: 5 fields 'minute hour day-of-month month day-of-week' such as '0 9 * * 1-5' or '*/15 * * * *', names like mon or jan, or @hourly, @daily, @weekly, @monthly, @yearly";
    let trimmed = text.trim();
    let fields = trimmed.split_whitespace().count();
    let nickname = trimmed.starts_with('@');
    if (!nickname && fields != 5) || (nickname && fields != 1) {
        return Err(cron_words::field_count(fields));
    }
    let parser = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build();
    let cron =
        parser
            .parse(trimmed)
            .map_err(|e| match (nickname, bad_field(&parser, trimmed)) {
                (true, _) => cron_words::nickname(trimmed),
                (false, Some((index, text))) => cron_words::field(index, text),
                (false, None) => format!("{}; {ACCEPTED}", one_line(&e.to_string())),
            })?;
    // A pattern that never fires (`0 0 31 2 *`) is as useless as a malformed one.
    let probe = DateTime::UNIX_EPOCH.with_timezone(&Tz::UTC);
    cron.find_next_occurrence(&probe, false)
        .map_err(|_| "it never fires: no date matches every field (like Feb 31)".to_string())?;
    Ok(cron)
}

/// The first field that fails on its own (the others set to `*`): its index and text.
fn bad_field<'a>(parser: &CronParser, pattern: &'a str) -> Option<(usize, &'a str)> {
    let fields: Vec<&str> = pattern.split_whitespace().collect();
    if fields.len() != 5 {
        return None;
    }
    (0..5).find_map(|i| {
        let mut probe = ["*"; 5];
        probe[i] = fields[i];
        parser
            .parse(&probe.join(" "))
            .is_err()
            .then_some((i, fields[i]))
    })
}

fn cron_of(recurrence: &Recurrence) -> Option<&Cron> {
    match recurrence {
        Recurrence::Cron(cron) => Some(cron),
        Recurrence::Every(_) => None,
    }
}

/// True for a fixed-time cron schedule (SPEC §19), whose clock changes defer handles.
fn is_fixed(cron: &Cron) -> bool {
    dst::kind_of(cron.as_str()) == dst::CronKind::FixedTime
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Schedule {
    /// The schedule a stored series names (exactly one of `every` and `cron`).
    pub fn from_parts(every: Option<&str>, cron: Option<&str>, zone: &str) -> Result<Self, String> {
        let tz: Tz = zone
            .parse()
            .map_err(|_| format!("unknown time zone '{zone}'"))?;
        let recurrence = match (every, cron) {
            (Some(every), None) => {
                Recurrence::Every(parse_every(every).map_err(|e| format!("every '{every}': {e}"))?)
            }
            (None, Some(cron)) => Recurrence::Cron(Box::new(
                parse_cron(cron).map_err(|e| format!("cron '{cron}': {e}"))?,
            )),
            _ => return Err("a series needs exactly one of every and cron".to_string()),
        };
        Ok(Schedule { recurrence, tz })
    }

    /// The first fire when `--when` is not given: the first cron fire strictly after
    /// `now`, or `now` + the interval.
    pub fn first(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.next_after(now, now)
    }

    /// The first fire strictly after `t` of the series whose fire `anchor` is (an
    /// interval series counts whole intervals from its anchor; a cron series fires
    /// where its expression does, whatever the anchor). `None` past year 9999.
    pub fn next_after(&self, anchor: DateTime<Utc>, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.recurrence {
            Recurrence::Every(step) => {
                let step = i64::try_from(*step).ok()?;
                let elapsed = t.signed_duration_since(anchor).num_seconds();
                let steps = if elapsed < 0 { 0 } else { elapsed / step + 1 };
                anchor.checked_add_signed(TimeDelta::try_seconds(steps.checked_mul(step)?)?)
            }
            Recurrence::Cron(cron) if is_fixed(cron) => dst::next_fixed(cron, self.tz, t),
            Recurrence::Cron(cron) => {
                let local = t.with_timezone(&self.tz);
                let next = cron.find_next_occurrence(&local, false).ok()?;
                Some(next.with_timezone(&Utc))
            }
        }
    }

    /// How many scheduled fires the fire at `at` stands for: 1, or more for a fixed-time
    /// cron fire that ends a spring-forward gap whose wall times collapsed into it.
    pub fn fires_at(&self, at: DateTime<Utc>) -> u64 {
        match &self.recurrence {
            Recurrence::Cron(cron) if is_fixed(cron) => dst::collapsed_at(cron, self.tz, at),
            _ => 1,
        }
    }

    /// The fires in (anchor, end]: how many (a collapsed gap fire counts each wall time
    /// it stands for), and the latest `MAX_CATCH_UP` of them.
    pub fn window(&self, anchor: DateTime<Utc>, end: DateTime<Utc>) -> Window {
        let mut window = Window::default();
        if end <= anchor {
            return window;
        }
        if let Recurrence::Every(step) = &self.recurrence {
            let step = *step as i64;
            let count = end.signed_duration_since(anchor).num_seconds() / step;
            let first_kept = (count - MAX_CATCH_UP as i64).max(0) + 1;
            window.count = count as u64;
            window.recent = (first_kept..=count)
                .filter_map(|k| anchor.checked_add_signed(TimeDelta::try_seconds(k * step)?))
                .collect();
            return window;
        }
        let mut at = anchor;
        while let Some(next) = self.next_after(anchor, at).filter(|n| *n <= end) {
            window.count += self.fires_at(next);
            window.recent.push_back(next);
            if window.recent.len() > MAX_CATCH_UP {
                window.recent.pop_front();
            }
            if window.count >= MAX_COUNTED {
                // A lower bound; the recent fires are read backwards from `end`.
                window.recent = self.latest_cron_fires(cron_of(&self.recurrence), end);
                break;
            }
            at = next;
        }
        window
    }

    fn latest_cron_fires(
        &self,
        cron: Option<&Cron>,
        end: DateTime<Utc>,
    ) -> VecDeque<DateTime<Utc>> {
        let mut recent = VecDeque::new();
        let Some(cron) = cron else {
            return recent;
        };
        if is_fixed(cron) {
            return dst::latest_fixed(cron, self.tz, end, MAX_CATCH_UP).into();
        }
        let mut at = end.with_timezone(&self.tz);
        let mut inclusive = true;
        while recent.len() < MAX_CATCH_UP {
            match cron.find_previous_occurrence(&at, inclusive) {
                Ok(prev) => {
                    recent.push_front(prev.with_timezone(&Utc));
                    at = prev;
                    inclusive = false;
                }
                Err(_) => break,
            }
        }
        recent
    }

    /// The next `n` fires after `now` (for `defer when --every/--cron`), interval fires
    /// counted from `now`; at most `MAX_PREVIEW`, whatever `n` asks.
    pub fn preview(&self, now: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let n = n.min(MAX_PREVIEW as usize);
        let mut fires = Vec::new();
        let mut at = now;
        while fires.len() < n {
            match self.next_after(now, at) {
                Some(next) => {
                    fires.push(next);
                    at = next;
                }
                None => break,
            }
        }
        fires
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.recurrence {
            Recurrence::Every(secs) => write!(f, "every {secs}s in {}", self.tz.name()),
            Recurrence::Cron(cron) => write!(f, "cron {} in {}", cron.pattern, self.tz.name()),
        }
    }
}

#[cfg(test)]
mod tests;

mod cron_words;
