//! `history`: finished tasks from the store and the archives, newest first.

use anyhow::{anyhow, Result};

use super::Ctx;
use crate::history::{self, Filter};
use crate::store::{invalid, BadLine};
use crate::task::{Intent, Status, Task};
use crate::when;

/// Which finished tasks to return.
#[derive(Debug)]
pub struct Request {
    /// `--since`: a duration ago or a past time (the grammar read backwards).
    pub since: Option<String>,
    pub statuses: Vec<Status>,
    pub intents: Vec<Intent>,
    /// Only this series (its first occurrence's id).
    pub series: Option<String>,
    pub key: Option<String>,
    pub limit: u64,
}

/// The finished tasks the request selects; skipped lines are one warning per file.
pub fn history(ctx: &Ctx, request: &Request) -> Result<Vec<Task>> {
    let filter = filter(ctx, request)?;
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
            ctx.warn(warning);
        }
    }
    Ok(tasks)
}

fn filter(ctx: &Ctx, request: &Request) -> Result<Filter> {
    let since = match request.since.as_deref() {
        Some(expr) => Some(
            when::since(expr, ctx.now, ctx.env.timezone()?)
                .map_err(|e| anyhow!("invalid --since '{expr}': {e}"))?,
        ),
        None => None,
    };
    Ok(Filter {
        since,
        statuses: request.statuses.clone(),
        intents: request.intents.clone(),
        series: request.series.clone(),
        key: request.key.clone(),
        limit: usize::try_from(request.limit).unwrap_or(usize::MAX),
    })
}
