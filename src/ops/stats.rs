//! `stats`: expected fires against actual runs, per series (SPEC §23). Changes nothing.

use anyhow::{anyhow, Result};

use super::Ctx;
use crate::stats::{self, Row, Select};
use crate::when;

pub struct Request {
    /// The window's start: a duration ago or a past time.
    pub since: String,
    pub series: Option<String>,
    pub key: Option<String>,
}

pub fn stats(ctx: &Ctx, request: &Request) -> Result<Vec<Row>> {
    let since = when::since(&request.since, ctx.now, ctx.env.timezone()?)
        .map_err(|e| anyhow!("invalid --since '{}': {e}", request.since))?;
    let select = Select {
        series: request.series.clone(),
        key: request.key.clone(),
    };
    let tasks = stats::collect(&ctx.store()?, &ctx.paths()?, since, &select)?;
    Ok(stats::rows(&tasks, since, ctx.now))
}
