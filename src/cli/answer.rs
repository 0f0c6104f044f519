//! `defer answer`: give a waiting task its answer and print its new record.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::output;
use crate::ops::{answer, Ctx};
use crate::selector::Selector;

pub(super) const ANSWER_EXAMPLES: &str = "Examples:
  defer answer task_20261201_090000_ab12cd34ef56 'Use the staging database'
  defer answer --key nightly-report 'Skip the flaky test'
  defer list --status waiting --format table     # what waits, and its question";

#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The waiting task's id, or its series' id (with --key: the answer)
    #[arg(index = 1, value_name = "ID", allow_hyphen_values = true)]
    pub id: String,
    /// The answer: text the next run reads in its prompt's Answer: section
    #[arg(
        index = 2,
        value_name = "TEXT",
        allow_hyphen_values = true,
        required_unless_present = "key",
        conflicts_with = "key"
    )]
    pub text: Option<String>,
    /// The waiting task scheduled with this --key (then the only argument is the answer)
    #[arg(long, allow_hyphen_values = true)]
    pub key: Option<String>,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

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
