//! The soak's checks, run on what the soak left behind (the active store, the archive
//! files, the executor's start log) against the oracle's fires: nothing runs twice or
//! off-phase, every fire up to the end is executed or recorded as missed or folded,
//! every series is one chain, the store is valid and every finished task is archived
//! exactly once. Each violation names the series, the occurrence and the fire.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::oracle::{self, Fire, Rule};

/// One soak series: its first occurrence's id, how it repeats, its `--missed` policy.
#[derive(Debug, Clone, Copy)]
pub struct SeriesSpec {
    pub id: &'static str,
    pub rule: Rule,
    pub missed: &'static str,
}

/// What the soak left behind, and the frame to judge it in.
pub struct World<'a> {
    pub zone: Tz,
    /// When the series were scheduled.
    pub start: DateTime<Utc>,
    /// The final clean `run`: every fire up to here must be accounted for.
    pub end: DateTime<Utc>,
    /// The `--when` of each `Every` series (its first fire), by series id.
    pub firsts: BTreeMap<&'static str, DateTime<Utc>>,
    pub specs: &'a [SeriesSpec],
    pub store_lines: Vec<String>,
    /// Archive files: name and lines.
    pub archive: Vec<(String, Vec<String>)>,
    /// The executor's log: `<task id> <DEFER_SCHEDULED_FOR> <series> <occurrence> <attempts>`.
    pub log: Vec<String>,
}

/// The figures of one soak (see docs/lifecycle.md, "Soak").
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Oracle fires up to the end, over all series.
    pub expected: usize,
    /// Distinct fires an executor started for.
    pub executed: usize,
    /// Fires standing behind `missed` occurrences (their `missed_fires`).
    pub missed: u64,
    /// Fires folded into a later run (`missed_fires` of run occurrences).
    pub folded: u64,
    /// Occurrences failed as `interrupted` whose executor had started.
    pub interrupted_started: usize,
    /// Occurrences failed as `interrupted` whose executor never started.
    pub interrupted_unstarted: usize,
}

/// A broken promise: which check, and the example.
#[derive(Debug, Clone)]
pub struct Violation {
    pub check: &'static str,
    pub text: String,
}

/// One occurrence as its latest snapshot says.
#[derive(Debug, Clone)]
struct Occ {
    id: String,
    k: u64,
    run_at: DateTime<Utc>,
    status: String,
    missed_fires: Option<u64>,
    error: Option<String>,
}

/// One executor start.
#[derive(Debug, Clone)]
struct Start {
    line: usize,
    task: String,
    scheduled_for: String,
    series: String,
    occurrence: String,
    attempts: String,
}

const LIVE: [&str; 3] = ["scheduled", "paused", "executing"];

/// Runs every check; returns the figures and the violations.
pub fn check(world: &World) -> (Tally, Vec<Violation>) {
    let mut out = Vec::new();
    let mut tally = Tally::default();
    let records = records(world, &mut out);
    let starts = starts(&world.log, &mut out);
    let mut by_series: BTreeMap<String, Vec<Occ>> = BTreeMap::new();
    for (id, record) in &records {
        match (record["series"]["id"].as_str(), occ(record)) {
            (Some(series), Some(o)) => by_series.entry(series.to_string()).or_default().push(o),
            _ => push(
                &mut out,
                "STRAY",
                format!("task {id} is no series occurrence: {record}"),
            ),
        }
    }
    for spec in world.specs {
        let mut occs = by_series.remove(spec.id).unwrap_or_default();
        occs.sort_by(|a, b| (a.k, &a.id).cmp(&(b.k, &b.id)));
        let first = world.firsts.get(spec.id).copied().unwrap_or(world.start);
        let horizon = world.end + Duration::days(3);
        let fires = oracle::fires(spec.rule, world.zone, first, world.start, horizon);
        let series = SeriesCheck {
            world,
            spec,
            fires: &fires,
            out: &mut out,
        };
        series.run(&occs, &starts, &mut tally);
    }
    for series in by_series.keys() {
        push(
            &mut out,
            "STRAY",
            format!("occurrences of an unknown series {series}"),
        );
    }
    (tally, out)
}

fn push(out: &mut Vec<Violation>, check: &'static str, text: String) {
    out.push(Violation { check, text });
}

/// The latest snapshot of every id (archive, then the active store); checks the store's
/// lines and the archive's "exactly once".
fn records(world: &World, out: &mut Vec<Violation>) -> BTreeMap<String, Value> {
    let mut active: BTreeMap<String, Value> = BTreeMap::new();
    for (i, line) in world.store_lines.iter().enumerate() {
        match serde_json::from_str::<Value>(line) {
            Ok(v) if v["id"].is_string() => {
                active.insert(v["id"].as_str().unwrap().to_string(), v);
            }
            _ => push(
                out,
                "INVALID LINE",
                format!("store line {}: {}", i + 1, cut(line)),
            ),
        }
    }
    let mut archived: BTreeMap<String, (Value, Vec<String>)> = BTreeMap::new();
    for (file, lines) in &world.archive {
        for (i, line) in lines.iter().enumerate() {
            match serde_json::from_str::<Value>(line) {
                Ok(v) if v["id"].is_string() => {
                    let entry = archived
                        .entry(v["id"].as_str().unwrap().to_string())
                        .or_insert((Value::Null, Vec::new()));
                    entry.0 = v;
                    entry.1.push(format!("{file}:{}", i + 1));
                }
                _ => push(
                    out,
                    "INVALID LINE",
                    format!("{file} line {}: {}", i + 1, cut(line)),
                ),
            }
        }
    }
    for (id, (value, places)) in &archived {
        if places.len() > 1 {
            push(
                out,
                "ARCHIVED TWICE",
                format!("task {id} ({}) at {}", value["status"], places.join(", ")),
            );
        }
        if let Some(live) = active.get(id) {
            push(
                out,
                "ARCHIVED AND ACTIVE",
                format!(
                    "task {id}: archived as {} at {}, active as {}",
                    value["status"],
                    places.join(", "),
                    live["status"]
                ),
            );
        }
    }
    for (id, value) in &active {
        let status = value["status"].as_str().unwrap_or("?");
        if !LIVE.contains(&status) {
            push(
                out,
                "NOT ARCHIVED",
                format!("task {id} is {status} but still in the active store after `archive`"),
            );
        }
    }
    let mut all: BTreeMap<String, Value> =
        archived.into_iter().map(|(id, (v, _))| (id, v)).collect();
    all.extend(active);
    all
}

fn occ(record: &Value) -> Option<Occ> {
    Some(Occ {
        id: record["id"].as_str()?.to_string(),
        k: record["series"]["occurrence"].as_u64()?,
        run_at: crate::support::instant(record["run_at"].as_str()?),
        status: record["status"].as_str()?.to_string(),
        missed_fires: record["missed_fires"].as_u64(),
        error: record["error"].as_str().map(str::to_string),
    })
}

fn starts(log: &[String], out: &mut Vec<Violation>) -> Vec<Start> {
    log.iter()
        .enumerate()
        .filter_map(|(i, line)| {
            let f: Vec<&str> = line.split(' ').collect();
            if f.len() != 5 || f.iter().any(|x| x.is_empty()) {
                push(
                    out,
                    "BAD LOG LINE",
                    format!("executor log line {}: {line:?}", i + 1),
                );
                return None;
            }
            Some(Start {
                line: i + 1,
                task: f[0].into(),
                scheduled_for: f[1].into(),
                series: f[2].into(),
                occurrence: f[3].into(),
                attempts: f[4].into(),
            })
        })
        .collect()
}

/// The checks of one series.
struct SeriesCheck<'a, 'w> {
    world: &'a World<'w>,
    spec: &'a SeriesSpec,
    fires: &'a [Fire],
    out: &'a mut Vec<Violation>,
}

impl SeriesCheck<'_, '_> {
    fn run(mut self, occs: &[Occ], starts: &[Start], tally: &mut Tally) {
        let end = self.world.end;
        tally.expected += self.fires.iter().filter(|f| f.at <= end).count();
        let chain = self.chain(occs);
        self.accounting(&chain, tally);
        self.executions(occs, starts, tally);
    }

    fn name(&self) -> String {
        let rule = match self.spec.rule {
            Rule::Cron(expr) => format!("--cron '{expr}'"),
            Rule::Every(text, _) => format!("--every {text}"),
        };
        format!(
            "series {} ({rule}, --missed {})",
            self.spec.id, self.spec.missed
        )
    }

    fn show(&self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&self.world.zone);
        format!(
            "{} ({})",
            at.format("%Y-%m-%dT%H:%M:%SZ"),
            local.format("%a %H:%M %Z")
        )
    }

    fn fire(&self, at: DateTime<Utc>) -> Option<&Fire> {
        self.fires.iter().find(|f| f.at == at)
    }

    fn violation(&mut self, check: &'static str, text: String) {
        let text = format!("{}: {text}", self.name());
        self.out.push(Violation { check, text });
    }

    /// One occurrence per number, 1..n without holes, one live occurrence (the last);
    /// returns the chain (the first snapshot of each number).
    fn chain(&mut self, occs: &[Occ]) -> Vec<Occ> {
        let mut chain: Vec<Occ> = Vec::new();
        for o in occs {
            match chain.last() {
                Some(prev) if prev.k == o.k => {
                    let text = format!(
                        "occurrence {} is held twice: {} ({}, {}) and {} ({}, {})",
                        o.k,
                        prev.id,
                        prev.status,
                        self.show(prev.run_at),
                        o.id,
                        o.status,
                        self.show(o.run_at)
                    );
                    self.violation("FORK", text);
                    continue;
                }
                Some(prev) if prev.k + 1 != o.k => {
                    let text = format!("occurrence numbers jump from {} to {}", prev.k, o.k);
                    self.violation("CHAIN GAP", text);
                }
                None if o.k != 1 => {
                    self.violation("CHAIN GAP", format!("the first occurrence is {}", o.k))
                }
                _ => {}
            }
            chain.push(o.clone());
        }
        let live: Vec<&Occ> = occs
            .iter()
            .filter(|o| LIVE.contains(&o.status.as_str()))
            .collect();
        let last_k = chain.last().map(|o| o.k);
        if live.len() != 1 || Some(live[0].k) != last_k {
            let list: Vec<String> = live
                .iter()
                .map(|o| format!("{} #{} {} {}", o.id, o.k, o.status, self.show(o.run_at)))
                .collect();
            self.violation(
                "LIVE",
                format!(
                    "{} live occurrences, expected exactly the last (#{}): [{}]",
                    live.len(),
                    last_k.unwrap_or(0),
                    list.join("; ")
                ),
            );
        }
        chain
    }

    /// Every occurrence stands for a fire, in order; every fire between two
    /// occurrences is counted by the `missed_fires` of the later (a fold) or of the
    /// earlier when it is `missed`; the last is still ahead of the end.
    fn accounting(&mut self, chain: &[Occ], tally: &mut Tally) {
        let mut prev: Option<&Occ> = None;
        for o in chain {
            if self.fire(o.run_at).is_none() {
                let text = format!(
                    "occurrence {} ({}, {}) stands for {}, which is not a fire; around it: {}",
                    o.k,
                    o.id,
                    o.status,
                    self.show(o.run_at),
                    self.around(o.run_at)
                );
                self.violation("OFF-PHASE RECORD", text);
            }
            let m = o.missed_fires.unwrap_or(0);
            match o.status.as_str() {
                "missed" => tally.missed += m.max(1),
                _ => tally.folded += m,
            }
            let low = prev.map_or(self.world.start, |p| p.run_at);
            if o.run_at <= low && prev.is_some() {
                let text = format!(
                    "occurrence {} stands for {}, not after occurrence {}'s {}",
                    o.k,
                    self.show(o.run_at),
                    o.k - 1,
                    self.show(low)
                );
                self.violation("ORDER", text);
            }
            self.gap(prev, o, low);
            prev = Some(o);
        }
        match chain.last() {
            Some(last) if last.run_at <= self.world.end => {
                let text = format!(
                    "occurrence {} ({}, {}) stands for {}, not after the final run at {}: the fires from there are unaccounted",
                    last.k, last.id, last.status, self.show(last.run_at), self.show(self.world.end)
                );
                self.violation("DUE LEFT", text);
            }
            None => self.violation("DUE LEFT", "no occurrence at all".into()),
            _ => {}
        }
    }

    /// The fires strictly between `prev` (or the start) and `o` against what the two
    /// records say they stand for. A collapsed gap fire may count its extra wall times
    /// or not (two accepted readings).
    fn gap(&mut self, prev: Option<&Occ>, o: &Occ, low: DateTime<Utc>) {
        let between: Vec<&Fire> = self
            .fires
            .iter()
            .filter(|f| f.at > low && f.at < o.run_at)
            .collect();
        let count = between.len() as i64;
        let nominal: i64 = between.iter().map(|f| f.nominal as i64).sum();
        let weight = |at: DateTime<Utc>| self.fire(at).map_or(1, |f| f.nominal as i64);
        let (by_prev, by_prev_nominal) = match prev {
            Some(p) if p.status == "missed" => {
                let m = p.missed_fires.unwrap_or(1) as i64;
                (m - 1, m - weight(p.run_at))
            }
            _ => (0, 0),
        };
        let (by_this, by_this_nominal) = match o.status.as_str() {
            "missed" => (0, 0),
            _ => {
                let m = o.missed_fires.unwrap_or(0) as i64;
                (m, m - (weight(o.run_at) - 1))
            }
        };
        if count == by_prev + by_this || nominal == by_prev_nominal + by_this_nominal {
            return;
        }
        let shown: Vec<String> = between.iter().take(6).map(|f| self.show(f.at)).collect();
        let more = if between.len() > 6 {
            format!(" and {} more", between.len() - 6)
        } else {
            String::new()
        };
        let prev_text = match prev {
            Some(p) => format!(
                "occurrence {} ({}, {}, {}, missed_fires {})",
                p.k,
                p.id,
                p.status,
                self.show(p.run_at),
                fires_text(p.missed_fires)
            ),
            None => format!("the start {}", self.show(self.world.start)),
        };
        let text = format!(
            "{count} fire(s) between {prev_text} and occurrence {} ({}, {}, {}, missed_fires {}): [{}{more}]; the records account for {}",
            o.k, o.id, o.status, self.show(o.run_at), fires_text(o.missed_fires), shown.join(", "), by_prev + by_this
        );
        self.violation("UNACCOUNTED", text);
    }

    /// No fire started twice, none off-phase; each start matches its record; a
    /// completed occurrence started once, a missed one never, an interrupted one at
    /// most once.
    fn executions(&mut self, occs: &[Occ], starts: &[Start], tally: &mut Tally) {
        let mine: Vec<&Start> = starts.iter().filter(|s| s.series == self.spec.id).collect();
        let mut per_fire: BTreeMap<&str, Vec<&Start>> = BTreeMap::new();
        for s in &mine {
            per_fire
                .entry(s.scheduled_for.as_str())
                .or_default()
                .push(s);
        }
        tally.executed += per_fire.len();
        for (fire, list) in &per_fire {
            let at = crate::support::instant(fire);
            if list.len() > 1 {
                let who: Vec<String> = list
                    .iter()
                    .map(|s| {
                        format!(
                            "{} (occurrence {}, attempts {}, log line {})",
                            s.task, s.occurrence, s.attempts, s.line
                        )
                    })
                    .collect();
                self.violation(
                    "DUPLICATE",
                    format!(
                        "fire {} started {} times: {}",
                        self.show(at),
                        list.len(),
                        who.join(", ")
                    ),
                );
            }
            if self.fire(at).is_none() {
                let text = format!(
                    "fire {} ran (task {}, occurrence {}), but it is not a fire; around it: {}",
                    self.show(at),
                    list[0].task,
                    list[0].occurrence,
                    self.around(at)
                );
                self.violation("OFF-PHASE RUN", text);
            }
        }
        let ids: BTreeSet<&str> = occs.iter().map(|o| o.id.as_str()).collect();
        for s in &mine {
            if !ids.contains(s.task.as_str()) {
                self.violation(
                    "UNKNOWN RUN",
                    format!("log line {}: task {} has no record", s.line, s.task),
                );
            }
        }
        for o in occs {
            let runs: Vec<&&Start> = mine.iter().filter(|s| s.task == o.id).collect();
            for s in &runs {
                if s.scheduled_for != o.run_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                    || s.occurrence != o.k.to_string()
                {
                    let text = format!("log line {}: task {} ran as occurrence {} for {}, its record is occurrence {} for {}", s.line, o.id, s.occurrence, s.scheduled_for, o.k, self.show(o.run_at));
                    self.violation("RUN/RECORD MISMATCH", text);
                }
            }
            let detail = format!(
                "occurrence {} ({}, {}, {})",
                o.k,
                o.id,
                o.status,
                self.show(o.run_at)
            );
            match (o.status.as_str(), runs.len()) {
                ("completed", 1) | ("missed", 0) | ("scheduled" | "paused", 0) => {}
                ("failed", n) if o.error.as_deref() == Some("interrupted") && n <= 1 => match n {
                    0 => tally.interrupted_unstarted += 1,
                    _ => tally.interrupted_started += 1,
                },
                ("failed", _) => self.violation(
                    "FAILED",
                    format!(
                        "{detail}: error {:?}, started {} time(s)",
                        o.error,
                        runs.len()
                    ),
                ),
                (_, n) => self.violation("STARTS", format!("{detail} started {n} time(s)")),
            }
        }
    }

    /// The fires next to `at`, for messages.
    fn around(&self, at: DateTime<Utc>) -> String {
        let before = self
            .fires
            .iter()
            .rev()
            .find(|f| f.at < at)
            .map(|f| self.show(f.at));
        let after = self
            .fires
            .iter()
            .find(|f| f.at > at)
            .map(|f| self.show(f.at));
        format!(
            "{} .. {}",
            before.unwrap_or_else(|| "-".into()),
            after.unwrap_or_else(|| "-".into())
        )
    }
}

fn fires_text(missed_fires: Option<u64>) -> String {
    missed_fires.map_or("none".into(), |n| n.to_string())
}

fn cut(line: &str) -> String {
    line.chars().take(160).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPECS: [SeriesSpec; 1] = [SeriesSpec {
        id: "s",
        rule: Rule::Cron("*/20 * * * *"),
        missed: "run-once",
    }];

    fn record(id: &str, k: u64, run_at: &str, status: &str, extra: Value) -> String {
        let mut v = json!({"id": id, "run_at": run_at, "status": status,
            "series": {"id": "s", "occurrence": k}});
        for (key, value) in extra.as_object().unwrap() {
            v[key] = value.clone();
        }
        v.to_string()
    }

    /// Started 00:07, fires 00:20 (completed), 00:40 (folded into 01:00's run), 01:00
    /// (completed late, missed_fires 1), next 01:20; final run 01:05.
    fn world(extra_log: &[&str], extra_active: &[String]) -> World<'static> {
        let archived = vec![
            record("s", 1, "2027-06-10T00:20:00Z", "completed", json!({})),
            record(
                "t2",
                2,
                "2027-06-10T01:00:00Z",
                "completed",
                json!({"missed_fires": 1}),
            ),
        ];
        let mut active = vec![record(
            "t3",
            3,
            "2027-06-10T01:20:00Z",
            "scheduled",
            json!({}),
        )];
        active.extend(extra_active.iter().cloned());
        let mut log = vec![
            "s 2027-06-10T00:20:00Z s 1 0".to_string(),
            "t2 2027-06-10T01:00:00Z s 2 0".to_string(),
        ];
        log.extend(extra_log.iter().map(|l| l.to_string()));
        World {
            zone: chrono_tz::UTC,
            start: crate::support::instant("2027-06-10T00:07:00Z"),
            end: crate::support::instant("2027-06-10T01:05:00Z"),
            firsts: BTreeMap::new(),
            specs: &SPECS,
            store_lines: active,
            archive: vec![("deferred_202706.jsonl".into(), archived)],
            log,
        }
    }

    fn checks(world: &World) -> Vec<&'static str> {
        checks_and_tally(world).1
    }

    fn checks_and_tally(world: &World) -> (Tally, Vec<&'static str>) {
        let (tally, violations) = check(world);
        (tally, violations.iter().map(|v| v.check).collect())
    }

    #[test]
    fn a_clean_history_passes_with_its_figures() {
        let (tally, found) = checks_and_tally(&world(&[], &[]));
        assert_eq!(found, Vec::<&str>::new());
        assert_eq!((tally.expected, tally.executed, tally.folded), (3, 2, 1));
    }

    #[test]
    fn a_fire_started_twice_is_a_duplicate() {
        let found = checks(&world(&["t2 2027-06-10T01:00:00Z s 2 0"], &[]));
        assert!(found.contains(&"DUPLICATE"), "{found:?}");
    }

    #[test]
    fn a_second_live_occurrence_is_a_fork() {
        let fork = record("u3", 3, "2027-06-10T01:20:00Z", "scheduled", json!({}));
        let found = checks(&world(&[], &[fork]));
        assert!(
            found.contains(&"FORK") && found.contains(&"LIVE"),
            "{found:?}"
        );
    }

    #[test]
    fn a_fire_nobody_accounts_for_is_reported() {
        let mut w = world(&[], &[]);
        w.archive[0].1[1] = record("t2", 2, "2027-06-10T01:00:00Z", "completed", json!({}));
        assert_eq!(checks(&w), ["UNACCOUNTED"]);
    }

    #[test]
    fn an_off_phase_start_and_an_invalid_line_are_reported() {
        let mut w = world(&[], &["{\"id\":\"torn".to_string()]);
        w.log[1] = "t2 2027-06-10T01:01:00Z s 2 0".into();
        let found = checks(&w);
        for check in ["INVALID LINE", "OFF-PHASE RUN", "RUN/RECORD MISMATCH"] {
            assert!(found.contains(&check), "{check}: {found:?}");
        }
    }
}
