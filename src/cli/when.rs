//! `defer when`: what an expression resolves to, in UTC, local time and relative.

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use serde::Serialize;

use super::args::WhenArgs;
use super::{output, Ctx};
use crate::timestamp::Timestamp;
use crate::when;

#[derive(Serialize)]
struct Preview {
    input: String,
    utc: Timestamp,
    local: String,
    timezone: String,
    relative: String,
    in_past: bool,
}

pub fn exec(ctx: &Ctx, args: WhenArgs) -> Result<ExitCode> {
    let tz = ctx.env.timezone()?;
    if args.every.is_some() || args.cron.is_some() {
        return fires(ctx, &args, tz);
    }
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
    output::json(&preview, compact)?;
    Ok(ExitCode::SUCCESS)
}

/// `defer when --every <d> | --cron <expr> [--next N]`: the next N fires, as an array of
/// the same objects a single expression gets.
fn fires(ctx: &Ctx, args: &WhenArgs, tz: chrono_tz::Tz) -> Result<ExitCode> {
    let request = crate::series::SeriesRequest {
        every: args.every.clone(),
        cron: args.cron.clone(),
        ..Default::default()
    };
    crate::series::plan(&request, ctx.now, tz, 0)?;
    let (input, schedule) = match (&args.every, &args.cron) {
        (Some(every), _) => (
            every,
            crate::series::Schedule::from_parts(Some(every), None, tz.name()),
        ),
        (None, Some(cron)) => (
            cron,
            crate::series::Schedule::from_parts(None, Some(cron), tz.name()),
        ),
        (None, None) => unreachable!("checked by the caller"),
    };
    let schedule = schedule.map_err(anyhow::Error::msg)?;
    let previews: Vec<Preview> = schedule
        .preview(ctx.now, args.next as usize)
        .into_iter()
        .map(|at| Preview {
            input: input.trim().to_string(),
            utc: Timestamp::new(at),
            local: at
                .with_timezone(&tz)
                .format("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
            timezone: tz.name().to_string(),
            relative: when::relative(ctx.now, at),
            in_past: false,
        })
        .collect();
    output::json(&previews, args.compact || args.expression().1)?;
    Ok(ExitCode::SUCCESS)
}
