//! `doctor`: the health checks, for a person at the CLI or (its own environment first)
//! for the MCP server.

use super::Ctx;
use crate::doctor::{self, Host, Row};

/// The health checks, in report order.
pub fn doctor(ctx: &Ctx) -> Vec<Row> {
    doctor::run(&ctx.env, ctx.now, &Host)
}

/// The health checks as the MCP server reports them: its own environment, compared
/// with the crontab line's, first.
pub fn for_server(ctx: &Ctx) -> Vec<Row> {
    doctor::run_for_server(&ctx.env, ctx.now, &Host)
}
