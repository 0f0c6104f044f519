//! Lanes in the runner (SPEC §20): the count of busy slots one dispatch fills, against
//! the limits of `crate::lanes`.

use std::collections::HashMap;

pub use crate::lanes::{
    check_name, is_valid_name, Limits, DEFAULT_MAX_PARALLEL, MAX_PARALLEL, UNLISTED_LANE_LIMIT,
};

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
