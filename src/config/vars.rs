//! The one table of environment variables (`VARS`): each one `defer` reads or sets.
//!
//! Its name, role, meaning, default and bounds, and whether `defer cron` bakes it into
//! the crontab line. Everything that lists variables reads it: `config` (`KNOWN_VARS`,
//! the getters' defaults and bounds, which values must be UTF-8), the man page's
//! ENVIRONMENT section, the crontab line (`cron::settings`: what is baked in, which
//! values are paths or programs) and doctor's `settings` row (through `Env::problems`;
//! a test holds its checks to the table's). A test fails when a `"DEFER_..."` name in
//! `src/` is not here.

use crate::lanes;

use super::MAX_SECONDS;

/// What a variable is to `defer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A `DEFER_*` setting (SPEC §2, §12–§15, §20): in `KNOWN_VARS` and the man page's
    /// ENVIRONMENT section.
    Setting,
    /// A variable outside `DEFER_*` that `defer` reads: not a setting of its own, but a
    /// value that is not UTF-8 is an error naming it, as for a setting.
    System,
    /// Set by `defer` for the programs it starts (the executor, hooks): an output, not a
    /// setting (`schedule` reads `DEFER_TASK_ID` back for lineage).
    Output,
}

/// What a value is: how `Env` checks it and how the crontab line writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A file or directory: made absolute in the crontab line (cron starts jobs in `$HOME`).
    Path,
    /// A program: a path (made absolute), or a bare name searched on `PATH` (kept).
    Program,
    /// A hook's program (`DEFER_ON_*`, SPEC §14): a `Program`, checked by `Env::hook_program`.
    Hook,
    /// Whole seconds from 0 to `max`; `default` when unset.
    Seconds { default: u64, max: u64 },
    /// A whole number from `min` to `max`; `default` when unset.
    Count { default: u64, min: u64, max: u64 },
    /// An IANA zone name.
    Zone,
    /// `1` or `0`.
    Switch,
    /// `name=limit` pairs (`lanes::Limits::parse`).
    Lanes,
    /// A list of directories: the crontab line keeps the absolute ones, each once.
    Dirs,
    /// Free text.
    Text,
}

impl Kind {
    /// A path in the crontab line: made absolute against the working directory.
    pub fn is_path(self) -> bool {
        matches!(self, Kind::Path | Kind::Program | Kind::Hook)
    }

    /// Names a program: a bare name (no `/`) is searched on `PATH`, so kept as it is.
    pub fn is_program(self) -> bool {
        matches!(self, Kind::Program | Kind::Hook)
    }
}

/// One variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    pub name: &'static str,
    pub role: Role,
    pub kind: Kind,
    /// The default, as the man page prints it (`unset`: none).
    pub default: &'static str,
    /// `defer cron` bakes it into the crontab line (`cron::settings`; `mcp config` and
    /// `export` take the same settings).
    pub cron: bool,
    /// One line, as the man page prints it.
    pub meaning: &'static str,
}

impl Var {
    /// `Env::validate` (and so every command, and doctor's `settings` row) checks its
    /// value: a bad one is an error naming it.
    pub fn checked(&self) -> bool {
        self.role != Role::Output
            && matches!(
                self.kind,
                Kind::Hook
                    | Kind::Seconds { .. }
                    | Kind::Count { .. }
                    | Kind::Zone
                    | Kind::Switch
                    | Kind::Lanes
            )
    }
}

/// A setting: documented, and baked into the crontab line.
const fn setting(
    name: &'static str,
    kind: Kind,
    default: &'static str,
    meaning: &'static str,
) -> Var {
    Var {
        name,
        role: Role::Setting,
        kind,
        default,
        cron: true,
        meaning,
    }
}

const fn system(name: &'static str, kind: Kind, cron: bool, meaning: &'static str) -> Var {
    Var {
        name,
        role: Role::System,
        kind,
        default: "unset",
        cron,
        meaning,
    }
}

const fn output(name: &'static str, kind: Kind, meaning: &'static str) -> Var {
    Var {
        name,
        role: Role::Output,
        kind,
        default: "unset",
        cron: false,
        meaning,
    }
}

/// Whole seconds, bounded to ten years (SPEC §11).
const fn seconds(default: u64) -> Kind {
    Kind::Seconds {
        default,
        max: MAX_SECONDS,
    }
}

/// Every variable: the settings in the man page's order, then the others.
#[rustfmt::skip]
pub const VARS: &[Var] = &[
    setting("DEFER_RUNTIME_DIR", Kind::Path, "~/data/runtime", "root of all state"),
    setting("DEFER_TASKS_FILE", Kind::Path, "$DEFER_RUNTIME_DIR/deferred.jsonl", "the active store"),
    setting("DEFER_ARCHIVE_DIR", Kind::Path, "$DEFER_RUNTIME_DIR/archive", "monthly archives"),
    setting("DEFER_LOG_DIR", Kind::Path, "$DEFER_RUNTIME_DIR/logs", "prompt artifacts, outputs, audit log"),
    setting("DEFER_LOG_FILE", Kind::Path, "$DEFER_LOG_DIR/deferred.log", "the audit log"),
    setting("DEFER_TIMEZONE", Kind::Zone, "TZ, else the system zone", "zone for naive times (9am, tomorrow)"),
    setting("DEFER_EXECUTOR", Kind::Program, "unset", "executable that receives each due task's JSON on stdin"),
    setting("DEFER_RETRY_DELAY_SECONDS", seconds(60), "60", "delay before a retry"),
    setting("DEFER_EXECUTOR_TIMEOUT_SECONDS", seconds(3600), "3600", "executor wall-clock limit; 0 = none"),
    setting("DEFER_CONTEXT_FILE", Kind::Path, "unset", "fallback CONTEXT.md for reorient"),
    setting("DEFER_GRACE_SECONDS", seconds(600), "600", "lateness allowed before the missed-run policy applies"),
    setting("DEFER_ON_SUCCESS", Kind::Hook, "unset", "hook run after a task completes"),
    setting("DEFER_ON_FAILURE", Kind::Hook, "unset", "hook run after a task fails"),
    setting("DEFER_ON_MISSED", Kind::Hook, "unset", "hook run after a task is missed"),
    setting("DEFER_ON_NEEDS_INPUT", Kind::Hook, "unset", "hook run after a task starts waiting for an answer"),
    setting("DEFER_RUNNER_CHECK", Kind::Switch, "1", "0 silences the no-runner warning of schedule and list"),
    setting("DEFER_ALLOW_NETWORK_FS", Kind::Switch, "unset", "1 lets the store live on NFS/CIFS"),
    setting(
        "DEFER_MAX_PARALLEL",
        Kind::Count {
            default: lanes::DEFAULT_MAX_PARALLEL as u64,
            min: 1,
            max: lanes::MAX_PARALLEL as u64,
        },
        "4",
        "executors running at once on this host, all lanes together (1-256)",
    ),
    setting(
        "DEFER_LANES",
        Kind::Lanes,
        "unset",
        "named lanes' limits, e.g. repo-a=1,research=3; a lane not listed runs one task at a time",
    ),
    system("TZ", Kind::Zone, false, "the zone for naive times when DEFER_TIMEZONE is unset"),
    system("HOME", Kind::Path, false, "DEFER_RUNTIME_DIR's default is under it; cron sets it"),
    system("PATH", Kind::Dirs, true, "where a bare program name (executor, hook) is searched"),
    system("COLUMNS", Kind::Text, false, "the terminal's width, for tables"),
    output("DEFER_TASK_ID", Kind::Text, "the task's id (executor, hooks); a task scheduled with it set records it as its parent"),
    output("DEFER_PROMPT_PATH", Kind::Path, "the task's prompt file (executor)"),
    output("DEFER_SCHEDULED_FOR", Kind::Text, "the fire the run stands for, UTC (executor)"),
    output("DEFER_LATE_SECONDS", Kind::Text, "how late the run is, when it is late (executor)"),
    output("DEFER_BUDGET_USD", Kind::Text, "what is left of the series' --budget (executor)"),
    output("DEFER_REPORT_PATH", Kind::Path, "the fresh file for the executor's report (SPEC §22)"),
    output("DEFER_STATUS", Kind::Text, "the task's final status (hooks)"),
];

/// The names of the settings (`Role::Setting`), in the man page's order: the variables
/// of SPEC §2, §12–§15 and §20 that configure `defer`.
pub const KNOWN_VARS: [&str; count(Role::Setting)] = names(Role::Setting);

/// The variable named `name`, if registered.
pub fn find(name: &str) -> Option<&'static Var> {
    VARS.iter().find(|var| var.name == name)
}

/// The variable named `name`, which the caller knows is registered (a test holds every
/// `"DEFER_..."` name in `src/` to this table).
pub fn get(name: &str) -> &'static Var {
    find(name).unwrap_or_else(|| panic!("{name} is not in config::vars::VARS"))
}

/// The settings, in the man page's order.
pub fn settings() -> impl Iterator<Item = &'static Var> {
    VARS.iter().filter(|var| var.role == Role::Setting)
}

const fn count(role: Role) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < VARS.len() {
        if VARS[i].role as u8 == role as u8 {
            n += 1;
        }
        i += 1;
    }
    n
}

const fn names<const N: usize>(role: Role) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut i, mut n) = (0, 0);
    while i < VARS.len() {
        if VARS[i].role as u8 == role as u8 {
            out[n] = VARS[i].name;
            n += 1;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests;
