//! Is anything running `defer run`? The heartbeat's age, the crontab line (present,
//! this binary, this store) and a cron daemon (or a systemd timer) to run it.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::{Crontab, Process, Row, System};
use crate::config::{Env, Paths};
use crate::cron;
use crate::cron::readback;
use crate::heartbeat::{age_seconds, is_stale, span};

/// Process names of cron daemons: Debian's and BSD's `cron`, cronie's and busybox's
/// `crond`, and a few others.
const DAEMONS: &[&str] = &["cron", "crond", "cronie", "busybox crond", "fcron", "dcron"];

const INSTALL_FIX: &str =
    "run 'defer cron --install' from the shell whose DEFER_* settings you use";

pub(super) fn heartbeat(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Row {
    match last {
        None => Row::warn(
            "heartbeat",
            "no 'defer run' has ever started on this store",
            "install the crontab line ('defer cron --install') and make sure cron runs",
        ),
        Some(last) if is_stale(Some(last), now) => Row::warn(
            "heartbeat",
            format!(
                "no 'defer run' for {} (last started {})",
                span(age_seconds(last, now)),
                last.format("%Y-%m-%dT%H:%M:%SZ")
            ),
            "check the crontab and cron_daemon rows: cron should run 'defer run' every minute",
        ),
        Some(last) => Row::ok(
            "heartbeat",
            format!(
                "last 'defer run' started {} ago",
                span(age_seconds(last, now))
            ),
        ),
    }
}

/// The crontab row. `fresh`: a runner started lately, so a missing line is only a
/// warning (something else runs `defer run`, e.g. a systemd timer).
pub(super) fn crontab(
    crontab: &Crontab,
    binary: Option<&Path>,
    env: &Env,
    paths: &Paths,
    fresh: bool,
) -> Row {
    let text = match crontab {
        Crontab::Text(text) => text,
        Crontab::NoCommand => {
            return Row::warn(
                "crontab",
                "no 'crontab' command: cannot read your crontab",
                "install cron (e.g. apt-get install cron), or run 'defer run' every minute from a systemd timer (docs/cron.md)",
            )
        }
        Crontab::Failed(reason) => {
            return Row::warn(
                "crontab",
                format!("cannot read your crontab: {reason}"),
                "check 'crontab -l' by hand",
            )
        }
    };
    // One line per runtime dir: judge this dir's, note the others.
    let home = env.get("HOME");
    let dir_of = |line: &str| cron::runtime_dir_of(line, home);
    let (own, others): (Vec<&str>, Vec<&str>) = text
        .lines()
        .filter(|l| cron::is_ours(l))
        .partition(|l| dir_of(l).is_some_and(|d| cron::same_dir(&d, &paths.runtime_dir)));
    let note = others_note(&others, &dir_of);
    let Some(line) = own.first() else {
        let detail = format!(
            "no defer line for this runtime dir ({}) in your crontab{note}",
            paths.runtime_dir.display()
        );
        return match fresh {
            true => Row::warn(
                "crontab",
                format!("{detail}, but something started 'defer run' lately"),
                "nothing to do if a systemd timer or another scheduler runs it; else run 'defer cron --install'",
            ),
            false => Row::fail("crontab", detail, INSTALL_FIX),
        };
    };
    let mut row = match readback::parse(line) {
        Some(parsed) => judge_line(&parsed, binary, env, paths),
        None => Row::fail(
            "crontab",
            "the defer line in your crontab cannot be read",
            INSTALL_FIX,
        ),
    };
    row.detail.push_str(&note);
    row
}

/// `; also N other defer line(s), for <dirs>` (or that cannot be read), or nothing.
fn others_note(others: &[&str], dir_of: &impl Fn(&str) -> Option<std::path::PathBuf>) -> String {
    if others.is_empty() {
        return String::new();
    }
    let dirs: Vec<String> = others
        .iter()
        .map(|l| match dir_of(l) {
            Some(dir) => crate::text::escape_control(&dir.display().to_string()).into_owned(),
            None => "one that cannot be read".to_string(),
        })
        .collect();
    let lines = match others.len() {
        1 => "1 other defer line".to_string(),
        n => format!("{n} other defer lines"),
    };
    format!("; {lines} in it, for {}", dirs.join(", "))
}

fn judge_line(line: &readback::CronLine, binary: Option<&Path>, env: &Env, paths: &Paths) -> Row {
    if line.args.first().map(String::as_str) != Some("run") {
        return Row::fail(
            "crontab",
            format!(
                "the defer line runs '{} {}', not 'defer run'",
                line.program,
                line.args.join(" ")
            ),
            INSTALL_FIX,
        );
    }
    let program = Path::new(&line.program);
    if !program.is_file() {
        return Row::fail(
            "crontab",
            format!(
                "the defer line runs {}, which does not exist",
                program.display()
            ),
            INSTALL_FIX,
        );
    }
    // The store cron's runner uses: the line's settings, and HOME (cron sets it).
    let mut vars: Vec<(&str, &str)> = line
        .assignments
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Some(home) = env.get("HOME") {
        vars.push(("HOME", home));
    }
    let cron_store = Env::from_pairs(vars).paths().map(|p| p.tasks_file);
    match cron_store {
        Ok(store) if store != paths.tasks_file => {
            return Row::fail(
                "crontab",
                format!(
                    "the defer line's runner uses the store {}, not this one ({})",
                    store.display(),
                    paths.tasks_file.display()
                ),
                INSTALL_FIX,
            )
        }
        Err(_) => {
            return Row::fail(
                "crontab",
                "the defer line names no runtime dir and HOME is not set",
                INSTALL_FIX,
            )
        }
        Ok(_) => {}
    }
    let same_binary = binary.is_some_and(|b| same_file(b, program));
    match (line.schedule.as_str(), same_binary) {
        ("* * * * *", true) => Row::ok(
            "crontab",
            format!(
                "runs this binary every minute on {}",
                paths.tasks_file.display()
            ),
        ),
        (schedule, true) => Row::warn(
            "crontab",
            format!("the defer line runs at '{schedule}', not every minute: tasks may start late"),
            INSTALL_FIX,
        ),
        (_, false) => Row::warn(
            "crontab",
            format!(
                "the defer line runs {}, not this binary ({})",
                program.display(),
                binary.map_or("unknown".into(), |b| b.display().to_string())
            ),
            "run 'defer cron --install' with the defer you mean to use",
        ),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The cron daemon row; systemd is asked only when no cron daemon runs.
pub(super) fn daemon(sys: &dyn System, fresh: bool) -> Row {
    let processes = sys.processes();
    if let Some(row) = processes.as_deref().and_then(cron_running) {
        return row;
    }
    if let Some(timer) = sys.systemd_timer() {
        return Row::ok(
            "cron_daemon",
            format!("the systemd user timer {timer} runs 'defer run'"),
        );
    }
    no_daemon(processes.is_some(), fresh)
}

/// An `ok` row naming the first cron daemon among `processes`, if any.
pub(super) fn cron_running(processes: &[Process]) -> Option<Row> {
    let found = processes
        .iter()
        .find(|p| DAEMONS.contains(&p.name.as_str()))?;
    Some(Row::ok(
        "cron_daemon",
        format!("{} is running (pid {})", found.name, found.pid),
    ))
}

/// No cron daemon or timer was found; `listed`: processes could be listed at all.
pub(super) fn no_daemon(listed: bool, fresh: bool) -> Row {
    match (listed, fresh) {
        (_, true) => Row::warn(
            "cron_daemon",
            "no cron daemon or systemd timer found, but something started 'defer run' lately",
            "nothing to do if another scheduler runs 'defer run' every minute; else start cron",
        ),
        (false, false) => Row::warn(
            "cron_daemon",
            "cannot list processes here to look for a cron daemon",
            "make sure cron (or launchd, or a systemd timer) runs 'defer run' every minute",
        ),
        (true, false) => Row::fail(
            "cron_daemon",
            "no cron daemon (cron, crond, cronie) is running, and no systemd timer runs 'defer run'",
            "start cron: 'sudo service cron start' or 'sudo systemctl enable --now cron' (crond on Fedora/Arch)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn heartbeat_rows() {
        assert_eq!(heartbeat(None, at(0)).status, Level::Warn);
        let row = heartbeat(Some(at(-3 * 3600)), at(0));
        assert_eq!(row.status, Level::Warn);
        assert!(
            row.detail.starts_with("no 'defer run' for 3h"),
            "{}",
            row.detail
        );
        let row = heartbeat(Some(at(-35)), at(0));
        assert_eq!(
            row,
            Row::ok("heartbeat", "last 'defer run' started 35s ago")
        );
    }

    fn setup() -> (tempfile::TempDir, Env, Paths, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let bin = tmp.path().join("defer");
        std::fs::write(&bin, "").unwrap();
        let runtime = tmp.path().join("rt").display().to_string();
        let env = Env::from_pairs([("DEFER_RUNTIME_DIR", runtime.as_str()), ("HOME", "/h")]);
        let paths = env.paths().unwrap();
        (tmp, env, paths, bin)
    }

    fn ours(bin: &Path, vars: &[(&str, &str)]) -> Crontab {
        let settings: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Crontab::Text(format!(
            "MAILTO=me\n{}\n",
            cron::line(bin, &settings).unwrap()
        ))
    }

    #[test]
    fn crontab_rows() {
        let (_tmp, env, paths, bin) = setup();
        let runtime = paths.runtime_dir.display().to_string();
        let good = ours(&bin, &[("DEFER_RUNTIME_DIR", &runtime)]);
        let row = crontab(&good, Some(&bin), &env, &paths, false);
        assert_eq!(row.status, Level::Ok, "{row:?}");

        // Only another runtime dir's line (here the default under HOME): no line for
        // this one, and the other is named.
        let row = crontab(&ours(&bin, &[]), Some(&bin), &env, &paths, false);
        assert_eq!(row.status, Level::Fail);
        assert!(
            row.detail.contains("no defer line for this runtime dir")
                && row
                    .detail
                    .ends_with("; 1 other defer line in it, for /h/data/runtime"),
            "{}",
            row.detail
        );
        // Both: this dir's line is judged, the other noted.
        let (Crontab::Text(mine), Crontab::Text(theirs)) = (good.clone(), ours(&bin, &[])) else {
            unreachable!()
        };
        let both = Crontab::Text(format!("{theirs}{mine}"));
        let row = crontab(&both, Some(&bin), &env, &paths, false);
        assert_eq!(row.status, Level::Ok, "{row:?}");
        assert!(
            row.detail
                .ends_with("; 1 other defer line in it, for /h/data/runtime"),
            "{row:?}"
        );
        // The same store through another spelling of its variables still fails.
        let store = paths
            .runtime_dir
            .join("elsewhere.jsonl")
            .display()
            .to_string();
        let moved = ours(
            &bin,
            &[
                ("DEFER_RUNTIME_DIR", &runtime),
                ("DEFER_TASKS_FILE", &store),
            ],
        );
        let row = crontab(&moved, Some(&bin), &env, &paths, false);
        assert_eq!(row.status, Level::Fail, "{row:?}");

        // Another binary, existing or not.
        let other = bin.with_file_name("other-defer");
        std::fs::write(&other, "").unwrap();
        let row = crontab(&good, Some(&other), &env, &paths, false);
        assert_eq!(row.status, Level::Warn);
        let gone = ours(
            &bin.with_file_name("gone"),
            &[("DEFER_RUNTIME_DIR", &runtime)],
        );
        assert_eq!(
            crontab(&gone, Some(&bin), &env, &paths, false).status,
            Level::Fail
        );

        // No line: a failure unless a runner started lately anyway.
        let none = Crontab::Text("0 3 * * * backup\n".into());
        assert_eq!(
            crontab(&none, Some(&bin), &env, &paths, false).status,
            Level::Fail
        );
        assert_eq!(
            crontab(&none, Some(&bin), &env, &paths, true).status,
            Level::Warn
        );
        assert_eq!(
            crontab(&Crontab::NoCommand, None, &env, &paths, false).status,
            Level::Warn
        );
    }

    #[test]
    fn daemon_rows() {
        let procs = |names: &[&str]| -> Vec<Process> {
            names
                .iter()
                .enumerate()
                .map(|(i, n)| Process {
                    pid: i as u32 + 1,
                    name: n.to_string(),
                })
                .collect()
        };
        assert_eq!(cron_running(&procs(&["bash", "sshd"])), None);
        let row = cron_running(&procs(&["bash", "crond"])).unwrap();
        assert_eq!(row.detail, "crond is running (pid 2)");
        assert!(cron_running(&procs(&["busybox crond"])).is_some());
        assert!(cron_running(&procs(&["cronolog"])).is_none());
        assert_eq!(no_daemon(true, false).status, Level::Fail);
        assert_eq!(no_daemon(true, true).status, Level::Warn);
        assert_eq!(no_daemon(false, false).status, Level::Warn);
    }
}
