//! `defer answer`: give a waiting task its answer and print its new record.

use std::process::ExitCode;

use anyhow::Result;

use super::args::AnswerArgs;
use super::{output, Ctx};
use crate::answer::{self, Target};
use crate::task::Task;

pub fn exec(ctx: &Ctx, args: AnswerArgs) -> Result<ExitCode> {
    let task = answered(ctx, &args)?;
    output::json(&task, args.compact)?;
    Ok(ExitCode::SUCCESS)
}

/// The answered task; invalid store lines and audit warnings go to stderr.
pub fn answered(ctx: &Ctx, args: &AnswerArgs) -> Result<Task> {
    // clap lets TEXT be absent only with --key: then ID is the answer.
    let (target, text) = match (&args.key, &args.text) {
        (Some(key), _) => (Target::Key(key), args.id.as_str()),
        (None, Some(text)) => (Target::Id(&args.id), text.as_str()),
        (None, None) => unreachable!("clap requires TEXT without --key"),
    };
    let (audit, store) = (ctx.audit()?, ctx.store()?);
    let mut bad = Vec::new();
    let done = answer::answer(&store, &audit, target, text, ctx.now, &mut bad);
    output::bad_lines(store.path(), &bad);
    let task = done?;
    output::audit_warnings(&audit);
    Ok(task)
}
