use super::*;
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

    fn script(&self, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.path().join("exec.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn run(&self, body: &str, stdin: &[u8], limits: Limits) -> Outcome {
        let program = self.script(body);
        let env = [("DEFER_TASK_ID", "t1".to_string())];
        let output_file = self.dir.path().join("out.txt");
        let inv = Invocation {
            program: &program,
            args: &[],
            stdin,
            env: &env,
            output_file: &output_file,
        };
        run(&inv, &limits).unwrap()
    }

    fn output_file_len(&self) -> u64 {
        std::fs::metadata(self.dir.path().join("out.txt"))
            .unwrap()
            .len()
    }
}

fn quick() -> Limits {
    Limits {
        timeout: Some(Duration::from_secs(20)),
        kill_grace: Duration::from_millis(300),
        drain_grace: Duration::from_millis(300),
        file_cap: None,
    }
}

#[test]
fn success_captures_stdout_and_stderr_together_with_stdin_and_env() {
    let fx = Fixture::new();
    let out = fx.run(
        "read line; echo \"got $line for $DEFER_TASK_ID\"; echo oops >&2",
        b"{\"id\":1}\n",
        quick(),
    );
    assert_eq!(out.ending, Ending::Exited(0));
    assert_eq!(out.output_text(), "got {\"id\":1} for t1\noops\n");
    assert!(!out.truncated);
}

#[test]
fn exit_status_and_signal_are_reported() {
    let fx = Fixture::new();
    assert_eq!(fx.run("exit 3", b"", quick()).ending, Ending::Exited(3));
    let out = fx.run("kill -9 $$", b"", quick());
    assert_eq!(out.ending, Ending::Signalled(9));
    assert_eq!(out.ending.to_string(), "executor killed by signal 9");
}

#[test]
fn timeout_terminates_the_whole_group() {
    let fx = Fixture::new();
    let marker = fx.dir.path().join("child-alive");
    let body = format!("(sleep 5; touch {}) & sleep 30", marker.display());
    let limits = Limits {
        timeout: Some(Duration::from_millis(300)),
        ..quick()
    };
    let started = Instant::now();
    let out = fx.run(&body, b"", limits);
    assert_eq!(out.ending, Ending::TimedOut(Duration::from_millis(300)));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    std::thread::sleep(Duration::from_secs(6));
    assert!(
        !marker.exists(),
        "the background child was not killed with the group"
    );
}

#[test]
fn sigterm_ignored_means_sigkill_after_grace() {
    let fx = Fixture::new();
    let limits = Limits {
        timeout: Some(Duration::from_millis(200)),
        ..quick()
    };
    let started = Instant::now();
    let out = fx.run("trap '' TERM; while :; do sleep 1; done", b"", limits);
    assert!(matches!(out.ending, Ending::TimedOut(_)));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn ignoring_a_large_stdin_does_not_block() {
    let fx = Fixture::new();
    let big = vec![b'x'; 8 * 1024 * 1024];
    let started = Instant::now();
    let out = fx.run("echo ignored", &big, quick());
    assert_eq!(out.ending, Ending::Exited(0));
    assert_eq!(out.output_text(), "ignored\n");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn reading_a_large_stdin_gets_all_of_it() {
    let fx = Fixture::new();
    let big = vec![b'y'; 3 * 1024 * 1024 + 7];
    let out = fx.run("wc -c", &big, quick());
    assert_eq!(out.output_text().trim(), (3 * 1024 * 1024 + 7).to_string());
}

#[test]
fn flood_is_capped_in_memory_and_complete_on_disk() {
    let fx = Fixture::new();
    let out = fx.run("head -c 50000000 /dev/zero | tr '\\0' 'a'", b"", quick());
    assert_eq!(out.ending, Ending::Exited(0));
    assert!(out.truncated);
    assert_eq!(out.output.len(), OUTPUT_CAP);
    assert_eq!(fx.output_file_len(), 50_000_000);
}

#[test]
fn a_background_child_holding_the_pipe_does_not_wedge() {
    let fx = Fixture::new();
    let started = Instant::now();
    let out = fx.run("echo before; sleep 30 & exit 0", b"", quick());
    assert_eq!(out.ending, Ending::Exited(0));
    assert_eq!(out.output_text(), "before\n");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn truncation_never_splits_a_character() {
    let fx = Fixture::new();
    // 'é' is two bytes; an odd prefix would end inside one.
    let out = fx.run(
        "printf 'a'; i=0; while [ $i -lt 40000 ]; do printf 'é'; i=$((i+1)); done",
        b"",
        quick(),
    );
    assert!(out.truncated);
    assert_eq!(out.output.len(), OUTPUT_CAP - 1);
    assert!(std::str::from_utf8(&out.output).is_ok());
}

#[test]
fn resolve_checks_the_executable_bit_and_searches_path() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    let script = fx.script("true");
    assert_eq!(resolve(&script, None), Some(script.clone()));
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(resolve(&script, None), None);
    assert_eq!(
        resolve(fx.dir.path(), None),
        None,
        "a directory is not an executable file"
    );
    assert!(resolve(Path::new("sh"), Some("/usr/bin:/bin")).is_some());
    assert_eq!(resolve(Path::new("sh"), None), None);
}

/// `run_with` with `started`; the program's arguments are `args`.
fn run_gated_test(
    fx: &Fixture,
    body: &str,
    args: &[String],
    started: &dyn Fn(u32) -> Result<()>,
) -> Result<Outcome> {
    let program = fx.script(body);
    let output_file = fx.dir.path().join("out.txt");
    let inv = Invocation {
        program: &program,
        args,
        stdin: b"{\"id\":1}\n",
        env: &[],
        output_file: &output_file,
    };
    run_with(&inv, &quick(), started)
}

#[test]
fn the_program_starts_only_once_started_returned() {
    let fx = Fixture::new();
    let mark = fx.dir.path().join("mark");
    let body = format!("touch '{}'; cat; printf '%s|' \"$@\"", mark.display());
    let early = std::cell::Cell::new(None);
    let started = |pid: u32| {
        std::thread::sleep(Duration::from_millis(300));
        early.set(Some((mark.exists(), process::start_time(pid))));
        Ok(())
    };
    let args = ["a b".to_string(), "$(id)".to_string(), "*".to_string()];
    let out = run_gated_test(&fx, &body, &args, &started).unwrap();
    let (ran_early, start) = early.get().unwrap();
    assert!(
        !ran_early,
        "the program ran before its process was recorded"
    );
    if cfg!(target_os = "linux") {
        assert!(start.is_some());
    }
    assert_eq!(out.ending, Ending::Exited(0));
    // The gate took its line only: the task JSON, then the arguments as given.
    assert_eq!(out.output_text(), "{\"id\":1}\na b|$(id)|*|");
    assert!(mark.exists());
}

#[test]
fn a_failed_record_means_the_program_never_ran() {
    let fx = Fixture::new();
    let mark = fx.dir.path().join("mark");
    let body = format!("touch '{}'", mark.display());
    let started = |_: u32| {
        std::thread::sleep(Duration::from_millis(200));
        anyhow::bail!("disk full")
    };
    let err = run_gated_test(&fx, &body, &[], &started).unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    std::thread::sleep(Duration::from_millis(200));
    assert!(!mark.exists());
}
