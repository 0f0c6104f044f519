//! A miss of the handle a command that writes was given, explained: the active store
//! has no such live task, but the archives may say why (a finished occurrence whose
//! series goes on names the live one; `selector::explain`).

use anyhow::Result;

use super::Ctx;
use crate::selector;

/// `result`, with a `selector::NotFound` error replaced by what the archives say.
pub fn explained<T>(ctx: &Ctx, result: Result<T>) -> Result<T> {
    result.map_err(|err| match (ctx.store(), ctx.paths()) {
        (Ok(store), Ok(paths)) => selector::explain(&store, &paths, err),
        _ => err,
    })
}
