//! `defer when`: what an expression resolves to, in UTC, local time and relative.

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use serde::Serialize;

use super::args::WhenArgs;
use super::{output, Ctx};
use crate::timestamp::Timestamp;
use crate::when;

/// What `defer when` prints.
#[derive(Serialize)]
pub struct Preview {
    input: String,
    utc: Timestamp,
    local: String,
    timezone: String,
    relative: String,
    in_past: bool,
}

pub fn exec(ctx: &Ctx, args: WhenArgs) -> Result<ExitCode> {
    let (preview, compact) = preview(ctx, &args)?;
    output::json(&preview, compact)?;
    Ok(ExitCode::SUCCESS)
}

/// The expression resolved, and whether `--compact` was asked for.
pub fn preview(ctx: &Ctx, args: &WhenArgs) -> Result<(Preview, bool)> {
    let tz = ctx.env.timezone()?;
    let (input, compact) = args.expression();
    let resolved =
        when::parse(&input, ctx.now, tz).map_err(|e| anyhow!("invalid --when '{input}': {e}"))?;
    let at = Timestamp::new(resolved.at);
    let preview = Preview {
        local: at
            .at()
            .with_timezone(&tz)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        timezone: tz.name().to_string(),
        relative: when::relative(ctx.now, resolved.at),
        in_past: resolved.in_past,
        utc: at,
        input,
    };
    Ok((preview, compact))
}
