//! What each tool does: its checked arguments → the operation's request (`ops`) → the
//! value the tool returns. The arguments are read through the CLI's value rules, so a
//! refusal is the CLI's own line.

use anyhow::{bail, Result};
use serde::Serialize;
use serde_json::Value;

use super::arguments::Arguments;
use crate::ops::{self, values, Ctx};
use crate::selector::Selector;
use crate::series::SeriesRequest;
use crate::task::{AuraLevel, Backoff, Intent, MissedPolicy, Mode, Overlap, Retry, Status};

/// What a tool call produced: its JSON value (and the same as compact text, fields in
/// the CLI's order), for `show` with a file the file's text, for `schedule` whether
/// this call stored the task.
pub struct Done {
    pub text: String,
    pub value: Value,
    pub file: Option<String>,
    pub stored: Option<bool>,
}

impl Done {
    fn of<T: Serialize>(value: &T) -> Result<Self> {
        Ok(Done {
            text: serde_json::to_string(value)?,
            value: serde_json::to_value(value)?,
            file: None,
            stored: None,
        })
    }
}

/// A tool's code: what `tools::TOOLS` points at.
pub type Call = fn(&Ctx, &Arguments) -> Result<Done>;

/// `id` or `key` (the caller checked that exactly one is given).
fn selector(a: &Arguments) -> Selector {
    match a.text("key") {
        Some(key) => Selector::Key(key),
        None => Selector::Id(a.text("id").unwrap_or_default()),
    }
}

pub fn schedule(ctx: &Ctx, a: &Arguments) -> Result<Done> {
    a.one_of(&["when", "every", "cron"])?;
    a.exclusive("parent", "no_parent")?;
    let retry_delay = a.parsed("retry_delay", values::delay)?;
    let backoff = a.closed::<Backoff>("backoff")?;
    let task = crate::schedule::Request {
        when: a.text("when"),
        summary: a.text("summary"),
        intent: a.required("intent", values::closed::<Intent>)?,
        mode: a.required("mode", values::closed::<Mode>)?,
        prompt_template: a.text("prompt_template"),
        aura_level: a.required("aura_level", values::closed::<AuraLevel>)?,
        max_retries: a.required("max_retries", values::non_negative)?,
        key_points: a.texts("key_points"),
        artifacts: a.texts("artifacts"),
        constraints: a.texts("constraints"),
        context_json: a.text("context_json"),
        id: a.text("id"),
        reorient: a.flag("reorient"),
        project: a.text("project"),
        context_file: a.text("context_file"),
        key: a.text("key"),
        replace: a.flag("replace"),
        command: Some(a.texts("command")).filter(|command| !command.is_empty()),
        // Given only when asked for: the schema's default for backoff is documentation.
        retry: (retry_delay.is_some() || a.given("backoff")).then(|| Retry {
            delay_seconds: retry_delay,
            backoff: backoff.unwrap_or_default(),
            extra: Default::default(),
        }),
        series: SeriesRequest {
            every: a.text("every"),
            cron: a.text("cron"),
            until: a.text("until"),
            count: a.parsed("count", values::positive)?,
            grace: a.text("grace"),
            missed: a.closed::<MissedPolicy>("missed")?,
            pause_after: a.parsed("pause_after", values::non_negative)?,
        },
        default_grace: 600,
        lane: a.text("lane"),
        overlap: a.closed::<Overlap>("overlap")?,
    };
    let request = ops::schedule::Request {
        task,
        parent: a.text("parent"),
        no_parent: a.flag("no_parent"),
        answer_timeout: a.parsed("answer_timeout", values::delay)?,
        budget: a.parsed("budget", values::usd)?,
        dry_run: a.flag("dry_run"),
    };
    let scheduled = ops::schedule::schedule(ctx, request)?;
    Ok(Done {
        stored: Some(scheduled.stored),
        ..Done::of(&scheduled.task)?
    })
}

pub fn list(ctx: &Ctx, a: &Arguments) -> Result<Done> {
    a.exclusive("all", "statuses")?;
    let request = ops::list::Request {
        statuses: a.each("statuses", values::closed::<Status>)?,
        all: a.flag("all"),
        intents: a.each("intents", values::closed::<Intent>)?,
        due: a.flag("due"),
        before: a.text("before"),
        after: a.text("after"),
        key: a.text("key"),
    };
    Done::of(&ops::list::list(ctx, &request)?)
}

/// The most of a prompt or output file one tool result carries.
pub const FILE_MAX_BYTES: u64 = 64 * 1024;

pub fn show(ctx: &Ctx, a: &Arguments) -> Result<Done> {
    use ops::show::{File, Part};
    a.exclusive("include_prompt", "include_output")?;
    let part = match (a.flag("include_prompt"), a.flag("include_output")) {
        (true, _) => Part::Prompt,
        (_, true) => Part::Output,
        _ => Part::Record,
    };
    let shown = ops::show::show(ctx, &selector(a), part)?;
    let file = match shown.file {
        Some(File::Rendered(text)) => Some(text),
        // A file's last FILE_MAX_BYTES, with a note when that is not all of it: a
        // model's context is no place for megabytes.
        Some(File::Opened(file)) => {
            let tail = file.tail(FILE_MAX_BYTES)?;
            if tail.skipped > 0 {
                let flag = match part {
                    Part::Prompt => "--prompt",
                    _ => "--output",
                };
                ctx.note(format!(
                    "the file has {} bytes; this is its last {} (the whole file: defer show {} {flag})",
                    tail.total,
                    tail.total - tail.skipped,
                    shown.task.id
                ));
            }
            Some(tail.text)
        }
        None => None,
    };
    Ok(Done {
        file,
        ..Done::of(&shown.task)?
    })
}

pub fn cancel(ctx: &Ctx, a: &Arguments) -> Result<Done> {
    let request = ops::cancel::Request {
        selector: selector(a),
        reason: a.text("reason"),
        occurrence: a.flag("occurrence"),
    };
    Done::of(&ops::cancel::cancel(ctx, request)?)
}

pub fn pause(ctx: &Ctx, a: &Arguments) -> Result<Done> {
    Done::of(&ops::control::pause(ctx, selector(a))?)
}

pub fn resume(ctx: &Ctx, a: &Arguments) -> Result<Done> {
    Done::of(&ops::control::resume(ctx, selector(a))?)
}

pub fn reschedule(ctx: &Ctx, a: &Arguments) -> Result<Done> {
    let when = a.text("when").unwrap_or_default();
    Done::of(&ops::control::reschedule(ctx, selector(a), &when)?)
}

pub fn answer(ctx: &Ctx, a: &Arguments) -> Result<Done> {
    if a.given("id") && a.given("key") {
        bail!("give id or key, not both");
    }
    let Some(text) = a.text("text") else {
        bail!("the following required arguments were not provided: text");
    };
    let selector = match a.text("key") {
        Some(key) => Selector::Key(key),
        None => match a.text("id") {
            Some(id) => Selector::Id(id),
            None => bail!("give id or key: which task? (see the list tool)"),
        },
    };
    Done::of(&ops::answer::answer(ctx, &selector, &text)?)
}

pub fn stats(ctx: &Ctx, a: &Arguments) -> Result<Done> {
    a.exclusive("series", "key")?;
    let request = ops::stats::Request {
        since: a.text_or_default("since").unwrap_or_default(),
        series: a.text("series"),
        key: a.text("key"),
    };
    Done::of(&ops::stats::stats(ctx, &request)?)
}

pub fn when(ctx: &Ctx, a: &Arguments) -> Result<Done> {
    a.one_of(&["expression", "every", "cron"])?;
    a.exclusive("expression", "every")?;
    a.exclusive("expression", "cron")?;
    let next = a.required("next", values::preview_count)?;
    let request = match a.text("expression") {
        Some(expression) => ops::when::Request::Expression(expression),
        None => ops::when::Request::Fires {
            every: a.text("every"),
            cron: a.text("cron"),
            next,
        },
    };
    Done::of(&ops::when::when(ctx, &request)?)
}

pub fn history(ctx: &Ctx, a: &Arguments) -> Result<Done> {
    let request = ops::history::Request {
        since: a.text("since"),
        statuses: a.each("statuses", values::terminal_status)?,
        intents: a.each("intents", values::closed::<Intent>)?,
        series: a.text("series"),
        key: a.text("key"),
        limit: u64::from(a.required("limit", values::positive)?),
    };
    Done::of(&ops::history::history(ctx, &request)?)
}

pub fn doctor(ctx: &Ctx, _: &Arguments) -> Result<Done> {
    Done::of(&ops::doctor::for_server(ctx))
}
