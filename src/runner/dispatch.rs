//! `defer run` with lanes (SPEC §20): a short dispatch under the runner lock — recover
//! dead workers' tasks, count live ones' slots, claim every due task that fits in one
//! append — then supervision, without that lock, of the executors it started (a thread
//! each), dispatching again whenever one of its slots frees and every `TICK`, until it
//! has nothing executing and nothing it could start.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use chrono::{DateTime, Utc};

use super::batch::Batch;
use super::lanes::Slots;
use super::liveness::TaskLock;
use super::prompts;
use super::worker::{Message, Start};
use super::{Paused, Report, Runner, RunnerLock};
use crate::attempt::{self, Facts};
use crate::command::Program;
use crate::executor;
use crate::ids;
use crate::lifecycle::{self, Output};
use crate::prompt;
use crate::series::chain::{self, ClaimStep, Trigger};
use crate::shutdown;
use crate::store::{BadLine, Exclusive, Locked, Scan};
use crate::task::{Overlap, ResultType, Status, Task};

/// How often a supervising run looks for tasks that became due or slots another run
/// freed, when none of its own executors ended meanwhile.
const TICK: Duration = Duration::from_secs(2);
/// How often the supervising thread looks for a worker's message.
const POLL: Duration = Duration::from_millis(20);

/// What one dispatch did.
#[derive(Default)]
struct Round {
    started: Vec<Start>,
    /// Outcomes recorded in the dispatch itself (missed, prompt only, recovered), to
    /// report and hook off the dispatching thread.
    settled: Vec<(Task, Vec<Paused>)>,
    /// Something was written: what it linked may be due at once.
    progress: bool,
    scan: Option<Scan>,
}

/// What a supervising run remembers between its dispatches.
#[derive(Default)]
struct Memory {
    /// Tasks claimed by this run: each at most once per run.
    taken: HashSet<String>,
    /// Tasks this run found in a held lane, told once (SPEC §22).
    held: HashSet<String>,
}

impl Runner<'_> {
    /// `run` once it holds the runner lock.
    pub(super) fn run_lanes(&self, lock: RunnerLock) -> Result<Report> {
        let mut report = Report::default();
        let mut memory = Memory::default();
        let (tx, rx) = mpsc::channel::<Message>();
        let (paths, store, audit, settings, clock) = (
            self.paths,
            self.store,
            self.audit,
            self.settings,
            self.clock,
        );
        let result = std::thread::scope(|scope| -> Result<()> {
            // A thread's runner: its notices go to this thread, which tells `notify`.
            let spawn = |job: Box<dyn FnOnce(&Runner) + Send>| {
                let tx = tx.clone();
                scope.spawn(move || {
                    let forward = |notice: &super::Notice| {
                        let _ = tx.send(Message::Notice(notice.clone()));
                    };
                    let runner = Runner {
                        paths,
                        store,
                        audit,
                        settings,
                        clock,
                        notify: &forward,
                    };
                    job(&runner);
                })
            };
            let mut threads = Vec::new();
            let mut lock = Some(lock);
            let mut mine = 0usize;
            loop {
                let held = match lock.take() {
                    Some(held) => Some(held),
                    None if shutdown::requested() => None,
                    // Stamps the heartbeat too: a run supervising for hours (under a
                    // systemd timer, the only one) keeps saying a runner is alive.
                    None => RunnerLock::acquire_for_run(&self.paths.runner_lock())?,
                };
                if let Some(held) = held {
                    let round = self.dispatch(&mut report, &mut memory)?;
                    for start in round.started {
                        mine += 1;
                        let tx = tx.clone();
                        threads.push(spawn(Box::new(move |runner: &Runner| {
                            runner.work(start, &tx)
                        })));
                    }
                    // Hooks of outcomes the dispatch recorded: here, outside the store
                    // lock, when nothing of ours runs; else beside the executors, so they never
                    // delay a start.
                    let settled = round.settled;
                    if mine == 0 {
                        for (task, paused) in &settled {
                            self.settle(task, paused);
                        }
                    } else if !settled.is_empty() {
                        threads.push(spawn(Box::new(move |runner: &Runner| {
                            for (task, paused) in &settled {
                                runner.settle(task, paused);
                            }
                        })));
                    }
                    if round.progress && mine == 0 && !shutdown::requested() {
                        lock = Some(held);
                        continue;
                    }
                    if mine == 0 && threads.is_empty() {
                        if let Some(mut scan) = round.scan {
                            self.sweep_after(&mut scan, &mut report)?;
                        }
                        drop(held);
                        return Ok(());
                    }
                    if mine == 0 {
                        // The sweep comes after every hook of this run has ended (a hook
                        // may read its task from the store), without holding the runner
                        // lock meanwhile: whoever holds it then sweeps instead.
                        drop(held);
                        for thread in threads.drain(..) {
                            let _ = thread.join();
                        }
                        for message in rx.try_iter() {
                            self.take(message, &mut report);
                        }
                        if let Some(_held) = RunnerLock::acquire(&self.paths.runner_lock(), false)?
                        {
                            self.sweep_now(&mut report)?;
                        }
                        return Ok(());
                    }
                    drop(held);
                } else if mine == 0 {
                    // Nothing of ours runs and the lock is not ours: another runner's,
                    // or, for an instant, a copy of our own in a child of one of our
                    // threads between fork and exec (a hook starting). Once our threads
                    // have ended no fork is in flight: try once more and sweep, else
                    // the lock's holder sweeps.
                    for thread in threads.drain(..) {
                        let _ = thread.join();
                    }
                    for message in rx.try_iter() {
                        self.take(message, &mut report);
                    }
                    if let Some(_held) = RunnerLock::acquire(&self.paths.runner_lock(), false)? {
                        self.sweep_now(&mut report)?;
                    }
                    return Ok(());
                }
                // Until one of ours ends, or the tick. Polled with short sleeps rather
                // than `recv_timeout`, whose absolute futex deadline never comes under a
                // clock shifted by libfaketime (`scripts/date-check.sh`).
                let deadline = Instant::now() + TICK;
                loop {
                    match rx.try_recv() {
                        Ok(message) => {
                            if self.take(message, &mut report) {
                                mine -= 1;
                                break;
                            }
                        }
                        Err(_) if Instant::now() >= deadline => break,
                        Err(_) => std::thread::sleep(POLL),
                    }
                }
            }
        });
        drop(tx);
        // What the threads said after the loop ended; every thread is joined by now.
        for message in rx.iter() {
            self.take(message, &mut report);
        }
        result?;
        if shutdown::requested() {
            return Err(anyhow!("stopped by a signal; the tasks in hand were recorded as interrupted, the rest are still scheduled"));
        }
        report.bad.sort_by_key(|b| b.line_no);
        report.bad.dedup_by_key(|b| b.line_no);
        Ok(report)
    }

    /// Handles a thread's message; true when it is a worker's end.
    fn take(&self, message: Message, report: &mut Report) -> bool {
        match message {
            Message::Notice(notice) => {
                (self.notify)(&notice);
                false
            }
            Message::Finished(finished) => {
                report.paused_series.extend(finished.paused);
                report.executed.extend(finished.done);
                report.failures.extend(finished.failure);
                true
            }
        }
    }

    /// The archive sweep, under the runner lock, when this run is about to end.
    fn sweep_after(&self, scan: &mut Scan, report: &mut Report) -> Result<()> {
        report.archived = self.sweep(scan)?;
        if report.archived > 0 {
            (self.notify)(&super::Notice::Archived {
                count: report.archived,
            });
        }
        Ok(())
    }

    /// The sweep from a fresh look at the store, under the runner lock.
    fn sweep_now(&self, report: &mut Report) -> Result<()> {
        let locked = self.store.write()?;
        let Some(mut scan) = self.start(&locked, (self.clock)())? else {
            return Ok(());
        };
        drop(locked);
        self.sweep_after(&mut scan, report)
    }

    /// One dispatch, under the runner lock: recover dead workers' tasks, count busy
    /// slots, claim what fits (one append), and hand back the claims to start.
    fn dispatch(&self, report: &mut Report, memory: &mut Memory) -> Result<Round> {
        let now = (self.clock)();
        let mut round = Round::default();
        let locked = self.store.write()?;
        let Some(mut scan) = self.start(&locked, now)? else {
            return Ok(round);
        };
        let (recovered, paused) = self.recover(&locked, &scan, now)?;
        locked.catch_up(&mut scan)?;
        // A dead worker's lock file; nobody can take it meanwhile (we dispatch).
        for task in &recovered {
            let _ = std::fs::remove_file(self.paths.task_lock_path(&task.id));
        }
        for task in &recovered {
            let tripped: Vec<Paused> = paused
                .iter()
                .filter(|p| task.series.as_ref().is_some_and(|s| s.id == p.series))
                .cloned()
                .collect();
            round.settled.push((task.clone(), tripped));
        }
        round.progress |= !recovered.is_empty();
        report.recovered.extend(recovered);
        report.paused_series.extend(paused);
        // Waits past their answer timeout fail (SPEC §22).
        match self.expire_waiting(&locked, &mut scan, now) {
            Ok(expired) => {
                round.progress |= !expired.is_empty();
                for (task, paused) in expired {
                    report.paused_series.extend(paused.iter().cloned());
                    round.settled.push((task, paused));
                }
            }
            Err(e) => report.failures.push(e),
        }
        // Lanes an executor's report holds (SPEC §22): their tasks wait.
        let holds = crate::hold::active(self.paths, now);

        let mut slots = Slots::new(&self.settings.lanes);
        // The executing occurrence of each series, for `--overlap`.
        let mut running: HashMap<String, Task> = HashMap::new();
        for entry in scan
            .entries
            .iter()
            .filter(|e| e.status == Status::Executing)
        {
            match locked.load(entry) {
                Ok(task) => {
                    slots.take(task.lane.as_deref());
                    if let Some(series) = &task.series {
                        running.insert(series.id.clone(), task);
                    }
                }
                Err(_) => slots.take(None),
            }
        }

        let mut batch = Batch::default();
        for id in due(&scan, now) {
            if shutdown::requested() {
                break;
            }
            if memory.taken.contains(&id) {
                continue;
            }
            let Some(task) = self.load_due(&locked, &mut scan, &id, &mut report.bad)? else {
                continue;
            };
            let program = Program::choose(&task, self.settings.executor.as_deref());
            let lane = task.lane.as_deref();
            if let Some(hold) = holds.iter().find(|h| h.lane.as_deref() == lane) {
                if memory.held.insert(id.clone()) {
                    (self.notify)(&super::Notice::Held {
                        id: id.clone(),
                        lane: crate::hold::lane_name(lane),
                        until: hold.until,
                    });
                }
                continue;
            }
            let mut replaces = None;
            if let Some(previous) = task.series.as_ref().and_then(|s| running.get(&s.id)) {
                match task.overlap.unwrap_or(Overlap::Queue) {
                    // Runs once the previous one ended, under the missed policy (§12).
                    Overlap::Queue => continue,
                    Overlap::Skip => {
                        memory.taken.insert(id);
                        let missed = batch.overlap_missed(&task, now, self, &scan);
                        round.settled.push((missed, Vec::new()));
                        continue;
                    }
                    Overlap::Replace => replaces = Some(previous.clone()),
                    Overlap::Allow => {}
                }
            }
            if let Some(previous) = &replaces {
                slots.free(previous.lane.as_deref());
            }
            if program.is_some() && !slots.fits(lane) {
                // Remembered in the store (once), for whichever run starts it.
                if found_due_at(&task).is_none() {
                    batch.writes.push(Task {
                        found_due_at: Some(now.into()),
                        ..task.clone()
                    });
                }
                if let Some(previous) = &replaces {
                    slots.take(previous.lane.as_deref());
                }
                continue;
            }
            let task_lock = match program {
                Some(_) => match TaskLock::try_take(&self.paths.task_lock_path(&id))? {
                    Some(lock) => Some(lock),
                    None => continue,
                },
                None => None,
            };
            let judged_at = found_due_at(&task).unwrap_or(now);
            let mut step = self.claim_at(&task, judged_at, now, &scan, &batch);
            // A waiting series, a spent budget: a missed fire (SPEC §22).
            if let Err(e) = self.hold_fire(&locked, &scan, &task, &mut step, now) {
                report.failures.push(e);
                continue;
            }
            memory.taken.insert(id.clone());
            if step.missed() {
                batch.push(&step, step.next.clone());
                round.settled.push((step.snapshot.clone(), Vec::new()));
                continue;
            }
            let claimed = step.snapshot.clone();
            // The prompt before the claim; all of them made durable before the append.
            let prompt_file = self.paths.prompt_path(&id);
            let written = prompts::write_unsynced(&prompt_file, prompt_text(&claimed).as_bytes());
            let prompt_path = match written {
                Ok(()) => {
                    batch.prompts.push(prompt_file.clone());
                    prompt_file.display().to_string()
                }
                Err(e) => {
                    report.failures.push(e.context(format!(
                        "task {id} was not run and stays scheduled; the runner could not prepare it"
                    )));
                    continue;
                }
            };
            match task_lock {
                // No executor: the prompt is the outcome, recorded in the same append.
                None => {
                    let began = Instant::now();
                    let completed = lifecycle::complete(
                        &claimed,
                        ResultType::PromptPrepared,
                        &prompt_path,
                        Output::default(),
                        now,
                    );
                    let done = attempt::record(&claimed, completed, &Facts::took(began), now);
                    let mut tripped = Vec::new();
                    let next = match &step.next {
                        Some(next) => {
                            Some(chain::after_outcome(&done, next).map_or(next.clone(), |(n, _)| n))
                        }
                        None => self.breaker(&locked, &scan, &done, &mut tripped),
                    };
                    batch.push_done(&step, done.clone(), next);
                    report.paused_series.extend(tripped.iter().cloned());
                    round.settled.push((done, tripped));
                }
                Some(lock) => {
                    slots.take(lane);
                    if let Some(series) = &claimed.series {
                        running.insert(series.id.clone(), claimed.clone());
                    }
                    if let Some(previous) = replaces {
                        batch.replace(previous, &claimed, now);
                    }
                    batch.push(&step, step.next.clone());
                    round.started.push(Start {
                        before: task,
                        claimed,
                        prompt_path,
                        lock,
                    });
                }
            }
        }
        if !batch.writes.is_empty() {
            // Every claim of this dispatch and what it links: one append, one fsync.
            let writes: Vec<&Task> = batch.writes.iter().collect();
            let synced = prompts::sync(&self.paths.log_dir, &batch.prompts);
            if let Err(e) = synced.and_then(|()| locked.append(&writes)) {
                drop(locked);
                for start in round.started.drain(..) {
                    drop(start.lock);
                }
                round
                    .settled
                    .retain(|(task, _)| report.recovered.iter().any(|r| r.id == task.id));
                report.failures.push(e.context(
                    "the due tasks were not run and stay scheduled; the runner could not claim them",
                ));
                return Ok(round);
            }
            round.progress = true;
            locked.catch_up(&mut scan)?;
        }
        report.bad.extend(scan.bad.iter().cloned());
        drop(locked);
        self.log_batch(&batch, now);
        for step in batch.steps.iter().filter(|s| !s.missed()) {
            (self.notify)(&super::Notice::Claimed {
                id: step.snapshot.id.clone(),
            });
        }
        let missed = batch.steps.iter().filter(|s| s.missed());
        report
            .executed
            .extend(missed.map(|s| s.snapshot.clone()).chain(batch.done));
        // A replaced occurrence is stopped before its successor starts.
        for previous in &batch.replaced {
            if let Some(process) = &previous.executor {
                executor::process::stop_orphan(process, self.settings.limits.kill_grace);
            }
        }
        round.scan = Some(scan);
        Ok(round)
    }

    /// The scheduled task `id` of the scan, loaded (a series' other occurrences added
    /// to a partial scan); `None` when it is not scheduled or cannot be read (a bad line).
    pub(super) fn load_due(
        &self,
        locked: &Locked<Exclusive>,
        scan: &mut Scan,
        id: &str,
        bad: &mut Vec<BadLine>,
    ) -> Result<Option<Task>> {
        let Some(entry) = scan.get(id).filter(|e| e.status == Status::Scheduled) else {
            return Ok(None);
        };
        let task = match locked.load(entry) {
            Ok(task) => task,
            Err(e) => {
                let line_no = match entry.line_no {
                    0 => locked.line_number_at(entry.offset)?,
                    n => n,
                };
                bad.push(BadLine {
                    line_no,
                    offset: entry.offset,
                    reason: format!("{e:#}"),
                });
                return Ok(None);
            }
        };
        if let Some(series) = task.series.as_ref().filter(|_| scan.is_partial()) {
            locked.absorb_mentioning(scan, format!("\"{}\"", series.id).as_bytes())?;
        }
        Ok(Some(task))
    }

    /// The claim of `task` at `now`, its lateness judged at `judged_at` (when this run
    /// first found it due, §19).
    pub(super) fn claim_at(
        &self,
        task: &Task,
        judged_at: DateTime<Utc>,
        now: DateTime<Utc>,
        scan: &Scan,
        batch: &Batch,
    ) -> ClaimStep {
        let mut step = chain::claim(
            task,
            now,
            self.settings.grace.0,
            Trigger::Due(judged_at),
            |series, k| {
                scan.occurrence(series, k)
                    .map(|e| e.id.clone())
                    .or_else(|| batch.linked(series, k))
            },
            || ids::generate(now),
        );
        step.snapshot.found_due_at = None;
        if let Some(next) = step.next.as_mut() {
            next.found_due_at = None;
        }
        step
    }
}

/// The prompt of a claimed task, with what changed since it was scheduled (SPEC §22).
fn prompt_text(claimed: &Task) -> String {
    prompt::render_with(claimed, &crate::runner::talkback::changes_for(claimed))
}

/// When a run first found this fire of `task` due and waited for a slot, if it did.
fn found_due_at(task: &Task) -> Option<DateTime<Utc>> {
    task.found_due_at
        .map(|at| at.at())
        .filter(|at| *at >= task.run_at.at())
}

/// Scheduled tasks due at `now`: oldest `run_at` first, then by id (§20).
fn due(scan: &Scan, now: DateTime<Utc>) -> Vec<String> {
    let mut due: Vec<_> = scan
        .entries
        .iter()
        .filter(|e| e.status == Status::Scheduled && e.run_at.at() <= now)
        .collect();
    due.sort_by(|a, b| a.run_at.cmp(&b.run_at).then_with(|| a.id.cmp(&b.id)));
    due.into_iter().map(|e| e.id.clone()).collect()
}
