//! The no-runner warning that `schedule` and `list` add on success (SPEC §15).

use anyhow::Result;

use super::Ctx;
use crate::heartbeat;

/// Whether to warn; read before the operation does anything, so a bad
/// `DEFER_RUNNER_CHECK` fails it before it writes.
pub struct RunnerCheck {
    enabled: bool,
}

impl RunnerCheck {
    pub fn new(ctx: &Ctx) -> Result<Self> {
        Ok(RunnerCheck {
            enabled: ctx.env.runner_check()?,
        })
    }

    /// Called once the operation succeeded: one `stat` of the runner lock file.
    pub fn warn(&self, ctx: &Ctx) {
        if !self.enabled {
            return;
        }
        let Ok(paths) = ctx.paths() else { return };
        let last = heartbeat::last_run(&paths.runner_lock());
        if let Some(warning) = heartbeat::warning(last, ctx.now) {
            ctx.warn(warning);
        }
    }
}
