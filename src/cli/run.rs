//! `defer run` (the cron entry point) and `defer archive`: silent on success.

use std::process::ExitCode;

use anyhow::Result;

use super::{output, Ctx};
use crate::archive;
use crate::runner::{Runner, RunnerLock, Settings};

pub fn exec_run(ctx: &Ctx) -> Result<ExitCode> {
    let settings = Settings::from_env(&ctx.env)?;
    let (paths, store, audit) = (ctx.paths()?, ctx.store()?, ctx.audit()?);
    let clock = || crate::timestamp::Timestamp::new(chrono::Utc::now()).at();
    let runner = Runner {
        paths: &paths,
        store: &store,
        audit: &audit,
        settings: &settings,
        clock: &clock,
    };
    let report = runner.run();
    output::audit_warnings(&audit);
    let report = report?;
    output::bad_lines(store.path(), &report.bad);
    Ok(ExitCode::SUCCESS)
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
    eprintln!("defer: waiting for the running `defer run` to finish...");
    Ok(RunnerLock::acquire(&path, true)?.expect("a blocking acquire always returns the lock"))
}
