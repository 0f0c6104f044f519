//! `defer when`: what an expression resolves to, in UTC, local time and relative.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::output;
use crate::ops::values;
use crate::ops::when::{self, Request};
use crate::ops::Ctx;

pub(super) const WHEN_EXAMPLES: &str = "  defer when next friday 9am
  defer when tomorrow at 9 --compact
  defer when in 2 months
  defer when 2026-12-01T09:00:00Z --compact
  defer when --cron '0 9 * * 1-5' --next 3   # the next 3 fires of a series
  defer when --every 90m";

#[derive(Debug, Args)]
pub struct WhenArgs {
    /// The expression, e.g. "tomorrow 9am" (several words may be given unquoted)
    #[arg(required_unless_present_any = ["every", "cron"], num_args = 1.., allow_hyphen_values = true, value_name = "EXPR")]
    expr: Vec<String>,
    /// Preview the fires of a fixed interval instead (as schedule --every)
    #[arg(
        long,
        value_name = "DURATION",
        allow_hyphen_values = true,
        conflicts_with = "expr"
    )]
    pub every: Option<String>,
    /// Preview the fires of a cron expression instead (as schedule --cron)
    #[arg(
        long,
        value_name = "EXPR",
        allow_hyphen_values = true,
        conflicts_with = "expr"
    )]
    pub cron: Option<String>,
    /// How many fires --every/--cron previews (1 to 1000)
    #[arg(long, value_name = "N", default_value = "5", value_parser = values::preview_count, allow_hyphen_values = true)]
    pub next: u32,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

impl WhenArgs {
    /// The expression's words joined; a `--compact` among them (after a word that starts
    /// with `-`, clap reads the rest as words) counts as the flag.
    pub fn expression(&self) -> (String, bool) {
        let compact = self.compact || self.expr.iter().any(|w| w == "--compact");
        let words: Vec<&str> = self
            .expr
            .iter()
            .map(String::as_str)
            .filter(|w| *w != "--compact")
            .collect();
        (words.join(" "), compact)
    }
}

pub fn exec(ctx: &Ctx, args: WhenArgs) -> Result<ExitCode> {
    let (input, compact) = args.expression();
    let request = match args.every.is_some() || args.cron.is_some() {
        true => Request::Fires {
            every: args.every,
            cron: args.cron,
            next: args.next,
        },
        false => Request::Expression(input),
    };
    output::json(&when::when(ctx, &request)?, compact)?;
    Ok(ExitCode::SUCCESS)
}
