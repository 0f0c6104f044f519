//! `defer history`: finished tasks as a JSON array, or a table for people.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{anyhow, Result};

use super::args::HistoryArgs;
use super::{output, Ctx};
use crate::history::{self, Filter};
use crate::store::{invalid, BadLine};
use crate::task::Task;
use crate::view::Format;
use crate::when;

pub fn exec(ctx: &Ctx, args: HistoryArgs) -> Result<ExitCode> {
    let tasks = tasks(ctx, &args)?;
    match args.format {
        Format::Json => output::json(&tasks, args.compact)?,
        Format::Table => {
            let width = output::table_width(ctx.env.get("COLUMNS"));
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            history::table::write(&mut out, &tasks, ctx.now, ctx.env.timezone()?, width)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The finished tasks the flags select; skipped lines are reported on stderr.
pub fn tasks(ctx: &Ctx, args: &HistoryArgs) -> Result<Vec<Task>> {
    let filter = filter(ctx, args)?;
    let paths = ctx.paths()?;
    let store = ctx.store()?;
    let (tasks, skipped) = history::query(&store, &paths, &filter)?;
    // One warning per file, however many of its lines were skipped.
    let mut files: Vec<(std::path::PathBuf, Vec<BadLine>)> = Vec::new();
    for skip in skipped {
        match files.iter_mut().find(|(file, _)| *file == skip.file) {
            Some((_, lines)) => lines.push(skip.line),
            None => files.push((skip.file, vec![skip.line])),
        }
    }
    for (file, lines) in files {
        let is_store = file == store.path();
        if let Some(warning) = invalid::warning(&file, &lines, is_store) {
            output::warn(&warning);
        }
    }
    Ok(tasks)
}

fn filter(ctx: &Ctx, args: &HistoryArgs) -> Result<Filter> {
    let since = match args.since.as_deref() {
        Some(expr) => Some(
            when::since(expr, ctx.now, ctx.env.timezone()?)
                .map_err(|e| anyhow!("invalid --since '{expr}': {e}"))?,
        ),
        None => None,
    };
    Ok(Filter {
        since,
        statuses: args.statuses.clone(),
        intents: args.intents.clone(),
        series: args.series.clone(),
        key: args.key.clone(),
        limit: usize::try_from(args.limit).unwrap_or(usize::MAX),
    })
}
