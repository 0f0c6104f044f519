//! `defer cancel`: cancel a scheduled task by id and print it.

use std::process::ExitCode;

use anyhow::{bail, Result};

use super::args::CancelArgs;
use super::{output, Ctx};

pub fn exec(ctx: &Ctx, args: CancelArgs) -> Result<ExitCode> {
    let id = match (args.positional, args.flag) {
        (Some(a), Some(b)) if a != b => bail!("two different ids given: '{a}' and --id '{b}'"),
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => bail!("which task? pass its id: defer cancel <id> (see `defer list`)"),
    };
    let (audit, store) = (ctx.audit()?, ctx.store()?);
    let mut bad = Vec::new();
    let cancel = match args.occurrence {
        true => crate::cancel::cancel_occurrence,
        false => crate::cancel::cancel,
    };
    let cancelled = cancel(
        &store,
        &audit,
        &id,
        args.reason.as_deref(),
        ctx.now,
        &mut bad,
    );
    output::bad_lines(store.path(), &bad);
    let task = cancelled?;
    output::audit_warnings(&audit);
    output::json(&task, args.compact)?;
    Ok(ExitCode::SUCCESS)
}
