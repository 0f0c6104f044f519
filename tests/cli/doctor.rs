//! `defer doctor` (SPEC §15) through the binary: a JSON array of rows, exit 1 when a
//! row fails, nothing created, no hang on a FIFO store, and `--format table`.
//! Rows that depend on this machine (a cron daemon) are checked for consistency only.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::support::{record_line, record_with, Cmd, Env};

const CHECKS: &[&str] = &[
    "settings",
    "runtime_dir",
    "files",
    "store",
    "invalid_lines",
    "orphans",
    "overdue",
    "lanes",
    "duplicates",
    "heartbeat",
    "crontab",
    "cron_daemon",
    "disk_space",
    "executor",
    "hooks",
    "timezone",
    "skill",
];

/// An empty directory for PATH, so no `crontab` or `systemctl` is found unless a test
/// puts one there.
fn bare_path(env: &Env) -> PathBuf {
    let bin = env.root().join("bin");
    fs::create_dir_all(&bin).unwrap();
    bin
}

fn doctor(env: &Env, extra: &[&str]) -> Cmd {
    let mut args = vec!["doctor"];
    args.extend_from_slice(extra);
    env.cmd(&args)
        .env("PATH", bare_path(env).display().to_string())
}

/// Runs doctor; checks the shape and that the exit status matches the rows.
fn report(cmd: Cmd) -> Vec<Value> {
    let out = cmd.timeout(Duration::from_secs(20)).run();
    let rows = out.json().as_array().expect("an array").clone();
    for row in &rows {
        let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["check", "status", "detail", "fix"], "{row}");
        let status = row["status"].as_str().unwrap();
        assert!(["ok", "warn", "fail"].contains(&status), "{row}");
        assert_eq!(
            row["fix"].is_null(),
            status == "ok",
            "every non-ok row has a fix: {row}"
        );
    }
    let failed = rows.iter().any(|r| r["status"] == "fail");
    assert_eq!(
        out.status,
        i32::from(failed),
        "exit status vs rows:\n{}",
        out.stdout
    );
    rows
}

fn row<'a>(rows: &'a [Value], check: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["check"] == check)
        .unwrap_or_else(|| panic!("no {check} row in {rows:?}"))
}

fn status(rows: &[Value], check: &str) -> String {
    row(rows, check)["status"].as_str().unwrap().to_string()
}

fn detail(rows: &[Value], check: &str) -> String {
    row(rows, check)["detail"].as_str().unwrap().to_string()
}

fn runner_lock(env: &Env) -> PathBuf {
    env.runtime_dir().join("deferred.jsonl.run.lock")
}

fn touch_back(path: &Path, secs: u64) {
    let then = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - secs;
    let ok = std::process::Command::new("touch")
        .arg("-d")
        .arg(format!("@{then}"))
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn a_fresh_setup_is_reported_and_nothing_is_created() {
    let env = Env::new();
    let rows = report(doctor(&env, &[]));
    let names: Vec<&str> = rows.iter().map(|r| r["check"].as_str().unwrap()).collect();
    assert_eq!(names, CHECKS);
    assert!(
        !env.runtime_dir().exists(),
        "doctor created the runtime dir"
    );
    assert_eq!(
        fs::read_dir(env.home()).unwrap().count(),
        0,
        "doctor wrote under HOME"
    );
    assert_eq!(status(&rows, "runtime_dir"), "ok");
    assert!(detail(&rows, "runtime_dir").contains("does not exist yet"));
    assert_eq!(status(&rows, "heartbeat"), "warn");
    assert_eq!(
        status(&rows, "crontab"),
        "warn",
        "no crontab command on PATH"
    );
    assert_eq!(status(&rows, "timezone"), "ok");
    assert_eq!(
        detail(&rows, "timezone"),
        "America/New_York (from DEFER_TIMEZONE)"
    );
    assert_eq!(status(&rows, "executor"), "ok");
    assert_eq!(status(&rows, "overdue"), "ok");
}

#[test]
fn a_world_writable_runtime_dir_fails() {
    let env = Env::new();
    env.schedule("a", "a");
    fs::set_permissions(env.runtime_dir(), fs::Permissions::from_mode(0o777)).unwrap();
    let rows = report(doctor(&env, &[]));
    let r = row(&rows, "runtime_dir");
    assert_eq!(r["status"], "fail");
    assert!(r["detail"].as_str().unwrap().contains("mode 0777"), "{r}");
    assert_eq!(
        r["fix"],
        format!(
            "run 'chmod 700 {}' or use a runtime dir you own",
            env.runtime_dir().display()
        )
    );
}

#[test]
fn a_group_writable_store_lock_is_a_files_failure() {
    let env = Env::new();
    env.schedule("a", "a");
    fs::set_permissions(env.lock_path(), fs::Permissions::from_mode(0o660)).unwrap();
    let rows = report(doctor(&env, &[]));
    let r = rows
        .iter()
        .find(|r| r["check"] == "files" && r["status"] == "fail")
        .expect("a failing files row");
    assert!(
        r["detail"]
            .as_str()
            .unwrap()
            .contains("deferred.jsonl.lock is writable by its group"),
        "{r}"
    );
}

#[test]
fn heartbeat_age_follows_the_runner_lock_mtime() {
    let env = Env::new();
    env.cmd(&["run"]).success();
    let rows = report(doctor(&env, &[]));
    assert_eq!(status(&rows, "heartbeat"), "ok");
    assert!(detail(&rows, "heartbeat").starts_with("last 'defer run' started "));
    touch_back(&runner_lock(&env), 2 * 3600 + 13 * 60 + 5);
    let rows = report(doctor(&env, &[]));
    assert_eq!(status(&rows, "heartbeat"), "warn");
    assert!(
        detail(&rows, "heartbeat").starts_with("no 'defer run' for 2h 13m"),
        "{rows:?}"
    );
}

#[test]
fn overdue_orphans_and_invalid_lines() {
    let env = Env::new();
    let store = [
        record_with("late", &[("run_at", json!("2020-01-01T00:00:00Z"))]),
        record_with("stuck", &[("status", json!("executing"))]),
        record_line("later", "later").replace("2026-04-08T16:45:00Z", "2099-01-01T00:00:00Z"),
        "this is not json".to_string(),
    ];
    env.write_store(store.join("\n") + "\n");
    let before = env.store_bytes();
    let rows = report(doctor(&env, &[]));
    assert_eq!(status(&rows, "overdue"), "fail");
    assert!(
        detail(&rows, "overdue").starts_with("1 scheduled task(s)"),
        "{rows:?}"
    );
    assert!(detail(&rows, "overdue").contains("late"));
    assert_eq!(status(&rows, "orphans"), "warn");
    assert!(detail(&rows, "orphans").contains("stuck"));
    assert_eq!(status(&rows, "invalid_lines"), "warn");
    assert!(
        detail(&rows, "invalid_lines").contains("line 4"),
        "{rows:?}"
    );
    assert_eq!(env.store_bytes(), before, "doctor changed the store");
    assert!(!env.lock_path().exists(), "doctor created the store lock");
    assert!(
        !runner_lock(&env).exists(),
        "doctor created the runner lock"
    );

    // A runner holding the runner lock is working on the executing task: no orphan.
    let held = File::create(runner_lock(&env)).unwrap();
    held.lock().unwrap();
    let rows = report(doctor(&env, &[]));
    assert_eq!(status(&rows, "orphans"), "ok");
    // ...and doctor let go of it at once: the holder still has it, and after it
    // drops it a runner can take it.
    drop(held);
    env.cmd(&["run"]).success();
    assert!(env.log_events("runner skipped").is_empty());
}

#[test]
fn a_fifo_store_is_reported_without_hanging() {
    let env = Env::new();
    env.write_store("");
    fs::remove_file(env.store_path()).unwrap();
    let c = std::ffi::CString::new(env.store_path().to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let rows = report(doctor(&env, &[]).timeout(Duration::from_secs(10)));
    assert_eq!(status(&rows, "store"), "fail");
    assert!(detail(&rows, "store").contains("FIFO"), "{rows:?}");
}

#[test]
fn bad_settings_are_rows_not_refusals() {
    let env = Env::new();
    let rows = report(
        doctor(&env, &[])
            .env("DEFER_RUNNER_CHECK", "maybe")
            .env(
                "DEFER_EXECUTOR",
                env.root().join("missing-exec").display().to_string(),
            )
            .env("DEFER_TIMEZONE", "Mars/Base"),
    );
    assert_eq!(status(&rows, "settings"), "fail");
    assert!(detail(&rows, "settings").contains("DEFER_RUNNER_CHECK 'maybe'"));
    assert_eq!(status(&rows, "executor"), "fail");
    assert_eq!(status(&rows, "timezone"), "fail");
    assert!(detail(&rows, "timezone").contains("Mars/Base"));
    let exec = env.write_executor("exec", "cat");
    let rows = report(doctor(&env, &[]).env("DEFER_EXECUTOR", exec.display().to_string()));
    assert_eq!(status(&rows, "executor"), "ok");
}

/// A fake `crontab` in the bare PATH dir that prints `text` for `-l`.
fn fake_crontab(env: &Env, text: &str) {
    let file = env.root().join("crontab.txt");
    fs::write(&file, text).unwrap();
    let script = bare_path(env).join("crontab");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1\" = -l ] && exec /bin/cat '{}'\nexit 2\n",
            file.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_crontab_line_must_run_this_binary_on_this_store() {
    let env = Env::new();
    // The line `defer cron` prints from this environment.
    let line = env.cmd(&["cron"]).success().stdout;
    fake_crontab(&env, &format!("MAILTO=me\n{line}"));
    let rows = report(doctor(&env, &[]));
    assert_eq!(status(&rows, "crontab"), "ok", "{rows:?}");

    // The same line from a shell with another runtime dir.
    let other = env
        .cmd(&["cron"])
        .env(
            "DEFER_RUNTIME_DIR",
            env.root().join("elsewhere").display().to_string(),
        )
        .success()
        .stdout;
    fake_crontab(&env, &other);
    let rows = report(doctor(&env, &[]));
    assert_eq!(status(&rows, "crontab"), "fail");
    assert!(detail(&rows, "crontab").contains("elsewhere"), "{rows:?}");

    fake_crontab(&env, "0 3 * * * backup\n");
    let rows = report(doctor(&env, &[]));
    assert_eq!(status(&rows, "crontab"), "fail");
    let fix = row(&rows, "crontab")["fix"].as_str().unwrap().to_string();
    assert!(fix.contains("defer cron --install"), "{fix}");
}

#[test]
fn installed_skill_must_match_this_binary() {
    let env = Env::new();
    env.cmd(&["skill", "install"]).success();
    let rows = report(doctor(&env, &[]));
    assert_eq!(status(&rows, "skill"), "ok");
    assert_eq!(
        detail(&rows, "skill"),
        "the installed skills match this binary's"
    );
    fs::write(
        env.home().join(".claude/skills/defer/SKILL.md"),
        "old skill",
    )
    .unwrap();
    let rows = report(doctor(&env, &[]));
    assert_eq!(status(&rows, "skill"), "warn");
    assert!(row(&rows, "skill")["fix"]
        .as_str()
        .unwrap()
        .contains("defer skill install"));
}

#[test]
fn compact_and_table_formats() {
    let env = Env::new();
    let out = doctor(&env, &["--compact"]).run();
    assert_eq!(out.stdout.lines().count(), 1);
    // A runtime dir whose name holds a newline and an escape, world-writable: the
    // table shows them escaped and stays one line per row (plus its fix line).
    let dir = env.root().join("run\ntime\u{1b}[31m");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    let out = doctor(&env, &["--format", "table"])
        .env("DEFER_RUNTIME_DIR", dir.display().to_string())
        .run();
    assert_eq!(out.status, 1);
    assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("CHECK"), "{}", out.stdout);
    let runtime = lines
        .iter()
        .position(|l| l.starts_with("runtime_dir"))
        .unwrap();
    assert!(
        lines[runtime].contains("run\\ntime\\u{1b}[31m"),
        "{}",
        lines[runtime]
    );
    assert!(lines[runtime].contains("fail"));
    assert!(
        lines[runtime + 1]
            .trim_start()
            .starts_with("fix: run 'chmod 700"),
        "{}",
        out.stdout
    );
    assert_eq!(
        lines.iter().filter(|l| !l.starts_with(' ')).count(),
        CHECKS.len() + 1
    );
}

#[test]
fn cron_install_warns_when_no_cron_daemon_runs() {
    let env = Env::new();
    fake_crontab(&env, "");
    // Let the fake crontab accept `-` too.
    let script = bare_path(&env).join("crontab");
    let file = env.root().join("crontab.txt");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$1\" in -l) exec /bin/cat '{f}' ;; -) exec /bin/cat > '{f}' ;; esac\nexit 2\n",
            f = file.display()
        ),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bare_path(&env).display(),
        std::env::var("PATH").unwrap()
    );
    let out = env.cmd(&["cron", "--install"]).env("PATH", &path).success();
    assert!(fs::read_to_string(&file)
        .unwrap()
        .contains("# defer-runner"));
    let rows = report(env.cmd(&["doctor"]).env("PATH", &path));
    let daemon_ok = status(&rows, "cron_daemon") == "ok";
    let warned = out.stderr.contains("defer: warning: ");
    assert_eq!(warned, !daemon_ok, "stderr: {}\nrows: {rows:?}", out.stderr);
    if warned {
        assert!(
            out.stderr.contains(&detail(&rows, "cron_daemon")),
            "{}",
            out.stderr
        );
    }
}
