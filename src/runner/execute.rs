//! Executing a claimed task: its prompt file written, then the executor (if any) run
//! with the task on stdin, its report read, and the attempt judged into the next snapshot.

use std::time::Instant;

use anyhow::{anyhow, Result};

use super::{talkback, Notice, Runner};
use crate::attempt::{self, Facts};
use crate::command::Program;
use crate::executor::{self, Ending, Invocation};
use crate::lifecycle::{self, Output};
use crate::prompt;
use crate::safe_fs;
use crate::task::{ExecutorProcess, ResultType, Task};

impl Runner<'_> {
    /// The execution path of `execute` from stdin JSON: prompt artifact first, then the
    /// executor (if any); returns the task's next snapshot, already logged.
    pub fn execute(&self, task: &Task) -> Result<Task> {
        let prompt_path = self.write_prompt(task)?;
        let (next, file_error) = self.execute_prepared(task, &prompt_path, false)?;
        self.settle(&next, &[]);
        match file_error {
            None => Ok(next),
            Some(e) => Err(incomplete_output(&next, &e)),
        }
    }

    /// Writes `logs/<id>.prompt.txt`; returns its path as stored in `result`.
    pub(super) fn write_prompt(&self, task: &Task) -> Result<String> {
        let prompt_path = self.paths.prompt_path(&task.id);
        let changes = crate::runner::talkback::changes_for(task);
        safe_fs::write_atomic(&prompt_path, prompt::render_with(task, &changes).as_bytes())?;
        Ok(prompt_path.display().to_string())
    }

    /// Runs the executor (if any) for a task whose prompt is written; returns the
    /// task's next snapshot, already logged. `stored`: the task is claimed in the store,
    /// which then records the executor's process once it runs.
    /// Also returns a failure to write the output file part-way: the executor ran, so
    /// its outcome counts, but the runner must still report it. Either way the attempt
    /// is appended to the task's `history`, timed from here (just after the claim).
    pub(super) fn execute_prepared(
        &self,
        task: &Task,
        prompt_text: &str,
        stored: bool,
    ) -> Result<(Task, Option<String>)> {
        let began = Instant::now();
        let program = Program::choose(task, self.settings.executor.as_deref());
        let (next, file_error) = match program {
            None => {
                let now = (self.clock)();
                let done = lifecycle::complete(
                    task,
                    ResultType::PromptPrepared,
                    prompt_text,
                    Output::default(),
                    now,
                );
                (attempt::record(task, done, &Facts::took(began), now), None)
            }
            Some(program) => self.run_executor(task, program, prompt_text, stored, began)?,
        };
        self.log_outcome(&next);
        Ok((next, file_error))
    }

    fn run_executor(
        &self,
        task: &Task,
        chosen: Program,
        prompt_path: &str,
        stored: bool,
        began: Instant,
    ) -> Result<(Task, Option<String>)> {
        let Some(program) = chosen.resolve(self.settings.search_path.as_deref()) else {
            let error = chosen.not_executable();
            let now = (self.clock)();
            let failed = lifecycle::fail(
                task,
                &error,
                ResultType::ExecutorFailed,
                prompt_path,
                Output::default(),
                now,
            );
            return Ok((
                attempt::record(task, failed, &Facts::took(began), now),
                None,
            ));
        };
        let mut stdin = serde_json::to_vec(task)?;
        stdin.push(b'\n');
        let mut env = vec![
            ("DEFER_TASK_ID", task.id.clone()),
            ("DEFER_PROMPT_PATH", prompt_path.to_string()),
            // The fire this run stands for, and how late it is (§12).
            ("DEFER_SCHEDULED_FOR", task.run_at.to_string()),
        ];
        if let Some(late) = task.late_by_seconds {
            env.push(("DEFER_LATE_SECONDS", late.to_string()));
        }
        // What is left of a series' --budget, for the executor to pass on (SPEC §22).
        if let Some(left) = self.budget_left(task) {
            env.push(("DEFER_BUDGET_USD", left));
        }
        // A fresh, empty report file for this attempt (SPEC §22).
        let report_path = self.paths.report_path(&task.id);
        talkback::prepare(&report_path)?;
        env.push(("DEFER_REPORT_PATH", report_path.display().to_string()));
        let output_file = self.paths.output_path(&task.id);
        let invocation = Invocation {
            program: &program,
            args: chosen.args(),
            stdin: &stdin,
            env: &env,
            output_file: &output_file,
        };
        // A second `executing` snapshot names the executor's process, for recovery.
        let record_process = |pid: u32| -> Result<()> {
            if !stored {
                return Ok(());
            }
            let process = ExecutorProcess {
                pid,
                started: executor::process::start_time(pid),
            };
            let running = lifecycle::running(task, process);
            self.store.write()?.append(&[&running])
        };
        let outcome = executor::run_with(&invocation, &self.settings.limits, &record_process)?;
        let output = Output {
            text: Some(outcome.output_text()),
            truncated: outcome.truncated,
        };
        let now = (self.clock)();
        // A stopped runner's attempt is interrupted, exactly like an orphan's; its
        // report (if any) is not weighed.
        let (next, report) = match outcome.ending {
            Ending::Stopped => {
                let next = lifecycle::attempt_failed(
                    task,
                    &outcome.error(),
                    ResultType::Interrupted,
                    prompt_path,
                    output,
                    self.settings.retry_delay,
                    now,
                );
                (next, None)
            }
            _ => {
                let report = match talkback::read(&report_path) {
                    Ok(report) => report,
                    Err(error) => {
                        (self.notify)(&Notice::ReportUnreadable {
                            id: task.id.clone(),
                            error,
                        });
                        None
                    }
                };
                let next = self.judge(task, &outcome, report.as_ref(), prompt_path, output, now);
                (next, report)
            }
        };
        // The record keeps the head of the output; past it, the tail is in the file.
        let file_end = match outcome.truncated {
            true => attempt::file_end(&output_file),
            false => Vec::new(),
        };
        let facts = Facts {
            ending: Some(&outcome.ending),
            elapsed: Some(began.elapsed()),
            output_end: match outcome.truncated {
                true => &file_end,
                false => &outcome.output,
            },
        };
        let mut next = attempt::record(task, next, &facts, now);
        talkback::entry(&mut next, report.as_ref());
        Ok((next, outcome.file_error))
    }
}

/// The executor ran and its outcome is recorded, but its output file is incomplete.
pub(super) fn incomplete_output(task: &Task, error: &str) -> anyhow::Error {
    anyhow!(
        "task {} ran and was recorded as {}, but {error}: logs/{}.output.txt is incomplete",
        task.id,
        task.status,
        task.id
    )
}
