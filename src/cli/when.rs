//! `defer when`: what an expression resolves to, in UTC, local time and relative.

use std::process::ExitCode;

use anyhow::Result;

use super::args::WhenArgs;
use super::output;
use crate::ops::when::{self, Request};
use crate::ops::Ctx;

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
