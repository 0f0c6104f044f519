//! `answer`: a waiting task gets its answer and is due again now (SPEC §22).

use anyhow::Result;

use super::Ctx;
use crate::answer::{self, Target};
use crate::selector::Selector;
use crate::task::Task;

/// The answered task: `selector` names it by id, series id or key.
pub fn answer(ctx: &Ctx, selector: &Selector, text: &str) -> Result<Task> {
    let target = match selector {
        Selector::Id(id) => Target::Id(id),
        Selector::Key(key) => Target::Key(key),
    };
    let (audit, store) = (ctx.audit()?, ctx.store()?);
    let mut bad = Vec::new();
    let done = answer::answer(&store, &audit, target, text, ctx.now, &mut bad);
    ctx.bad_lines(store.path(), &bad);
    let task = done?;
    ctx.audit_warnings(&audit);
    Ok(task)
}
