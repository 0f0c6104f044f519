//! `defer stats`: expected fires against actual runs, per series (SPEC §23).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::args::closed;
use super::output;
use crate::ops::stats::{self, Request};
use crate::ops::Ctx;
use crate::view::Format;

const STATS_ABOUT: &str = "\
For each series (and the one-shot tasks together): the fires its schedule had in the
window, from the series' start to its end, against what ran: on time, late, missed (by
reason: late, overlap, budget, waiting), failed, and duplicates (a fire executed more
than once: always 0 unless something is wrong), with the cost executors reported and
the median attempt duration. Read from the store, the archives and the attempt
histories; changes nothing.";

const STATS_EXAMPLES: &str = "\
Examples:
  defer stats                          the last 7 days, every series
  defer stats --since 30d --format table
  defer stats --series task_20261201_090000_ab12cd34ef56 --compact
  defer stats --key nightly-report --since 'last week'";

#[derive(Debug, Args)]
#[command(long_about = STATS_ABOUT, after_help = STATS_EXAMPLES)]
pub struct StatsArgs {
    /// The window: fires at or after EXPR, a duration ago (7d, 24h) or a past time (default 7d)
    #[arg(long, value_name = "EXPR", default_value = crate::stats::DEFAULT_SINCE, allow_hyphen_values = true)]
    pub since: String,
    /// Only this series (its first occurrence's id)
    #[arg(
        long,
        value_name = "ID",
        allow_hyphen_values = true,
        conflicts_with = "key"
    )]
    pub series: Option<String>,
    /// Only tasks scheduled with this --key
    #[arg(long, allow_hyphen_values = true)]
    pub key: Option<String>,
    /// json (default) or table
    #[arg(long, default_value = "json", value_parser = closed::<Format>(), allow_hyphen_values = true)]
    pub format: Format,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

pub fn exec(ctx: &Ctx, args: StatsArgs) -> Result<ExitCode> {
    let request = Request {
        since: args.since,
        series: args.series,
        key: args.key,
    };
    let rows = stats::stats(ctx, &request)?;
    match args.format {
        Format::Json => output::json(&rows, args.compact)?,
        Format::Table => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            crate::stats::table::write(&mut out, &rows)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
