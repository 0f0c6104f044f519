//! A worker: the executor of one claimed task, on its own thread; its outcome appended
//! with the breaker's update of the series' pending occurrence, its task lock released,
//! the supervising thread told — and only then its hook, so a hook never delays a start.

use std::sync::mpsc;

use anyhow::Result;

use super::execute::incomplete_output;
use super::liveness::TaskLock;
use super::{Notice, Paused, Runner};
use crate::store::summary::Summary;
use crate::task::{Status, Task};

/// A claimed task with its prompt written, for a worker to run.
pub(super) struct Start {
    /// The snapshot before the claim, restored if the runner fails before the executor
    /// runs (SPEC §11).
    pub before: Task,
    pub claimed: Task,
    pub prompt_path: String,
    pub lock: TaskLock,
}

/// A worker's result, sent to the supervising thread once the outcome is recorded.
pub(super) struct Finished {
    pub done: Option<Task>,
    pub paused: Vec<Paused>,
    pub failure: Option<anyhow::Error>,
}

/// What a supervised thread tells the supervising one.
pub(super) enum Message {
    Notice(super::Notice),
    Finished(Box<Finished>),
}

impl Runner<'_> {
    /// A worker: runs the claimed task's executor, records its outcome, lets its lock go,
    /// tells the supervisor, then reports and hooks it (SPEC §14) on this thread.
    pub(super) fn work(&self, start: Start, tx: &mpsc::Sender<Message>) {
        let Start {
            before,
            claimed,
            prompt_path,
            lock,
        } = start;
        let (done, file_error) = match self.execute_prepared(&claimed, &prompt_path, true) {
            Ok(attempt) => attempt,
            Err(e) => {
                let failure = self.release(&before, &claimed, e);
                lock.release();
                let _ = tx.send(Message::Finished(Box::new(Finished {
                    done: None,
                    paused: Vec::new(),
                    failure: Some(failure),
                })));
                return;
            }
        };
        let recorded = self.record_finished(&done);
        // Only once the outcome is in the store: until then the task stays live. If it
        // could not be recorded, the next run recovers it (the lock is gone with us).
        lock.release();
        let (paused, failure) = match recorded {
            Ok(Some(paused)) => (paused, file_error.map(|e| incomplete_output(&done, &e))),
            Ok(None) => {
                // Replaced meanwhile (`--overlap replace`): its record says so.
                let _ = tx.send(Message::Finished(Box::new(Finished {
                    done: None,
                    paused: Vec::new(),
                    failure: None,
                })));
                return;
            }
            Err(e) => (Vec::new(), Some(e)),
        };
        // Reported before the supervisor hears of the free slot, hooked after.
        if let Some(notice) = Notice::outcome(&done) {
            (self.notify)(&notice);
        }
        for p in &paused {
            (self.notify)(&Notice::SeriesPaused {
                series: p.series.clone(),
                failures: p.failures,
            });
        }
        let hook = super::hooks::Hook::for_status(done.status);
        let _ = tx.send(Message::Finished(Box::new(Finished {
            done: Some(done.clone()),
            paused,
            failure,
        })));
        if let Some(hook) = hook {
            self.run_hook(hook, &done);
        }
    }

    /// Appends a worker's outcome and the breaker's update of the series' pending
    /// occurrence, in one write, found by reading the store under its lock (the worker
    /// keeps no scan: the store may have been compacted since the claim). `None` when
    /// the task is no longer `executing` (replaced): nothing is written.
    pub(super) fn record_finished(&self, done: &Task) -> Result<Option<Vec<Paused>>> {
        let locked = self.store.write()?;
        let mut latest = None;
        locked.records_mentioning(format!("\"{}\"", done.id).as_bytes(), |task| {
            if task.id == done.id {
                latest = Some(task.status);
            }
        })?;
        if latest.is_some_and(|status| status != Status::Executing) {
            return Ok(None);
        }
        let mut scan = locked.listed(&Summary::default());
        if let Some(series) = &done.series {
            locked.absorb_mentioning(&mut scan, format!("\"{}\"", series.id).as_bytes())?;
        }
        let mut paused = Vec::new();
        let follow = self.breaker(&locked, &scan, done, &mut paused);
        let writes: Vec<&Task> = [Some(done), follow.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        locked.append(&writes)?;
        drop(locked);
        self.log_paused(&paused, (self.clock)());
        Ok(Some(paused))
    }
}
