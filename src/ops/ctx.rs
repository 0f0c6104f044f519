//! What every operation may need, built once per call: the settings, the clock, which
//! front end asked, and the warning channel that front end reads.

use std::cell::OnceCell;
use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::Warning;
use crate::audit::AuditLog;
use crate::config::{Env, Paths};
use crate::store::{BadLine, Store};

/// Which front end an operation answers: the CLI (a person or script typing flags) or
/// the MCP server (a model passing arguments). What files an operation may read (SPEC
/// §21) and how messages name options depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    Cli,
    Mcp,
}

impl Front {
    /// An option as this front end spells it: `--retry-delay` or `retry_delay`.
    pub fn option(self, long: &str) -> String {
        match self {
            Front::Cli => format!("--{long}"),
            Front::Mcp => long.replace('-', "_"),
        }
    }
}

/// The context of one operation.
pub struct Ctx {
    pub env: Env,
    pub now: DateTime<Utc>,
    pub front: Front,
    /// The one channel for warnings: the CLI prints each as it comes, MCP collects them
    /// for the tool result (like cargo's `Shell`).
    channel: Box<dyn Fn(&Warning)>,
    /// `env.paths()`, resolved once (it reads the file system).
    paths: OnceCell<Paths>,
}

impl Ctx {
    pub fn new(env: Env, now: DateTime<Utc>, front: Front, channel: Box<dyn Fn(&Warning)>) -> Self {
        Ctx {
            env,
            now,
            front,
            channel,
            paths: OnceCell::new(),
        }
    }

    /// Hands `warning` to the front end.
    pub fn tell(&self, warning: Warning) {
        (self.channel)(&warning);
    }

    pub fn warn(&self, text: impl Into<String>) {
        self.tell(Warning::warn(text));
    }

    pub fn note(&self, text: impl Into<String>) {
        self.tell(Warning::note(text));
    }

    pub fn info(&self, text: impl Into<String>) {
        self.tell(Warning::info(text));
    }

    /// The store's invalid lines, as one warning however many (SPEC §21).
    pub fn bad_lines(&self, store: &Path, bad: &[BadLine]) {
        if let Some(warning) = crate::store::invalid::warning(store, bad, true) {
            self.warn(warning);
        }
    }

    /// The audit log's warnings (a line it could not write), if it had any.
    pub fn audit_warnings(&self, audit: &AuditLog) {
        for warning in audit.take_warnings() {
            self.warn(warning);
        }
    }

    /// `result`, with a `selector::NotFound` error replaced by what the archives say (a
    /// finished occurrence whose series goes on names the live one).
    pub fn explained<T>(&self, result: Result<T>) -> Result<T> {
        result.map_err(|err| match (self.store(), self.paths()) {
            (Ok(store), Ok(paths)) => crate::selector::explain(&store, &paths, err),
            _ => err,
        })
    }

    pub fn paths(&self) -> Result<Paths> {
        if let Some(paths) = self.paths.get() {
            return Ok(paths.clone());
        }
        let paths = self.env.paths()?;
        Ok(self.paths.get_or_init(|| paths).clone())
    }

    pub fn store(&self) -> Result<Store> {
        Store::open(&self.paths()?, self.env.allow_network_fs()?)
    }

    pub fn audit(&self) -> Result<AuditLog> {
        Ok(AuditLog::new(self.paths()?.log_file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_flags_on_the_cli_and_argument_names_over_mcp() {
        assert_eq!(Front::Cli.option("retry-delay"), "--retry-delay");
        assert_eq!(Front::Mcp.option("retry-delay"), "retry_delay");
    }
}
