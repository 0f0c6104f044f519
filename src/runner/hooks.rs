//! Hooks (SPEC §14): `DEFER_ON_SUCCESS`, `DEFER_ON_FAILURE`, `DEFER_ON_MISSED` name
//! programs run after a task's outcome is recorded, through the executor's machinery
//! (no shell, own process group, a 60 s limit, output drained), with the final record
//! on stdin. A hook's failure is reported, never recorded on the task.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;

use crate::config::Env;
use crate::executor::{self, Ending, Invocation, Limits};
use crate::task::{Status, Task};

/// A hook's wall-clock limit (SPEC §14).
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(60);
/// How much of a hook's output is kept in `logs/<id>.hook.txt`.
pub const HOOK_OUTPUT_CAP: u64 = 64 * 1024;

/// The closed set of hooks, named by their variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hook {
    OnSuccess,
    OnFailure,
    OnMissed,
    /// The executor needs a person's answer (`waiting`, SPEC §22).
    OnNeedsInput,
}

impl Hook {
    pub const ALL: [Hook; 4] = [
        Hook::OnSuccess,
        Hook::OnFailure,
        Hook::OnMissed,
        Hook::OnNeedsInput,
    ];

    /// The environment variable that names this hook's program.
    pub fn var(self) -> &'static str {
        match self {
            Hook::OnSuccess => "DEFER_ON_SUCCESS",
            Hook::OnFailure => "DEFER_ON_FAILURE",
            Hook::OnMissed => "DEFER_ON_MISSED",
            Hook::OnNeedsInput => "DEFER_ON_NEEDS_INPUT",
        }
    }

    /// The hook a task's final status calls for: `completed` → on-success, `failed` →
    /// on-failure, `missed` → on-missed, `waiting` → on-needs-input. Exhaustive on purpose: a new status must decide
    /// here whether it calls a hook.
    pub fn for_status(status: Status) -> Option<Hook> {
        match status {
            Status::Completed => Some(Hook::OnSuccess),
            Status::Failed => Some(Hook::OnFailure),
            Status::Missed => Some(Hook::OnMissed),
            Status::Waiting => Some(Hook::OnNeedsInput),
            Status::Scheduled | Status::Executing | Status::Paused | Status::Cancelled => None,
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.var())
    }
}

/// The configured hooks: each program as written (a path, or a bare name for `PATH`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hooks {
    programs: Vec<(Hook, PathBuf)>,
}

impl Hooks {
    /// Reads the hooks' variables (`Env::hook_program`: a value that could never name a
    /// program is an error naming the variable); whether the program exists and is
    /// executable is checked each time it would run, so a hook that is missing never
    /// stops the runner from running tasks.
    pub fn from_env(env: &Env) -> Result<Hooks> {
        let mut programs = Vec::new();
        for hook in Hook::ALL {
            if let Some(program) = env.hook_program(hook.var())? {
                programs.push((hook, program));
            }
        }
        Ok(Hooks { programs })
    }

    /// The program configured for `hook`, as written.
    pub fn get(&self, hook: Hook) -> Option<&Path> {
        self.programs
            .iter()
            .find(|(h, _)| *h == hook)
            .map(|(_, p)| p.as_path())
    }
}

/// Where a hook runs: the limits (SPEC: 60 s; tests pass shorter ones), `PATH` for a
/// bare name, and the file that keeps the first `HOOK_OUTPUT_CAP` bytes of its output.
pub struct HookRun<'a> {
    pub program: &'a Path,
    pub search_path: Option<&'a str>,
    pub limits: &'a Limits,
    pub output_file: &'a Path,
}

/// The limits a hook runs under: 60 s, then the executor's SIGTERM/SIGKILL sequence.
pub fn limits() -> Limits {
    Limits {
        timeout: Some(HOOK_TIMEOUT),
        file_cap: Some(HOOK_OUTPUT_CAP),
        ..Limits::default()
    }
}

impl HookRun<'_> {
    /// Runs the hook for `task` (its final record): the record plus a newline on stdin,
    /// `DEFER_TASK_ID` and `DEFER_STATUS` in the environment. `Err` is why it failed,
    /// as one line (`exited with status 3: <its last output line>`).
    pub fn run(&self, task: &Task) -> Result<(), String> {
        let Some(program) = executor::resolve(self.program, self.search_path) else {
            return Err(format!(
                "not an executable file: {}",
                self.program.display()
            ));
        };
        let mut stdin = serde_json::to_vec(task).map_err(|e| e.to_string())?;
        stdin.push(b'\n');
        let env = [
            ("DEFER_TASK_ID", task.id.clone()),
            ("DEFER_STATUS", task.status.to_string()),
        ];
        let invocation = Invocation {
            program: &program,
            args: &[],
            stdin: &stdin,
            env: &env,
            output_file: self.output_file,
        };
        let outcome = executor::run(&invocation, self.limits).map_err(|e| format!("{e:#}"))?;
        let cause = match &outcome.ending {
            Ending::Exited(0) => return Ok(()),
            Ending::Exited(code) => format!("exited with status {code}"),
            Ending::Signalled(signal) => format!("killed by signal {signal}"),
            Ending::TimedOut(limit) => format!("timed out after {}s", limit.as_secs()),
            Ending::SpawnFailed(why) => format!("could not start: {why}"),
            Ending::Stopped => return Err("stopped: defer was asked to stop".into()),
        };
        Err(match outcome.last_line {
            Some(line) => format!("{cause}: {line}"),
            None => cause,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::Task;
    use std::os::unix::fs::PermissionsExt;
    use std::time::Instant;

    struct Fixture {
        dir: tempfile::TempDir,
    }

    impl Fixture {
        fn new() -> Self {
            Fixture {
                dir: tempfile::tempdir().unwrap(),
            }
        }

        fn script(&self, name: &str, body: &str) -> PathBuf {
            let path = self.dir.path().join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            path
        }

        fn run(&self, program: &Path, limits: &Limits) -> Result<(), String> {
            let task = Task {
                id: "t1".into(),
                status: Status::Failed,
                ..Task::blank()
            };
            HookRun {
                program,
                search_path: Some("/bin:/usr/bin"),
                limits,
                output_file: &self.dir.path().join("t1.hook.txt"),
            }
            .run(&task)
        }

        fn output(&self) -> Vec<u8> {
            std::fs::read(self.dir.path().join("t1.hook.txt")).unwrap()
        }
    }

    fn quick(timeout_ms: u64) -> Limits {
        Limits {
            timeout: Some(Duration::from_millis(timeout_ms)),
            kill_grace: Duration::from_millis(200),
            drain_grace: Duration::from_millis(200),
            file_cap: Some(HOOK_OUTPUT_CAP),
        }
    }

    #[test]
    fn the_hook_gets_the_record_and_the_environment() {
        let fx = Fixture::new();
        let hook = fx.script("h", "cat; echo \"id=$DEFER_TASK_ID status=$DEFER_STATUS\"");
        fx.run(&hook, &limits()).unwrap();
        let text = String::from_utf8(fx.output()).unwrap();
        let (record, env) = text.split_once('\n').unwrap();
        let value: serde_json::Value = serde_json::from_str(record).unwrap();
        assert_eq!(value["id"], "t1");
        assert_eq!(value["status"], "failed");
        assert_eq!(env, "id=t1 status=failed\n");
    }

    #[test]
    fn failures_are_one_line_reasons() {
        let fx = Fixture::new();
        let exit = fx.script("exit3", "echo first; echo 'last words' >&2; exit 3");
        assert_eq!(
            fx.run(&exit, &limits()).unwrap_err(),
            "exited with status 3: last words"
        );
        let killed = fx.script("killed", "kill -9 $$");
        assert_eq!(
            fx.run(&killed, &limits()).unwrap_err(),
            "killed by signal 9"
        );
        let missing = fx.dir.path().join("missing");
        let err = fx.run(&missing, &limits()).unwrap_err();
        assert_eq!(
            err,
            format!("not an executable file: {}", missing.display())
        );
        let plain = fx.dir.path().join("plain");
        std::fs::write(&plain, "#!/bin/sh\n").unwrap();
        assert!(fx
            .run(&plain, &limits())
            .unwrap_err()
            .starts_with("not an executable file"));
        assert!(fx.run(Path::new("no-such-hook-xyz"), &limits()).is_err());
        // A bare name is found on PATH.
        fx.run(Path::new("true"), &limits()).unwrap();
    }

    #[test]
    fn a_hook_that_never_exits_is_stopped_at_its_limit() {
        let fx = Fixture::new();
        let hang = fx.script("hang", "sleep 30 & sleep 30; wait");
        let start = Instant::now();
        let err = fx.run(&hang, &quick(300)).unwrap_err();
        assert_eq!(err, "timed out after 0s");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_flood_of_output_is_capped_in_the_file() {
        let fx = Fixture::new();
        // 8 MiB, and stdin ignored.
        let flood = fx.script(
            "flood",
            "head -c 8388608 /dev/zero | tr '\\0' x; echo; echo done",
        );
        fx.run(&flood, &limits()).unwrap();
        assert_eq!(fx.output().len() as u64, HOOK_OUTPUT_CAP);
    }

    #[test]
    fn each_final_status_calls_its_hook() {
        assert_eq!(Hook::for_status(Status::Completed), Some(Hook::OnSuccess));
        assert_eq!(Hook::for_status(Status::Failed), Some(Hook::OnFailure));
        assert_eq!(Hook::for_status(Status::Missed), Some(Hook::OnMissed));
        for none in [
            Status::Scheduled,
            Status::Executing,
            Status::Paused,
            Status::Cancelled,
        ] {
            assert_eq!(Hook::for_status(none), None);
        }
        assert_eq!(limits().timeout, Some(Duration::from_secs(60)));
    }

    #[test]
    fn settings_name_the_bad_variable() {
        let env = Env::from_pairs([
            ("DEFER_ON_SUCCESS", "/bin/true"),
            ("DEFER_ON_MISSED", "notify-send"),
        ]);
        let hooks = Hooks::from_env(&env).unwrap();
        assert_eq!(hooks.get(Hook::OnSuccess), Some(Path::new("/bin/true")));
        assert_eq!(hooks.get(Hook::OnFailure), None);
        assert_eq!(hooks.get(Hook::OnMissed), Some(Path::new("notify-send")));
        for bad in ["  ", "/bin/hook\nrm -rf", "a\u{1b}[2J"] {
            let env = Env::from_pairs([("DEFER_ON_FAILURE", bad)]);
            let err = Hooks::from_env(&env).unwrap_err().to_string();
            assert!(err.starts_with("invalid DEFER_ON_FAILURE '"), "{err}");
            assert!(!err.contains('\n') && !err.contains('\u{1b}'), "{err}");
        }
    }

    #[test]
    fn every_hook_is_a_setting_the_checks_read() {
        // `Env::problems` checks the hook settings of `KNOWN_VARS`: exactly these.
        let hooks: Vec<&str> = Hook::ALL.iter().map(|hook| hook.var()).collect();
        let settings: Vec<&str> = crate::config::KNOWN_VARS
            .iter()
            .copied()
            .filter(|var| crate::config::is_hook_var(var))
            .collect();
        assert_eq!(hooks, settings);
    }
}
