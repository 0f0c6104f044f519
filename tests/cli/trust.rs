//! The path and trust layer (SPEC §2, §11): absolute paths, symlinked and FIFO stores,
//! StrictModes-style ownership and mode checks, no writes through links under logs/,
//! and the network-filesystem override.

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::*;

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// A uid that is not ours: 65534 (nobody), or 65533 when we are nobody.
fn foreign_uid() -> u32 {
    match unsafe { libc::geteuid() } {
        65534 => 65533,
        _ => 65534,
    }
}

/// Gives `path` to `foreign_uid()`. `false` (and a note on stderr) when this test
/// process may not: the foreign-owner case needs root.
fn give_away(path: &Path) -> bool {
    let uid = foreign_uid();
    if unsafe { libc::lchown(c_path(path).as_ptr(), uid, uid) } == 0 {
        return true;
    }
    eprintln!(
        "skipping the foreign-owner case: cannot chown {} to uid {uid} (not root)",
        path.display()
    );
    false
}

fn canonical_runtime(env: &Env) -> PathBuf {
    fs::canonicalize(env.runtime_dir()).unwrap()
}

#[test]
fn a_symlinked_store_is_refused_and_left_a_link() {
    let env = Env::new();
    env.schedule("a", "first");
    let before = env.store_bytes();
    let other = env.root().join("other");
    fs::create_dir(&other).unwrap();
    chmod(&other, 0o700);
    let link = other.join("deferred.jsonl");
    symlink(env.store_path(), &link).unwrap();
    for args in [
        &["schedule", "--when", "10m", "--summary", "s", "--id", "b"][..],
        &["list"],
        &["archive"],
        &["run"],
        &["cancel", "a"],
    ] {
        let out = env
            .cmd(args)
            .env("DEFER_RUNTIME_DIR", other.display().to_string())
            .failure(1);
        let line = out.error_line();
        assert!(line.contains(&link.display().to_string()), "{line}");
        assert!(line.contains("symbolic link"), "{line}");
        assert!(line.contains("DEFER_TASKS_FILE"), "{line}");
    }
    // No second set of locks, the link is still a link, the store untouched.
    let names: Vec<_> = fs::read_dir(&other)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["deferred.jsonl"]);
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(env.store_bytes(), before);
    // DEFER_TASKS_FILE naming the link is refused the same way.
    let out = env
        .cmd(&["list"])
        .env("DEFER_TASKS_FILE", link.display().to_string())
        .failure(1);
    assert!(out.error_line().contains("symbolic link"));
}

#[test]
fn a_symlinked_runtime_dir_is_resolved_to_one_set_of_files() {
    let env = Env::new();
    env.schedule("first", "via the real path");
    let link = env.root().join("link");
    symlink(env.runtime_dir(), &link).unwrap();
    let via_link = |args: &[&str]| {
        env.cmd(args)
            .env("DEFER_RUNTIME_DIR", link.display().to_string())
    };
    // 20 schedules through the link race archives through the real path: none lost.
    let children: Vec<_> = (0..20)
        .map(|i| {
            let id = format!("t{i}");
            via_link(&["schedule", "--when", "10m", "--summary", "s", "--id", &id])
                .command()
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for _ in 0..5 {
        env.cmd(&["archive"]).success();
    }
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let listed = via_link(&["list", "--compact"]).success().json();
    assert_eq!(listed.as_array().unwrap().len(), 21);
    assert_eq!(env.list_all().len(), 21);
    // Stored paths name the resolved directory, not the link.
    via_link(&[
        "schedule",
        "--when",
        "now",
        "--summary",
        "due",
        "--id",
        "due",
    ])
    .success();
    via_link(&["run"]).success();
    let archived = env.archive_records();
    let prompt = archived
        .iter()
        .find(|r| r["id"] == "due")
        .expect("the completed task is archived")["result"]["prompt_path"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        prompt,
        canonical_runtime(&env)
            .join("logs/due.prompt.txt")
            .display()
            .to_string()
    );
}

#[test]
fn a_fifo_store_is_refused_without_hanging() {
    let env = Env::new();
    env.write_store("");
    fs::remove_file(env.store_path()).unwrap();
    mkfifo(&env.store_path());
    for args in [
        &["list"][..],
        &["run"],
        &["schedule", "--when", "10m", "--summary", "s", "--id", "x"],
        &["execute", "--id", "x"],
        &["cancel", "x"],
        &["archive"],
    ] {
        let out = env.cmd(args).timeout(Duration::from_secs(10)).failure(1);
        let line = out.error_line();
        assert!(
            line.contains(&env.store_path().display().to_string()) && line.contains("FIFO"),
            "{args:?}: {line}"
        );
    }
    assert!(
        !env.lock_path().exists(),
        "no lock file beside a refused store"
    );
}

#[test]
fn a_fifo_summary_is_refused_without_hanging() {
    let env = Env::new();
    env.schedule("a", "s");
    let idx = env.runtime_dir().join("deferred.jsonl.idx");
    let _ = fs::remove_file(&idx);
    mkfifo(&idx);
    let out = env
        .cmd(&["run"])
        .timeout(Duration::from_secs(10))
        .failure(1);
    let line = out.error_line();
    assert!(
        line.contains("deferred.jsonl.idx") && line.contains("FIFO"),
        "{line}"
    );
    fs::remove_file(&idx).unwrap();
    env.cmd(&["run"]).success();
}

#[test]
fn relative_paths_are_made_absolute_against_the_working_directory() {
    let env = Env::new();
    let seen = env.root().join("seen");
    let executor = env.write_executor(
        "x",
        &format!("printf %s \"$DEFER_PROMPT_PATH\" > '{}'", seen.display()),
    );
    let cwd = env.home();
    let rel = |args: &[&str]| {
        env.cmd(args)
            .current_dir(&cwd)
            .env("DEFER_RUNTIME_DIR", "rel/runtime")
            .env("DEFER_EXECUTOR", executor.display().to_string())
    };
    rel(&["schedule", "--when", "now", "--summary", "s", "--id", "t"]).success();
    rel(&["run"]).success();
    let real = fs::canonicalize(cwd.join("rel/runtime")).unwrap();
    let expected = real.join("logs/t.prompt.txt").display().to_string();
    assert_eq!(fs::read_to_string(&seen).unwrap(), expected);
    // From any other directory, with the absolute spelling, the stored path works.
    let out = env
        .cmd(&["show", "t", "--compact"])
        .current_dir(env.root())
        .env("DEFER_RUNTIME_DIR", real.display().to_string())
        .success();
    assert_eq!(out.json()["result"]["prompt_path"], expected.as_str());
    let prompt = env
        .cmd(&["show", "t", "--prompt"])
        .current_dir(env.root())
        .env("DEFER_RUNTIME_DIR", real.display().to_string())
        .success();
    assert!(prompt.stdout.contains('s'), "{}", prompt.stdout);

    // A relative DEFER_TASKS_FILE lands where the working directory says, once.
    env.cmd(&["schedule", "--when", "10m", "--summary", "s", "--id", "u"])
        .current_dir(&cwd)
        .env("DEFER_TASKS_FILE", "tasks/t.jsonl")
        .success();
    assert!(cwd.join("tasks/t.jsonl").is_file());
    let out = env
        .cmd(&["list", "--compact"])
        .current_dir(env.root())
        .env(
            "DEFER_TASKS_FILE",
            cwd.join("tasks/t.jsonl").display().to_string(),
        )
        .success();
    assert_eq!(out.json()[0]["id"], "u");
}

#[test]
fn a_world_writable_runtime_dir_is_refused_with_the_fix() {
    let env = Env::new();
    env.schedule("a", "s");
    let before = env.store_bytes();
    chmod(&env.runtime_dir(), 0o777);
    let dir = env.runtime_dir().display().to_string();
    for args in [
        &["schedule", "--when", "10m", "--summary", "s", "--id", "b"][..],
        &["list"],
        &["run"],
        &["cancel", "a"],
        &["archive"],
    ] {
        let out = env.cmd(args).failure(1);
        assert_eq!(
            out.error_line(),
            format!(
                "defer: {dir} is writable by group and others (mode 0777); run 'chmod 700 \
                 {dir}' or use a runtime dir you own"
            ),
            "{args:?}"
        );
    }
    assert_eq!(env.store_bytes(), before);
    chmod(&env.runtime_dir(), 0o755);
    env.cmd(&["list"]).success();
}

#[test]
fn group_writable_logs_and_archive_dirs_and_files_are_refused() {
    let env = Env::new();
    schedule_due(&env, "a", &[]);
    env.cmd(&["run"]).success();
    let logs = env.log_dir();
    chmod(&logs, 0o770);
    let line = env.cmd(&["run"]).failure(1).error_line().to_string();
    assert!(
        line.contains(&logs.display().to_string()) && line.contains("chmod 700"),
        "{line}"
    );
    chmod(&logs, 0o700);
    chmod(&env.archive_dir(), 0o702);
    let line = env.cmd(&["list"]).failure(1).error_line().to_string();
    assert!(line.contains("writable by others (mode 0702)"), "{line}");
    chmod(&env.archive_dir(), 0o700);
    chmod(&env.store_path(), 0o666);
    let line = env.cmd(&["list"]).failure(1).error_line().to_string();
    assert!(line.contains("chmod 600"), "{line}");
    chmod(&env.store_path(), 0o600);
    // A lock file is checked when it is opened.
    chmod(&env.lock_path(), 0o662);
    let line = env.cmd(&["list"]).failure(1).error_line().to_string();
    assert!(line.contains("deferred.jsonl.lock"), "{line}");
    chmod(&env.lock_path(), 0o600);
    env.cmd(&["list"]).success();
}

#[test]
fn files_and_dirs_owned_by_another_user_are_refused() {
    let env = Env::new();
    env.schedule("a", "s");
    let before = env.store_bytes();
    if !give_away(&env.store_path()) {
        return;
    }
    let (me, other) = (unsafe { libc::geteuid() }, foreign_uid());
    let owned_by = format!("owned by uid {other}");
    assert_eq!(fs::metadata(env.store_path()).unwrap().uid(), other);
    for args in [&["list"][..], &["run"], &["cancel", "a"]] {
        let line = env.cmd(args).failure(1).error_line().to_string();
        assert!(
            line.contains(&env.store_path().display().to_string()) && line.contains(&owned_by),
            "{args:?}: {line}"
        );
    }
    assert_eq!(env.store_bytes(), before);
    // A planted lock file, and a foreign runtime dir.
    assert!(give_away(&env.lock_path()));
    unsafe { libc::lchown(c_path(&env.store_path()).as_ptr(), me, me) };
    let line = env.cmd(&["list"]).failure(1).error_line().to_string();
    assert!(
        line.contains("deferred.jsonl.lock") && line.contains(&owned_by),
        "{line}"
    );
    unsafe { libc::lchown(c_path(&env.lock_path()).as_ptr(), me, me) };
    env.cmd(&["list"]).success();
    assert!(give_away(&env.runtime_dir()));
    let line = env
        .cmd(&["schedule", "--when", "1h", "--summary", "s"])
        .failure(1)
        .error_line()
        .to_string();
    assert!(
        line.contains(&owned_by) && line.contains("DEFER_RUNTIME_DIR"),
        "{line}"
    );
    assert_eq!(env.store_bytes(), before);
}

fn c_path(path: &Path) -> std::ffi::CString {
    std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap()
}

#[test]
fn nothing_under_logs_is_written_through_a_symlink() {
    let env = Env::new();
    let executor = env.write_executor("x", "echo output");
    let victim = env.root().join("victim");
    let prompt_victim = env.root().join("prompt-victim");
    fs::write(&victim, "precious\n").unwrap();
    fs::write(&prompt_victim, "precious\n").unwrap();
    schedule_due(&env, "t", &[]);
    symlink(&victim, env.log_dir().join("t.output.txt")).unwrap();
    symlink(&prompt_victim, env.log_dir().join("t.prompt.txt")).unwrap();
    let out = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", executor.display().to_string())
        .run();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(fs::read_to_string(&prompt_victim).unwrap(), "precious\n");
    assert_ne!(out.status, 0, "{out:?}");
    assert!(
        out.stderr.contains("t.output.txt") && out.stderr.contains("symbolic link"),
        "{}",
        out.stderr
    );
    // The prompt was written as a file of its own, replacing the link.
    let prompt = env.log_dir().join("t.prompt.txt");
    assert!(fs::symlink_metadata(&prompt).unwrap().is_file());

    // The audit log: refused up front, nothing appended to the target.
    fs::remove_file(env.log_path()).unwrap();
    symlink(&victim, env.log_path()).unwrap();
    let line = env
        .cmd(&["schedule", "--when", "1h", "--summary", "s"])
        .failure(1)
        .error_line()
        .to_string();
    assert!(
        line.contains("deferred.log") && line.contains("symbolic link"),
        "{line}"
    );
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
}

#[test]
fn allow_network_fs_takes_only_0_or_1() {
    let env = Env::new();
    let out = env
        .cmd(&["schedule", "--when", "1h", "--summary", "s"])
        .env("DEFER_ALLOW_NETWORK_FS", "yes")
        .failure(1);
    assert_eq!(
        out.error_line(),
        "defer: invalid DEFER_ALLOW_NETWORK_FS 'yes' (accepted: 1 to allow a store on a \
         network filesystem, 0 or unset to refuse)"
    );
    assert!(!env.store_exists());
    for value in ["0", "1"] {
        env.cmd(&["schedule", "--when", "1h", "--summary", "s"])
            .env("DEFER_ALLOW_NETWORK_FS", value)
            .success();
    }
    assert_eq!(env.records().len(), 2);
}
