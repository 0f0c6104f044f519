//! `when`: what a time expression resolves to (UTC, local, relative), or the next
//! fires of an `--every`/`--cron` recurrence. Stores nothing.

use anyhow::{anyhow, Result};
use serde::Serialize;

use super::Ctx;
use crate::timestamp::Timestamp;
use crate::when;

/// What to preview.
#[derive(Debug)]
pub enum Request {
    /// A time expression.
    Expression(String),
    /// The next `next` fires of a fixed interval (`every`) or a cron expression.
    Fires {
        every: Option<String>,
        cron: Option<String>,
        next: u32,
    },
}

/// What `when` returns: one instant, or the next fires of a recurrence.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Previewed {
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

pub fn when(ctx: &Ctx, request: &Request) -> Result<Previewed> {
    let tz = ctx.env.timezone()?;
    let (every, cron, next) = match request {
        Request::Fires { every, cron, next } => (every, cron, *next),
        Request::Expression(input) => {
            let resolved = when::parse(input, ctx.now, tz)
                .map_err(|e| anyhow!("invalid --when '{input}': {e}"))?;
            let at = Timestamp::new(resolved.at);
            return Ok(Previewed::One(Preview {
                local: local(at.at(), tz),
                timezone: tz.name().to_string(),
                relative: when::relative(ctx.now, resolved.at),
                in_past: resolved.in_past,
                utc: at,
                input: input.clone(),
            }));
        }
    };
    let request = crate::series::SeriesRequest {
        every: every.clone(),
        cron: cron.clone(),
        ..Default::default()
    };
    crate::series::plan(&request, ctx.now, tz, 0)?;
    let (input, schedule) = match (every, cron) {
        (Some(every), _) => (
            every,
            crate::series::Schedule::from_parts(Some(every), None, tz.name()),
        ),
        (None, Some(cron)) => (
            cron,
            crate::series::Schedule::from_parts(None, Some(cron), tz.name()),
        ),
        (None, None) => return Err(anyhow!("give an expression, every or cron")),
    };
    let schedule = schedule.map_err(anyhow::Error::msg)?;
    let previews = schedule
        .preview(ctx.now, next as usize)
        .into_iter()
        .map(|at| Preview {
            input: input.trim().to_string(),
            utc: Timestamp::new(at),
            local: local(at, tz),
            timezone: tz.name().to_string(),
            relative: when::relative(ctx.now, at),
            in_past: false,
        })
        .collect();
    Ok(Previewed::Fires(previews))
}

fn local(at: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}
