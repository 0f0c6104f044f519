//! Lanes (SPEC §20): lane names and the limits `DEFER_MAX_PARALLEL` and `DEFER_LANES`
//! set (read through `config::Env::lane_limits`, so every command checks them alike).
//! Pure; the runner counts busy slots against them (`runner::lanes`).

use std::collections::BTreeMap;

use anyhow::{bail, Result};

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
    /// From the values of `DEFER_MAX_PARALLEL` and `DEFER_LANES`; a bad value is an
    /// error naming its variable and what is accepted.
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
