//! Checks of the configuration and the machine: the `DEFER_*` settings, the executor,
//! the hooks, the time zone, free disk space, and the installed agent skill.

use std::io::Read;
use std::path::Path;

use super::{Row, System};
use crate::config::Env;
use crate::runner::hooks::{Hook, Hooks};
use crate::skill::{self, Target};

const MIB: u64 = 1024 * 1024;
/// Below this much free space the next write may fail: `fail`.
const FAIL_BELOW: u64 = 10 * MIB;
/// Below this, warn.
const WARN_BELOW: u64 = 100 * MIB;

/// Every setting parses, as every command checks it (`Env::validate`): the runner and
/// the other commands fail at once on a bad one.
pub(super) fn settings(env: &Env) -> Row {
    let problems: Vec<String> = env.problems().iter().map(|e| format!("{e:#}")).collect();
    match problems.is_empty() {
        true => Row::ok("settings", "every DEFER_* setting is valid"),
        false => Row::fail(
            "settings",
            problems.join("; "),
            "fix or unset that variable (and re-run 'defer cron --install' if cron has it)",
        ),
    }
}

pub(super) fn executor(env: &Env) -> Row {
    let Some(program) = env.executor() else {
        return Row::ok(
            "executor",
            "DEFER_EXECUTOR is not set: due tasks get a prompt file and complete",
        );
    };
    match crate::executor::resolve(&program, env.get("PATH")) {
        Some(path) => Row::ok("executor", format!("{} is executable", path.display())),
        None => Row::fail(
            "executor",
            format!(
                "DEFER_EXECUTOR {} is not an executable file (a bare name is searched on PATH)",
                program.display()
            ),
            "point DEFER_EXECUTOR at an executable file (chmod +x it), or unset it",
        ),
    }
}

/// The hooks (SPEC §14): each one set must be runnable. `run` only finds out when a
/// hook would run (and reports it then), so a broken one is a warning here.
pub(super) fn hooks(env: &Env) -> Row {
    let fix = "point each DEFER_ON_* at an executable file (chmod +x it), or unset it";
    let hooks = match Hooks::from_env(env) {
        Ok(hooks) => hooks,
        Err(e) => return Row::fail("hooks", format!("{e:#}"), fix),
    };
    let mut fine = Vec::new();
    let mut broken = Vec::new();
    for hook in Hook::ALL {
        let Some(program) = hooks.get(hook) else {
            continue;
        };
        match crate::executor::resolve(program, env.get("PATH")) {
            Some(path) => fine.push(format!("{hook} {}", path.display())),
            None => broken.push(format!("{hook} {}", program.display())),
        }
    }
    match (broken.is_empty(), fine.is_empty()) {
        (false, _) => Row::warn(
            "hooks",
            format!(
                "not an executable file (a bare name is searched on PATH): {}; it will fail each time it should run",
                broken.join(", ")
            ),
            fix,
        ),
        (true, true) => {
            let names: Vec<String> = Hook::ALL.iter().map(ToString::to_string).collect();
            Row::ok("hooks", format!("no {} hook is set", names.join(" / ")))
        }
        (true, false) => Row::ok("hooks", format!("executable: {}", fine.join(", "))),
    }
}

pub(super) fn timezone(env: &Env) -> Row {
    let zone = match env.timezone() {
        Ok(zone) => zone,
        Err(e) => {
            return Row::fail(
                "timezone",
                format!("{e:#}"),
                "set DEFER_TIMEZONE to an IANA zone name such as Europe/Paris",
            )
        }
    };
    let source = if env.get("DEFER_TIMEZONE").is_some() {
        "DEFER_TIMEZONE"
    } else if env.get("TZ").is_some() {
        "TZ"
    } else if system_zone_known() {
        "the system zone"
    } else {
        return Row::warn(
            "timezone",
            "the system zone cannot be read, so times like '9am' are read in UTC",
            "set DEFER_TIMEZONE to your IANA zone name, e.g. Europe/Paris",
        );
    };
    Row::ok("timezone", format!("{zone} (from {source})"))
}

fn system_zone_known() -> bool {
    iana_time_zone::get_timezone()
        .ok()
        .is_some_and(|name| name.parse::<chrono_tz::Tz>().is_ok())
}

/// Free space on the filesystem of the runtime dir (or its nearest existing parent).
pub(super) fn disk_space(runtime_dir: &Path, sys: &dyn System) -> Row {
    let existing = runtime_dir.ancestors().find(|p| p.exists());
    let free = existing.and_then(|p| sys.free_bytes(p));
    space_row(runtime_dir, free)
}

pub(super) fn space_row(dir: &Path, free: Option<u64>) -> Row {
    let d = dir.display();
    match free {
        None => Row::warn(
            "disk_space",
            format!("cannot tell the free space under {d}"),
            "check it with 'df -h'",
        ),
        Some(bytes) if bytes < FAIL_BELOW => Row::fail(
            "disk_space",
            format!(
                "only {} free under {d}: the next write may fail",
                size(bytes)
            ),
            "free some space on that filesystem",
        ),
        Some(bytes) if bytes < WARN_BELOW => Row::warn(
            "disk_space",
            format!("only {} free under {d}", size(bytes)),
            "free some space on that filesystem",
        ),
        Some(bytes) => Row::ok("disk_space", format!("{} free under {d}", size(bytes))),
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1024 * MIB => format!("{:.1} GiB", b as f64 / (1024 * MIB) as f64),
        b => format!("{:.1} MiB", b as f64 / MIB as f64),
    }
}

/// The skills `defer skill install` writes under `~/.claude/skills`, if installed,
/// match the ones built into this binary.
pub(super) fn skill(home: Option<&Path>) -> Row {
    let Some(home) = home else {
        return Row::ok("skill", "HOME is not set: no installed skill to compare");
    };
    let files = skill::files(&Target::ClaudeHome(home.to_path_buf()));
    let mut installed = 0;
    for (path, content) in &files {
        match read_small(path) {
            None => {}
            Some(bytes) if bytes == content.as_bytes() => installed += 1,
            Some(_) => {
                return Row::warn(
                    "skill",
                    format!(
                        "{} differs from this binary's skill (another version of defer?)",
                        path.display()
                    ),
                    "run 'defer skill install' to update it",
                )
            }
        }
    }
    match installed {
        0 => Row::ok(
            "skill",
            format!(
                "no skill installed under {} (optional: 'defer skill install')",
                home.join(".claude/skills").display()
            ),
        ),
        n if n == files.len() => Row::ok("skill", "the installed skills match this binary's"),
        _ => Row::warn(
            "skill",
            "only some of defer's skills are installed",
            "run 'defer skill install'",
        ),
    }
}

/// A regular file's bytes (at most 1 MiB); `None` when absent or anything else.
fn read_small(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return Some(Vec::new());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MIB)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;

    #[test]
    fn space_thresholds() {
        let d = Path::new("/r");
        assert_eq!(space_row(d, Some(5 * MIB)).status, Level::Fail);
        assert_eq!(space_row(d, Some(50 * MIB)).status, Level::Warn);
        let row = space_row(d, Some(3 * 1024 * MIB));
        assert_eq!(row, Row::ok("disk_space", "3.0 GiB free under /r"));
        assert_eq!(space_row(d, None).status, Level::Warn);
    }

    /// The `settings` row fails for a bad value of each variable the one table of
    /// variables says is checked, naming it, and for no other.
    #[test]
    fn the_settings_row_checks_the_tables_checked_variables() {
        for var in crate::config::vars::VARS {
            let row = settings(&Env::from_pairs([(var.name, "x\ny")]));
            match var.checked() {
                true => assert!(
                    row.status == Level::Fail && row.detail.contains(var.name),
                    "{}: {row:?}",
                    var.name
                ),
                false => assert_eq!(row.status, Level::Ok, "{}", var.name),
            }
        }
    }

    #[test]
    fn settings_and_timezone() {
        assert_eq!(settings(&Env::default()).status, Level::Ok);
        let bad = Env::from_pairs([("DEFER_RETRY_DELAY_SECONDS", "soon")]);
        assert_eq!(settings(&bad).status, Level::Fail);
        let bad = Env::from_pairs([("DEFER_RUNNER_CHECK", "maybe")]);
        assert!(settings(&bad).detail.contains("DEFER_RUNNER_CHECK"));
        let env = Env::from_pairs([("DEFER_TIMEZONE", "Asia/Tokyo")]);
        assert_eq!(
            timezone(&env),
            Row::ok("timezone", "Asia/Tokyo (from DEFER_TIMEZONE)")
        );
        assert_eq!(
            timezone(&Env::from_pairs([("TZ", "Mars/Base")])).status,
            Level::Fail
        );
    }

    #[test]
    fn hook_rows() {
        let row = hooks(&Env::default());
        assert_eq!(row.status, Level::Ok);
        assert!(row.detail.contains("no DEFER_ON_SUCCESS"), "{}", row.detail);
        let env = Env::from_pairs([("DEFER_ON_FAILURE", "sh"), ("PATH", "/bin:/usr/bin")]);
        let row = hooks(&env);
        assert_eq!(row.status, Level::Ok);
        assert!(
            row.detail.starts_with("executable: DEFER_ON_FAILURE /"),
            "{}",
            row.detail
        );
        let env = Env::from_pairs([
            ("DEFER_ON_SUCCESS", "sh"),
            ("DEFER_ON_MISSED", "/nonexistent/hook"),
            ("PATH", "/bin:/usr/bin"),
        ]);
        let row = hooks(&env);
        assert_eq!(row.status, Level::Warn);
        assert!(
            row.detail.contains("DEFER_ON_MISSED /nonexistent/hook"),
            "{}",
            row.detail
        );
        assert!(!row.detail.contains("DEFER_ON_SUCCESS"), "{}", row.detail);
        let env = Env::from_pairs([("DEFER_ON_FAILURE", "a\nb")]);
        assert_eq!(hooks(&env).status, Level::Fail);
    }

    #[test]
    fn executor_rows() {
        assert_eq!(executor(&Env::default()).status, Level::Ok);
        let env = Env::from_pairs([("DEFER_EXECUTOR", "/nonexistent/exec")]);
        assert_eq!(executor(&env).status, Level::Fail);
        let env = Env::from_pairs([("DEFER_EXECUTOR", "sh"), ("PATH", "/bin:/usr/bin")]);
        assert_eq!(executor(&env).status, Level::Ok);
    }

    #[test]
    fn skill_rows() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(skill(Some(tmp.path())).status, Level::Ok);
        skill::install(&Target::ClaudeHome(tmp.path().to_path_buf())).unwrap();
        assert_eq!(
            skill(Some(tmp.path())),
            Row::ok("skill", "the installed skills match this binary's")
        );
        let first = skill::files(&Target::ClaudeHome(tmp.path().to_path_buf()))[0]
            .0
            .clone();
        std::fs::write(&first, "old").unwrap();
        assert_eq!(skill(Some(tmp.path())).status, Level::Warn);
    }
}
