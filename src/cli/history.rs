//! `defer history`: finished tasks as a JSON array, or a table for people.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

use super::args::HistoryArgs;
use super::output;
use crate::ops::history::{self, Request};
use crate::ops::Ctx;
use crate::view::Format;

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
