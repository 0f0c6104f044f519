//! The real machine behind [`System`]: `/proc`, `crontab -l`, `systemctl --user`,
//! `statvfs`/`statfs`. Every command runs with a time limit and no stdin.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{Crontab, Process, System};
use crate::bounded::Ran;

/// The time any one command may take before it is killed.
const COMMAND_LIMIT: Duration = Duration::from_secs(3);
/// At most this many active timers are inspected.
const MAX_TIMERS: usize = 20;

/// This machine.
#[derive(Debug, Default)]
pub struct Host;

impl System for Host {
    fn processes(&self) -> Option<Vec<Process>> {
        let entries = std::fs::read_dir("/proc").ok()?;
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) else {
                continue;
            };
            if is_dead(&entry.path()) {
                continue;
            }
            let mut name = comm.trim_end().to_string();
            if name == "busybox" && busybox_applet(&entry.path()).as_deref() == Some("crond") {
                name = "busybox crond".into();
            }
            found.push(Process { pid, name });
        }
        found.sort_by_key(|p| p.pid);
        (!found.is_empty()).then_some(found)
    }

    fn crontab(&self) -> Crontab {
        match run(Command::new("crontab").arg("-l")) {
            Ran::NotFound => Crontab::NoCommand,
            Ran::Done {
                success: true,
                stdout,
                ..
            } => Crontab::Text(stdout),
            Ran::Done { stderr, .. } if stderr.to_ascii_lowercase().contains("no crontab for") => {
                Crontab::Text(String::new())
            }
            Ran::Done { stderr, .. } => Crontab::Failed(format!(
                "'crontab -l' failed: {}",
                stderr.split_whitespace().collect::<Vec<_>>().join(" ")
            )),
            Ran::Other(reason) => Crontab::Failed(reason),
        }
    }

    fn systemd_timer(&self) -> Option<String> {
        let deadline = Instant::now() + COMMAND_LIMIT;
        let listed = systemctl(&[
            "list-units",
            "--type=timer",
            "--state=active",
            "--no-legend",
            "--plain",
        ])?;
        for timer in listed
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .take(MAX_TIMERS)
        {
            if Instant::now() > deadline {
                return None;
            }
            let unit = systemctl(&["show", "-p", "Unit", "--value", timer])?;
            let exec = systemctl(&["show", "-p", "ExecStart", "--value", unit.trim()])?;
            if runs_defer(&exec) {
                return Some(timer.to_string());
            }
        }
        None
    }

    fn free_bytes(&self, path: &Path) -> Option<u64> {
        statvfs_free(path)
    }

    fn binary(&self) -> Option<PathBuf> {
        std::env::current_exe().ok()?.canonicalize().ok()
    }
}

/// True for a zombie (exited, not yet reaped) or dead process: its name lingers in
/// `/proc` but it runs nothing.
fn is_dead(proc_dir: &Path) -> bool {
    std::fs::read_to_string(proc_dir.join("stat"))
        .ok()
        .is_some_and(|stat| zombie_state(&stat))
}

/// The state field of `/proc/PID/stat` (after the `(comm)`, which may hold spaces and
/// parentheses) is `Z` or `X`.
pub(super) fn zombie_state(stat: &str) -> bool {
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    matches!(state, Some("Z" | "X" | "x"))
}

/// The applet a `busybox` process runs (`busybox crond ...`: its second argument).
fn busybox_applet(proc_dir: &Path) -> Option<String> {
    let cmdline = std::fs::read(proc_dir.join("cmdline")).ok()?;
    let arg = cmdline.split(|&b| b == 0).nth(1)?;
    Some(String::from_utf8_lossy(arg).into_owned())
}

/// True for a systemd `ExecStart` value (`{ path=... ; argv[]=/x/defer run ; ... }`)
/// that runs `defer run`.
pub(super) fn runs_defer(exec_start: &str) -> bool {
    let argv = exec_start
        .split_once("argv[]=")
        .map_or(exec_start, |(_, rest)| {
            rest.split(" ;").next().unwrap_or(rest)
        });
    let mut words = argv.split_whitespace();
    let program = words.next().unwrap_or_default();
    Path::new(program).file_name().is_some_and(|n| n == "defer") && words.any(|w| w == "run")
}

fn systemctl(args: &[&str]) -> Option<String> {
    match run(Command::new("systemctl").arg("--user").args(args)) {
        Ran::Done {
            success: true,
            stdout,
            ..
        } => Some(stdout),
        _ => None,
    }
}

/// Runs `command` with no stdin, killing it after [`COMMAND_LIMIT`].
fn run(command: &mut Command) -> Ran {
    crate::bounded::run(command, COMMAND_LIMIT)
}

fn statvfs_free(path: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(path).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemd_exec_start() {
        let exec = "{ path=/home/u/.cargo/bin/defer ; argv[]=/home/u/.cargo/bin/defer run ; ignore_errors=no ; start_time=[n/a] }";
        assert!(runs_defer(exec));
        assert!(!runs_defer(
            "{ path=/usr/bin/backup ; argv[]=/usr/bin/backup run ; }"
        ));
        assert!(!runs_defer("{ path=/x/defer ; argv[]=/x/defer archive ; }"));
    }

    #[test]
    fn free_space_is_what_df_reports() {
        let tmp = tempfile::tempdir().unwrap();
        let free = statvfs_free(tmp.path()).expect("statvfs on a real directory");
        let df = Command::new("df")
            .args(["-B1", "--output=avail"])
            .arg(tmp.path())
            .output()
            .unwrap();
        let df: u64 = String::from_utf8(df.stdout)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Others write to the same disk between the two reads: within 64 MiB.
        assert!(free.abs_diff(df) < 64 << 20, "statvfs {free}, df {df}");
        assert_eq!(statvfs_free(&tmp.path().join("missing")), None);
    }

    #[test]
    fn zombies_do_not_count() {
        assert!(zombie_state("29216 (cron) Z 1 29216 29216 0 -1"));
        assert!(!zombie_state("29216 (cron) S 1 29216 29216 0 -1"));
        assert!(!zombie_state("7 (a) Z(b)) R 1 2"));
    }

    #[test]
    fn bounded_commands() {
        assert!(matches!(
            run(&mut Command::new("/nonexistent/x")),
            Ran::NotFound
        ));
        match run(Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"])) {
            Ran::Done {
                success,
                stdout,
                stderr,
            } => {
                assert!(!success);
                assert_eq!((stdout.as_str(), stderr.as_str()), ("out\n", "err\n"));
            }
            _ => panic!("sh did not run"),
        }
    }

    #[test]
    fn this_machine_answers() {
        let host = Host;
        assert!(host.free_bytes(Path::new("/")).is_some_and(|b| b > 0));
        assert!(host.binary().is_some());
        #[cfg(target_os = "linux")]
        assert!(host
            .processes()
            .unwrap()
            .iter()
            .any(|p| p.pid == std::process::id()));
    }
}
