//! `defer list`: the selected tasks as a JSON array, or a table for people.

use std::process::ExitCode;

use anyhow::Result;

use super::args::ListArgs;
use super::output;
use crate::ops::list::{self, Request};
use crate::ops::Ctx;
use crate::view::{self, Format};

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
