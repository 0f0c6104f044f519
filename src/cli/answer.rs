//! `defer answer`: give a waiting task its answer and print its new record.

use std::process::ExitCode;

use anyhow::Result;

use super::args::AnswerArgs;
use super::output;
use crate::ops::{answer, Ctx};
use crate::selector::Selector;

pub fn exec(ctx: &Ctx, args: AnswerArgs) -> Result<ExitCode> {
    // clap lets TEXT be absent only with --key: then ID is the answer.
    let (selector, text) = match (args.key, args.text) {
        (Some(key), _) => (Selector::Key(key), args.id),
        (None, Some(text)) => (Selector::Id(args.id), text),
        (None, None) => unreachable!("clap requires TEXT without --key"),
    };
    output::json(&answer::answer(ctx, &selector, &text)?, args.compact)?;
    Ok(ExitCode::SUCCESS)
}
