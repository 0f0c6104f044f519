//! `defer run` (the cron entry point) and `defer archive`: silent on success; `run`
//! prints a line per failure (and per transition with `--verbose`) as it happens.

use std::process::ExitCode;

use anyhow::Result;

use super::args::RunArgs;
use super::{output, Ctx};
use crate::archive;
use crate::audit::AuditLog;
use crate::config::Paths;
use crate::runner::{Notice, Runner, RunnerLock, Settings};
use crate::store::Store;
use crate::timestamp::Timestamp;

/// What a runner is built from, read from the environment once; bad settings fail
/// here, before anything is touched.
pub struct Wiring {
    pub settings: Settings,
    pub paths: Paths,
    pub store: Store,
    pub audit: AuditLog,
}

impl Wiring {
    pub fn new(ctx: &Ctx) -> Result<Self> {
        Ok(Wiring {
            settings: Settings::from_env(&ctx.env)?,
            paths: ctx.paths()?,
            store: ctx.store()?,
            audit: ctx.audit()?,
        })
    }

    /// A runner that hands each notice to `notify` (see [`printer`]).
    pub fn runner<'a>(&'a self, notify: &'a dyn Fn(&Notice)) -> Runner<'a> {
        Runner {
            paths: &self.paths,
            store: &self.store,
            audit: &self.audit,
            settings: &self.settings,
            clock: &wall_clock,
            notify,
        }
    }
}

/// Prints notices as `defer: ...` lines on stderr, as they happen: problems (a task
/// failed or was missed, a series paused, a hook failed) always, so cron mails them;
/// transitions only when `verbose`.
pub fn printer(verbose: bool) -> impl Fn(&Notice) {
    move |notice| {
        if verbose || notice.is_problem() {
            output::say(&notice.to_string());
        }
    }
}

/// The runner's clock: time passes while executors run, so it is read at each step.
fn wall_clock() -> chrono::DateTime<chrono::Utc> {
    Timestamp::new(chrono::Utc::now()).at()
}

pub fn exec_run(ctx: &Ctx, args: RunArgs) -> Result<ExitCode> {
    let wiring = Wiring::new(ctx)?;
    let print = printer(args.verbose);
    let report = wiring.runner(&print).run();
    output::audit_warnings(&wiring.audit);
    let mut report = report?;
    output::bad_lines(wiring.store.path(), &report.bad);
    match report.failure() {
        Some(e) => Err(e),
        None => Ok(ExitCode::SUCCESS),
    }
}

pub fn exec_archive(ctx: &Ctx) -> Result<ExitCode> {
    let (paths, store, audit) = (ctx.paths()?, ctx.store()?, ctx.audit()?);
    let _lock = wait_for_runner(&paths)?;
    let locked = store.write()?;
    let scan = locked.scan()?;
    output::bad_lines(store.path(), &scan.bad);
    if archive::needed(&scan, &paths) {
        let swept = archive::sweep(&locked, &scan, &paths)?;
        drop(locked);
        archive::log(&audit, &swept, ctx.now);
    }
    output::audit_warnings(&audit);
    Ok(ExitCode::SUCCESS)
}

/// Takes the runner lock, saying on stderr when that means waiting.
pub fn wait_for_runner(paths: &crate::config::Paths) -> Result<RunnerLock> {
    let path = paths.runner_lock();
    if let Some(lock) = RunnerLock::acquire(&path, false)? {
        return Ok(lock);
    }
    output::say("waiting for the running `defer run` to finish...");
    Ok(RunnerLock::acquire(&path, true)?.expect("a blocking acquire always returns the lock"))
}
