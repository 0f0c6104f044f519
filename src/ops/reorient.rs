//! `reorient`: the snapshot a CONTEXT.md yields, and where `--reorient` looks for it.

use anyhow::Result;

use super::{Ctx, Front};
use crate::reorient::{self, Lookup, Snapshot};

/// Where to look: `--context-file`, else `--project`'s, else DEFER_CONTEXT_FILE's or
/// the current directory's (the rules are `reorient::load`'s).
pub fn lookup(ctx: &Ctx, context_file: Option<&str>, project: Option<&str>) -> Result<Lookup> {
    Ok(Lookup {
        context_file: context_file.map(Into::into),
        project: project.map(str::to_string),
        env_context_file: ctx.env.context_file(),
        home: ctx.env.home(),
        cwd: std::env::current_dir()?,
    })
}

/// The snapshot `defer reorient` prints.
pub fn reorient(ctx: &Ctx, context_file: Option<&str>, project: Option<&str>) -> Result<Snapshot> {
    reorient::load(&lookup(ctx, context_file, project)?)
}

/// The snapshot `schedule --reorient` starts from: any CONTEXT.md the CLI names; over
/// MCP only a CONTEXT.md under ~/data/research (SPEC §21: no file oracle for a model).
pub fn snapshot(ctx: &Ctx, context_file: Option<&str>, project: Option<&str>) -> Result<Snapshot> {
    let lookup = lookup(ctx, context_file, project)?;
    match ctx.front {
        Front::Cli => reorient::load(&lookup),
        Front::Mcp => reorient::load_confined(&lookup),
    }
}
