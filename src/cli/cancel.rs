//! `defer cancel`: cancel a scheduled task by id and print it.

use std::process::ExitCode;

use anyhow::{bail, Result};

use super::args::CancelArgs;
use super::{output, Ctx};
use crate::selector::Selector;
use crate::task::Task;

pub fn exec(ctx: &Ctx, args: CancelArgs) -> Result<ExitCode> {
    let compact = args.compact;
    let task = cancel(ctx, args)?;
    output::json(&task, compact)?;
    Ok(ExitCode::SUCCESS)
}

/// The cancelled task; invalid store lines and audit warnings go to stderr.
pub fn cancel(ctx: &Ctx, args: CancelArgs) -> Result<Task> {
    let id = match (args.positional, args.flag, args.key) {
        (_, _, Some(key)) => Selector::Key(key),
        (Some(a), Some(b), _) if a != b => bail!("two different ids given: '{a}' and --id '{b}'"),
        (Some(id), _, _) | (None, Some(id), _) => Selector::Id(id),
        (None, None, None) => bail!(
            "which task? pass its id or key: defer cancel <id> | --key <k> (see `defer list`)"
        ),
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
        id,
        args.reason.as_deref(),
        ctx.now,
        &mut bad,
    );
    output::bad_lines(store.path(), &bad);
    let task = super::handle::explained(ctx, cancelled)?;
    output::audit_warnings(&audit);
    Ok(task)
}
