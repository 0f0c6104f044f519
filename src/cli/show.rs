//! `defer show`: a task's latest record wherever it is, or its prompt / output file
//! (streamed), its chain, or its output followed.

use std::process::ExitCode;

use anyhow::Result;

use super::args::ShowArgs;
use super::output;
use crate::ops::show::{self, File, Part};
use crate::ops::Ctx;

pub fn exec(ctx: &Ctx, args: ShowArgs) -> Result<ExitCode> {
    let selector = args.handle.selector();
    if args.chain {
        output::json(&show::chain(ctx, &selector)?, args.compact)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.follow {
        show::follow(ctx, &selector, &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    let part = match (args.prompt, args.output) {
        (true, _) => Part::Prompt,
        (_, true) => Part::Output,
        _ => Part::Record,
    };
    let shown = show::show(ctx, &selector, part)?;
    match shown.file {
        Some(File::Rendered(text)) => output::stdout(text.as_bytes()),
        // Streamed: an output file of any size never sits in memory whole.
        Some(File::Opened(file)) => file.copy_to(&mut std::io::stdout().lock()).map(drop),
        None => output::json(&shown.task, args.compact),
    }?;
    Ok(ExitCode::SUCCESS)
}
