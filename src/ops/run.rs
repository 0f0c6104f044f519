//! `run` (the cron entry point) and `archive`: the runner wired from the settings, its
//! notices handed to the channel as they happen, and the archive lock protocol.

use anyhow::Result;

use super::Ctx;
use crate::archive;
use crate::audit::AuditLog;
use crate::config::Paths;
use crate::runner::{Notice, Runner, RunnerLock, Settings};
use crate::store::Store;
use crate::timestamp::Timestamp;

/// What a runner is built from, read from the environment once; bad settings fail
/// here, before anything is touched.
pub(super) struct Wiring {
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

    /// A runner that hands each notice to `notify` (see [`teller`]).
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

/// Hands notices to the channel as they happen: problems (a task failed or was missed,
/// a series paused, a hook failed) always, so cron mails them; transitions only when
/// `verbose`.
pub(super) fn teller(ctx: &Ctx, verbose: bool) -> impl Fn(&Notice) + '_ {
    move |notice| {
        if verbose || notice.is_problem() {
            ctx.info(notice.to_string());
        }
    }
}

/// The runner's clock: time passes while executors run, so it is read at each step.
fn wall_clock() -> chrono::DateTime<chrono::Utc> {
    Timestamp::new(chrono::Utc::now()).at()
}

/// `defer run`: dispatch, supervise, sweep. An error only when the runner itself could
/// not do its job; a task's failure is a notice.
pub fn run(ctx: &Ctx, verbose: bool) -> Result<()> {
    let wiring = Wiring::new(ctx)?;
    let tell = teller(ctx, verbose);
    let report = wiring.runner(&tell).run();
    ctx.audit_warnings(&wiring.audit);
    let mut report = report?;
    ctx.bad_lines(wiring.store.path(), &report.bad);
    match report.failure() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// `defer archive`: under the runner lock (waiting for a run to finish), move finished
/// tasks to the monthly archives and compact the store.
pub fn archive(ctx: &Ctx) -> Result<()> {
    let (paths, store, audit) = (ctx.paths()?, ctx.store()?, ctx.audit()?);
    let _lock = wait_for_runner(ctx, &paths)?;
    let locked = store.write()?;
    let scan = locked.scan()?;
    ctx.bad_lines(store.path(), &scan.bad);
    if archive::needed(&scan, &paths) {
        let swept = archive::sweep(&locked, &scan, &paths)?;
        drop(locked);
        archive::log(&audit, &swept, ctx.now);
    }
    ctx.audit_warnings(&audit);
    Ok(())
}

/// Takes the runner lock, saying so when that means waiting.
pub(super) fn wait_for_runner(ctx: &Ctx, paths: &Paths) -> Result<RunnerLock> {
    let path = paths.runner_lock();
    if let Some(lock) = RunnerLock::acquire(&path, false)? {
        return Ok(lock);
    }
    ctx.info("waiting for the running `defer run` to finish...");
    Ok(RunnerLock::acquire(&path, true)?.expect("a blocking acquire always returns the lock"))
}
