//! Lanes (SPEC §20): lane names, the limits `DEFER_MAX_PARALLEL` and `DEFER_LANES` set,
//! and the count of busy slots one dispatch fills.

use std::collections::{BTreeMap, HashMap};

use anyhow::{bail, Result};

use crate::config::Env;

/// `DEFER_MAX_PARALLEL` when unset: executors at once on this host, all lanes together.
pub const DEFAULT_MAX_PARALLEL: usize = 4;
/// The largest limit `DEFER_MAX_PARALLEL` or a lane in `DEFER_LANES` accepts.
pub const MAX_PARALLEL: usize = 256;
/// The limit of a named lane `DEFER_LANES` does not list: one task at a time.
pub const UNLISTED_LANE_LIMIT: usize = 1;

const NAME_RULE: &str = "a lowercase letter or digit, then up to 63 of a-z, 0-9, '_' or '-'";

/// True for a lane name: `[a-z0-9][a-z0-9_-]{0,63}`.
pub fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let body = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-';
    matches!(bytes.first(), Some(b) if b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.len() <= 64
        && bytes.iter().all(body)
}

/// `--lane`'s check: the name, or an error naming it and the rule.
pub fn check_name(name: &str) -> Result<()> {
    if !is_valid_name(name) {
        bail!(
            "invalid --lane '{}' (accepted: {NAME_RULE})",
            crate::text::escape_control(name)
        );
    }
    Ok(())
}

/// How many executors may run at once: in total and per named lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `DEFER_MAX_PARALLEL`: all lanes together; tasks without a lane share it.
    pub total: usize,
    /// `DEFER_LANES`: the named lanes' own limits.
    pub named: BTreeMap<String, usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            total: DEFAULT_MAX_PARALLEL,
            named: BTreeMap::new(),
        }
    }
}

impl Limits {
    /// From `DEFER_MAX_PARALLEL` and `DEFER_LANES`; a bad value is an error naming its
    /// variable and what is accepted.
    pub fn from_env(env: &Env) -> Result<Self> {
        Self::parse(env.get("DEFER_MAX_PARALLEL"), env.get("DEFER_LANES"))
    }

    /// `from_env` on the two values.
    pub fn parse(max_parallel: Option<&str>, lanes: Option<&str>) -> Result<Self> {
        let total = match max_parallel.map(str::trim) {
            None | Some("") => DEFAULT_MAX_PARALLEL,
            Some(text) => limit(text).ok_or_else(|| {
                anyhow::anyhow!(
                    "invalid DEFER_MAX_PARALLEL '{}' (accepted: a whole number from 1 to {MAX_PARALLEL})",
                    crate::text::escape_control(text)
                )
            })?,
        };
        let mut named = BTreeMap::new();
        for item in lanes.unwrap_or_default().split(',').map(str::trim) {
            if item.is_empty() {
                continue;
            }
            let bad = |why: &str| {
                anyhow::anyhow!(
                    "invalid DEFER_LANES entry '{}': {why} (accepted: name=limit pairs separated by commas, e.g. repo-a=1,research=3; a name is {NAME_RULE}, a limit 1 to {MAX_PARALLEL})",
                    crate::text::escape_control(item)
                )
            };
            let Some((name, value)) = item.split_once('=') else {
                return Err(bad("no '='"));
            };
            let name = name.trim();
            if !is_valid_name(name) {
                return Err(bad("bad lane name"));
            }
            let Some(value) = limit(value.trim()) else {
                return Err(bad("bad limit"));
            };
            if named.insert(name.to_string(), value).is_some() {
                return Err(bad("lane listed twice"));
            }
        }
        Ok(Limits { total, named })
    }

    /// The limit of `lane`: a named lane's own (1 unless listed), else the total.
    pub fn of(&self, lane: Option<&str>) -> usize {
        match lane {
            None => self.total,
            Some(name) => self.named.get(name).copied().unwrap_or(UNLISTED_LANE_LIMIT),
        }
    }
}

fn limit(text: &str) -> Option<usize> {
    text.parse().ok().filter(|n| (1..=MAX_PARALLEL).contains(n))
}

/// Busy slots, in total and per named lane, as one dispatch counts and fills them.
#[derive(Debug, Clone)]
pub struct Slots<'a> {
    limits: &'a Limits,
    total: usize,
    lanes: HashMap<String, usize>,
}

impl<'a> Slots<'a> {
    pub fn new(limits: &'a Limits) -> Self {
        Slots {
            limits,
            total: 0,
            lanes: HashMap::new(),
        }
    }

    /// Counts one more executing task of `lane`.
    pub fn take(&mut self, lane: Option<&str>) {
        self.total += 1;
        if let Some(name) = lane {
            *self.lanes.entry(name.to_string()).or_default() += 1;
        }
    }

    /// Counts one executing task of `lane` less (one being replaced).
    pub fn free(&mut self, lane: Option<&str>) {
        self.total = self.total.saturating_sub(1);
        if let Some(busy) = lane.and_then(|name| self.lanes.get_mut(name)) {
            *busy = busy.saturating_sub(1);
        }
    }

    /// True when one more task of `lane` fits its lane and the total.
    pub fn fits(&self, lane: Option<&str>) -> bool {
        let in_lane = match lane {
            None => true,
            Some(name) => self.busy(Some(name)) < self.limits.of(Some(name)),
        };
        in_lane && self.total < self.limits.total
    }

    /// Busy slots of `lane` (`None`: all lanes together).
    pub fn busy(&self, lane: Option<&str>) -> usize {
        match lane {
            None => self.total,
            Some(name) => self.lanes.get(name).copied().unwrap_or(0),
        }
    }

    /// The named lanes with a busy slot, by name.
    pub fn busy_lanes(&self) -> Vec<(&str, usize)> {
        let mut lanes: Vec<_> = self.lanes.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        lanes.sort();
        lanes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["a", "0", "repo-a", "research_2", &"a".repeat(64)] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["", "-a", "_a", "A", "repo a", "é", "a/b", &"a".repeat(65)] {
            assert!(!is_valid_name(bad), "{bad}");
        }
        let err = check_name("Repo").unwrap_err().to_string();
        assert!(err.contains("--lane 'Repo'"), "{err}");
    }

    #[test]
    fn limits_parse() {
        assert_eq!(Limits::parse(None, None).unwrap(), Limits::default());
        let l = Limits::parse(Some("8"), Some("repo-a=1, research=3,")).unwrap();
        assert_eq!(l.total, 8);
        assert_eq!(l.of(Some("research")), 3);
        assert_eq!(l.of(Some("repo-a")), 1);
        assert_eq!(l.of(Some("other")), UNLISTED_LANE_LIMIT);
        assert_eq!(l.of(None), 8);
        for bad in ["0", "257", "four", "-1", "1.5"] {
            let err = Limits::parse(Some(bad), None).unwrap_err().to_string();
            assert!(
                err.contains(&format!("DEFER_MAX_PARALLEL '{bad}'")),
                "{err}"
            );
        }
        for bad in ["a", "a=0", "A=1", "a=1,a=2", "a=x", "=1"] {
            let err = Limits::parse(None, Some(bad)).unwrap_err().to_string();
            assert!(err.starts_with("invalid DEFER_LANES entry"), "{err}");
        }
    }

    #[test]
    fn slots_fill_lanes_and_total() {
        let limits = Limits::parse(Some("3"), Some("research=2")).unwrap();
        let mut slots = Slots::new(&limits);
        assert!(slots.fits(Some("repo")));
        slots.take(Some("repo"));
        assert!(
            !slots.fits(Some("repo")),
            "an unlisted lane runs one at a time"
        );
        slots.take(Some("research"));
        assert!(slots.fits(Some("research")));
        assert!(slots.fits(None));
        slots.take(None);
        assert!(!slots.fits(None), "the total is full");
        assert!(!slots.fits(Some("research")), "the total caps every lane");
        assert_eq!(slots.busy(None), 3);
        assert_eq!(slots.busy_lanes(), vec![("repo", 1), ("research", 1)]);
    }
}
