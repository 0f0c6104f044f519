//! `cancel`: a scheduled, paused or waiting task → cancelled (a whole series, or with
//! `occurrence` only this occurrence of it).

use anyhow::Result;

use super::Ctx;
use crate::selector::Selector;
use crate::task::Task;

pub struct Request {
    pub selector: Selector,
    /// Kept in the record as `cancel_reason`.
    pub reason: Option<String>,
    /// On a series occurrence: skip only this one (default: end the series).
    pub occurrence: bool,
}

/// The cancelled task; a handle that names no live task is explained from the archives.
pub fn cancel(ctx: &Ctx, request: Request) -> Result<Task> {
    let (audit, store) = (ctx.audit()?, ctx.store()?);
    let mut bad = Vec::new();
    let cancel = match request.occurrence {
        true => crate::cancel::cancel_occurrence,
        false => crate::cancel::cancel,
    };
    let cancelled = cancel(
        &store,
        &audit,
        request.selector,
        request.reason.as_deref(),
        ctx.now,
        &mut bad,
    );
    ctx.bad_lines(store.path(), &bad);
    let task = ctx.explained(cancelled)?;
    ctx.audit_warnings(&audit);
    Ok(task)
}
