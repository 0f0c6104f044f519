//! The handle a command that writes was given, checked before it takes the write lock:
//! an unknown id or key, or a finished occurrence whose series goes on (it may be
//! archived already), is an error naming what to use (`selector::resolve`).

use anyhow::Result;

use super::Ctx;
use crate::selector::{self, Purpose, Selector};

/// `selector`, once the store and the archives show it names a task to act on.
pub fn checked(ctx: &Ctx, selector: Selector) -> Result<Selector> {
    selector::resolve(&ctx.store()?, &ctx.paths()?, &selector, Purpose::Act)?;
    Ok(selector)
}
