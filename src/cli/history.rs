//! `defer history`: finished tasks as a JSON array, or a table for people.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::args::{closed, terminal_status};
use super::output;
use crate::ops::history::{self, Request};
use crate::ops::values;
use crate::ops::Ctx;
use crate::task::{Intent, Status};
use crate::view::Format;

pub(super) const HISTORY_EXAMPLES: &str = "\
--since takes a duration meaning that long ago (2h, 3 days, 30m ago) or a past time:
a clock time is its latest past occurrence (9am before 9am is yesterday's), a day
without a time starts at 00:00 (today, yesterday, friday, dec 1, 2026-12-01), ISO 8601
as written. The bound is inclusive; a time in the future is an error.

Examples:
  defer history --since 2h --format table
  defer history --status failed --since yesterday --compact
  defer history --key nightly-report --limit 1
  defer history --series task_20261201_090000_0a3kz9x2m1qp";

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only tasks that ended at or after EXPR: a duration ago (2h) or a past time (9am, yesterday)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Only tasks with this status (repeatable; default: every finished status)
    #[arg(long = "status", value_parser = terminal_status(), allow_hyphen_values = true)]
    pub statuses: Vec<Status>,
    /// Only tasks with this intent (repeatable; default: all)
    #[arg(long = "intent", value_parser = closed::<Intent>(), allow_hyphen_values = true)]
    pub intents: Vec<Intent>,
    /// Only occurrences of this series (its first occurrence's id)
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    pub series: Option<String>,
    /// Only tasks scheduled with this --key
    #[arg(long, allow_hyphen_values = true)]
    pub key: Option<String>,
    /// At most N tasks, the newest
    #[arg(long, value_name = "N", default_value = "50", value_parser = values::positive, allow_hyphen_values = true)]
    pub limit: u32,
    /// json (default) or table (for people: local end time, relative time, summary and error)
    #[arg(long, default_value = "json", value_parser = closed::<Format>(), allow_hyphen_values = true)]
    pub format: Format,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

pub fn exec(ctx: &Ctx, args: HistoryArgs) -> Result<ExitCode> {
    let request = Request {
        since: args.since.clone(),
        statuses: args.statuses.clone(),
        intents: args.intents.clone(),
        series: args.series.clone(),
        key: args.key.clone(),
        limit: u64::from(args.limit),
    };
    let tasks = history::history(ctx, &request)?;
    match args.format {
        Format::Json => output::json(&tasks, args.compact)?,
        Format::Table => {
            let width = output::table_width(ctx.env.get("COLUMNS"));
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            crate::history::table::write(&mut out, &tasks, ctx.now, ctx.env.timezone()?, width)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
