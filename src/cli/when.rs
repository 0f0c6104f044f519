//! `defer when`: what an expression resolves to, in UTC, local time and relative.

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use serde::Serialize;

use super::args::WhenArgs;
use super::{output, Ctx};
use crate::timestamp::Timestamp;
use crate::when;

/// What `defer when` prints: one instant, or the next fires of `--every`/`--cron`.
#[derive(Serialize)]
#[serde(untagged)]
pub enum WhenValue {
    One(Preview),
    Fires(Vec<Preview>),
}

/// One instant, in UTC, local time and relative.
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
    let (value, compact) = preview(ctx, &args)?;
    output::json(&value, compact)?;
    Ok(ExitCode::SUCCESS)
}

/// The expression resolved (or the fires previewed), and whether `--compact` was asked
/// for.
pub fn preview(ctx: &Ctx, args: &WhenArgs) -> Result<(WhenValue, bool)> {
    let tz = ctx.env.timezone()?;
    if args.every.is_some() || args.cron.is_some() {
        let compact = args.compact || args.expression().1;
        return Ok((WhenValue::Fires(fires(ctx, args, tz)?), compact));
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
    Ok((WhenValue::One(preview), compact))
}

/// `defer when --every <d> | --cron <expr> [--next N]`: the next N fires, as an array of
/// the same objects a single expression gets.
fn fires(ctx: &Ctx, args: &WhenArgs, tz: chrono_tz::Tz) -> Result<Vec<Preview>> {
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
    Ok(previews)
}
