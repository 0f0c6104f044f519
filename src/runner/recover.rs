//! Orphan recovery: `executing` tasks whose worker died go back to `scheduled` when
//! their executor never started, else count an `interrupted` attempt (the breaker too).

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::{liveness, Paused, Runner};
use crate::attempt::{self, Facts};
use crate::audit::Event;
use crate::executor;
use crate::lifecycle::{self, Output};
use crate::store::{Exclusive, Locked, Scan};
use crate::task::{ResultType, Status, Task};

impl Runner<'_> {
    /// Tasks left `executing` by a runner that died count an `interrupted` attempt when
    /// their executor had started; returns them, and the series the breaker paused
    /// because of them. A claim whose executor never started goes back to `scheduled`
    /// as it was (audit `released`), not counted.
    pub(super) fn recover(
        &self,
        locked: &Locked<Exclusive>,
        scan: &Scan,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Task>, Vec<Paused>)> {
        let mut recovered = Vec::new();
        let mut released = Vec::new();
        let mut paused = Vec::new();
        let mut stopped_groups = Vec::new();
        for entry in scan
            .entries
            .iter()
            .filter(|e| e.status == Status::Executing)
        {
            // A worker holds the lock of its task while the executor runs (§20).
            if liveness::is_live(&self.paths.task_lock_path(&entry.id))? {
                continue;
            }
            let Ok(task) = locked.load(entry) else {
                continue;
            };
            // No executor recorded: it never started (it starts only once its
            // process is recorded, see `executor::run_with`), so no attempt (SPEC §19).
            if task.executor.is_none() {
                released.push(lifecycle::unclaim(&task));
                continue;
            }
            // The dead runner's executor may still run: stop it first, so the task
            // never has two live executions (SPEC §11).
            let stopped = task.executor.is_some_and(|p| {
                executor::process::stop_orphan(&p, self.settings.limits.kill_grace)
            });
            if stopped {
                stopped_groups.push(task.id.clone());
            }
            let prompt_path = self.paths.prompt_path(&task.id).display().to_string();
            let next = lifecycle::attempt_failed(
                &task,
                "interrupted",
                ResultType::Interrupted,
                &prompt_path,
                Output::default(),
                self.settings.retry_delay,
                now,
            );
            // No clock of the dead runner's: the duration comes from `started_at`.
            recovered.push(attempt::record(&task, next, &Facts::default(), now));
        }
        if !released.is_empty() {
            locked.append(&released.iter().collect::<Vec<_>>())?;
            for task in &released {
                self.audit.record(
                    now,
                    Event::Released,
                    &[("id", &task.id), ("reason", &"executor_never_started")],
                );
            }
        }
        if !recovered.is_empty() {
            let follow = recovered
                .iter()
                .filter_map(|done| self.breaker(locked, scan, done, &mut paused))
                .collect::<Vec<_>>();
            locked.append(&recovered.iter().chain(&follow).collect::<Vec<_>>())?;
            for task in &recovered {
                let mut fields: Vec<(&str, &dyn std::fmt::Display)> =
                    vec![("id", &task.id), ("status", &task.status)];
                if stopped_groups.contains(&task.id) {
                    fields.push(("executor", &"stopped"));
                }
                self.audit.record(now, Event::Interrupted, &fields);
            }
            self.log_paused(&paused, now);
        }
        Ok((recovered, paused))
    }
}
