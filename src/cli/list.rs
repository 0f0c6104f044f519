//! `defer list`: the selected tasks as a JSON array.

use std::process::ExitCode;

use anyhow::Result;

use super::args::ListArgs;
use super::{output, Ctx};
use crate::query::{self, Filter};

pub fn exec(ctx: &Ctx, args: ListArgs) -> Result<ExitCode> {
    let store = ctx.store()?;
    let filter = Filter {
        statuses: args.statuses,
        all: args.all,
        ..Filter::default()
    };
    let (tasks, bad) = query::list(&store, &filter)?;
    output::bad_lines(store.path(), &bad);
    output::json(&tasks, args.compact)?;
    Ok(ExitCode::SUCCESS)
}
