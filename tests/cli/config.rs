//! SPEC §2 through the binary: every path variable moves its file, `TZ` is the zone
//! when `DEFER_TIMEZONE` is unset, and everything `run` creates is private whatever
//! the umask.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{mode, Env};

/// Every regular file and directory below `root`.
fn walk(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            found.push(path);
        }
    }
    found
}

#[test]
fn each_path_variable_moves_its_file() {
    let env = Env::new();
    let elsewhere = env.root().join("elsewhere");
    let tasks = elsewhere.join("store/tasks.jsonl");
    let archive = elsewhere.join("old");
    let logs = elsewhere.join("logs");
    let log_file = elsewhere.join("audit/defer.log");
    let exec = env.write_executor("ok", "cat >/dev/null; echo done");
    let run = |args: &[&str]| {
        env.cmd(args)
            .env("DEFER_TASKS_FILE", tasks.display().to_string())
            .env("DEFER_ARCHIVE_DIR", archive.display().to_string())
            .env("DEFER_LOG_DIR", logs.display().to_string())
            .env("DEFER_LOG_FILE", log_file.display().to_string())
            .env("DEFER_EXECUTOR", exec.display().to_string())
            .success()
    };
    let id = run(&[
        "schedule",
        "--when",
        "now",
        "--summary",
        "moved",
        "--compact",
    ])
    .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(tasks.exists(), "the store is DEFER_TASKS_FILE");
    run(&["run"]);
    assert!(
        logs.join(format!("{id}.prompt.txt")).exists(),
        "prompt in DEFER_LOG_DIR"
    );
    assert!(
        logs.join(format!("{id}.output.txt")).exists(),
        "output in DEFER_LOG_DIR"
    );
    let archived: Vec<_> = fs::read_dir(&archive)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        archived.len(),
        1,
        "one month file in DEFER_ARCHIVE_DIR: {archived:?}"
    );
    let log = fs::read_to_string(&log_file).unwrap();
    assert!(log.contains(&format!("archived id={id}")), "{log}");
    assert!(
        !logs.join("deferred.log").exists(),
        "DEFER_LOG_FILE wins over DEFER_LOG_DIR"
    );
    assert!(
        !env.runtime_dir().exists(),
        "nothing left in DEFER_RUNTIME_DIR"
    );
    let shown = run(&["show", &id, "--compact"]).json();
    assert_eq!(shown["status"], "completed");
    assert_eq!(shown["result"]["output"], "done\n");
}

#[test]
fn tz_is_the_zone_when_defer_timezone_is_unset() {
    let env = Env::new();
    let preview = |vars: &[(&str, &str)]| {
        let mut cmd = env
            .cmd(&["when", "2026-12-01 09:00", "--compact"])
            .env_remove("DEFER_TIMEZONE");
        for (k, v) in vars {
            cmd = cmd.env(k, v);
        }
        cmd.success().json()
    };
    let kolkata = preview(&[("TZ", "Asia/Kolkata")]);
    assert_eq!(kolkata["utc"], "2026-12-01T03:30:00Z");
    assert_eq!(kolkata["timezone"], "Asia/Kolkata");
    let both = preview(&[("TZ", "Asia/Kolkata"), ("DEFER_TIMEZONE", "Europe/Paris")]);
    assert_eq!(
        both["utc"], "2026-12-01T08:00:00Z",
        "DEFER_TIMEZONE wins over TZ"
    );
    let err = env
        .cmd(&["when", "9am"])
        .env_remove("DEFER_TIMEZONE")
        .env("TZ", "Nowhere/Atlantis")
        .failure(1);
    assert!(
        err.error_line()
            .starts_with("defer: invalid TZ 'Nowhere/Atlantis'"),
        "{}",
        err.stderr
    );
}

#[test]
fn everything_the_runner_creates_is_private_under_umask_000() {
    let env = Env::new();
    let exec = env.write_executor("ok", "cat >/dev/null; echo out");
    for id in ["a", "b"] {
        env.cmd(&["schedule", "--when", "now", "--summary", id, "--id", id])
            .umask(0)
            .success();
    }
    env.cmd(&["cancel", "b"]).umask(0).success();
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exec.display().to_string())
        .umask(0)
        .success();
    env.cmd(&["run"]).umask(0).success(); // an idle run saves the store summary
    env.cmd(&["archive"]).umask(0).success();
    let created = walk(&env.runtime_dir());
    let names: Vec<String> = created
        .iter()
        .map(|p| {
            p.strip_prefix(env.runtime_dir())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    for expected in [
        "deferred.jsonl",
        "deferred.jsonl.lock",
        "deferred.jsonl.run.lock",
        "logs/a.prompt.txt",
        "logs/a.output.txt",
        "logs/deferred.log",
        "archive",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.starts_with("archive/deferred_")),
        "{names:?}"
    );
    for path in created {
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&path), want, "{}", path.display());
    }
}
