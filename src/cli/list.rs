//! `defer list`: the selected tasks as a JSON array, or a table for people.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::args::closed;
use super::output;
use crate::ops::list::{self, Request};
use crate::ops::Ctx;
use crate::task::{Intent, Status};
use crate::view::{self, Format};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show tasks with this status (repeatable; default: scheduled, executing, paused and waiting)
    #[arg(long = "status", value_parser = closed::<Status>(), allow_hyphen_values = true)]
    pub statuses: Vec<Status>,
    /// Show every status in the active store
    #[arg(long, conflicts_with = "statuses")]
    pub all: bool,
    /// Show tasks with this intent (repeatable; default: all)
    #[arg(long = "intent", value_parser = closed::<Intent>(), allow_hyphen_values = true)]
    pub intents: Vec<Intent>,
    /// Only tasks due now: scheduled, run_at at or before now (with --status/--all: any of those statuses)
    #[arg(long)]
    pub due: bool,
    /// Only tasks that run at or before EXPR (a time expression, e.g. tomorrow)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub before: Option<String>,
    /// Only tasks that run at or after EXPR (a time expression, e.g. 1h)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub after: Option<String>,
    /// Only the task(s) scheduled with this --key
    #[arg(long, allow_hyphen_values = true)]
    pub key: Option<String>,
    /// json (default) or table (for people: local time, relative time, summary)
    #[arg(long, default_value = "json", value_parser = closed::<Format>(), allow_hyphen_values = true)]
    pub format: Format,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

pub fn exec(ctx: &Ctx, args: ListArgs) -> Result<ExitCode> {
    let tasks = list::list(ctx, &request(&args))?;
    match args.format {
        Format::Json => output::json(&tasks, args.compact)?,
        Format::Table => {
            let width = output::table_width(ctx.env.get("COLUMNS"));
            let mut table = Vec::new();
            view::table(&mut table, &tasks, ctx.now, ctx.env.timezone()?, width)?;
            output::stdout(&table)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn request(args: &ListArgs) -> Request {
    Request {
        statuses: args.statuses.clone(),
        all: args.all,
        intents: args.intents.clone(),
        due: args.due,
        before: args.before.clone(),
        after: args.after.clone(),
        key: args.key.clone(),
    }
}
