//! Dynamic shell completion (`COMPLETE=<shell> defer`, `completions --dynamic`): task
//! ids from the store, driven the way the shells' registration scripts call `defer`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::support::{Env, Output};

/// Bash's word separator in the engine's protocol (the script sets `_CLAP_IFS=$'\013'`).
const IFS: &str = "\u{b}";

/// What bash's registration runs at a TAB after `defer <words>` (the last word is the
/// one being completed): `COMPLETE=bash defer -- defer <words>`.
fn bash(env: &Env, words: &[&str]) -> Output {
    let mut argv = vec!["--", "defer"];
    argv.extend(words);
    env.cmd(&argv)
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", words.len().to_string())
        .env("_CLAP_COMPLETE_COMP_TYPE", "9")
        .env("_CLAP_COMPLETE_SPACE", "false")
        .env("_CLAP_IFS", IFS)
        .success()
}

/// The candidates bash would get, as printed.
fn offered(out: &Output) -> Vec<String> {
    out.assert_stderr_empty();
    out.stdout
        .split(IFS)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The non-flag candidates (task ids) of a bash completion.
fn ids(env: &Env, words: &[&str]) -> Vec<String> {
    let all = offered(&bash(env, words));
    all.into_iter().filter(|w| !w.starts_with('-')).collect()
}

/// `fish`'s answer: one `value<TAB>help` line per candidate.
fn fish(env: &Env, words: &[&str]) -> Vec<(String, String)> {
    let mut argv = vec!["--", "defer"];
    argv.extend(words);
    let out = env.cmd(&argv).env("COMPLETE", "fish").success();
    out.assert_stderr_empty();
    out.stdout
        .lines()
        .map(|line| {
            let (value, help) = line.split_once('\t').unwrap_or((line, ""));
            (value.to_string(), help.to_string())
        })
        .collect()
}

/// A store holding a scheduled `build-check` and a paused `nightly-sync`.
fn two_tasks() -> Env {
    let env = Env::new();
    env.schedule("build-check", "Check the build");
    env.schedule("nightly-sync", "Sync the notes");
    env.cmd(&["pause", "nightly-sync"]).success();
    env
}

#[test]
fn task_ids_are_offered_where_a_command_takes_one() {
    let env = two_tasks();
    let before = env.store_bytes();
    let both = ["build-check", "nightly-sync"];
    assert_eq!(ids(&env, &["cancel", ""]), both);
    assert_eq!(ids(&env, &["cancel", "--id", ""]), both);
    assert_eq!(ids(&env, &["show", ""]), both);
    assert_eq!(ids(&env, &["wait", ""]), both);
    assert_eq!(ids(&env, &["reschedule", ""]), both);
    assert_eq!(ids(&env, &["export", ""]), both);
    assert_eq!(ids(&env, &["schedule", "--parent", ""]), both);
    // Only what the command accepts.
    assert_eq!(ids(&env, &["pause", ""]), ["build-check"]);
    assert_eq!(ids(&env, &["execute", "--id", ""]), ["build-check"]);
    assert_eq!(ids(&env, &["resume", ""]), ["nightly-sync"]);
    // Only ids starting with the word typed so far.
    assert_eq!(ids(&env, &["show", "ni"]), ["nightly-sync"]);
    assert_eq!(ids(&env, &["show", "zz"]), Vec::<String>::new());
    // Nowhere an id is not expected.
    assert_eq!(ids(&env, &["list", "--status", "sch"]), ["scheduled"]);
    assert_eq!(env.store_bytes(), before, "completion wrote to the store");
}

#[test]
fn flags_and_commands_still_complete() {
    let env = two_tasks();
    let show = offered(&bash(&env, &["show", "--"]));
    for flag in ["--prompt", "--output", "--chain", "--compact", "--help"] {
        assert!(show.contains(&flag.to_string()), "{show:?}");
    }
    assert!(show.iter().all(|w| w.starts_with("--")), "{show:?}");
    let commands = offered(&bash(&env, &["res"]));
    assert_eq!(commands, ["resume", "reschedule"]); // in --help order
                                                    // With nothing typed, the ids come first, then the flags.
    let all = offered(&bash(&env, &["cancel", ""]));
    assert_eq!(&all[..2], ["build-check", "nightly-sync"]);
    assert!(all[2..].contains(&"--reason".to_string()), "{all:?}");
}

#[test]
fn finished_tasks_come_after_unfinished_ones_and_only_where_they_fit() {
    let env = two_tasks();
    env.schedule("old-one", "Done already");
    env.cmd(&["cancel", "old-one"]).success();
    env.cmd(&[
        "schedule",
        "--every",
        "1h",
        "--summary",
        "Poll",
        "--id",
        "poll",
    ])
    .success();
    assert_eq!(
        ids(&env, &["show", ""]),
        ["build-check", "nightly-sync", "poll", "old-one"]
    );
    assert_eq!(
        ids(&env, &["wait", ""]),
        ["build-check", "nightly-sync", "poll"]
    );
    assert_eq!(ids(&env, &["history", "--series", ""]), ["poll"]);
}

#[test]
fn summaries_are_shown_escaped_and_cut() {
    let env = Env::new();
    env.schedule("plain", "Check the build");
    let hostile = format!("evil\n\u{1b}]0;title\u{7}{}", "x".repeat(200));
    env.schedule("hostile", &hostile);
    let got = fish(&env, &["show", ""]);
    assert_eq!(
        got[0],
        ("plain".into(), "scheduled: Check the build".into())
    );
    let (id, help) = &got[1];
    assert_eq!(id, "hostile");
    assert!(
        help.starts_with("scheduled: evil\\n\\u{1b}]0;title\\u{7}xxx"),
        "{help:?}"
    );
    assert_eq!(help.chars().count(), 60, "{help:?}");
    assert!(help.ends_with('…'));
    assert!(!help.chars().any(char::is_control));
}

#[test]
fn a_missing_runtime_dir_offers_no_ids_and_creates_nothing() {
    let env = Env::new();
    let out = offered(&bash(&env, &["cancel", ""]));
    assert!(out.iter().all(|w| w.starts_with("--")), "{out:?}");
    assert!(out.contains(&"--reason".to_string()));
    assert!(
        !env.runtime_dir().exists(),
        "completion created the runtime dir"
    );
}

#[test]
fn a_store_without_its_lock_file_offers_no_ids_and_gets_no_lock_file() {
    let env = two_tasks();
    fs::remove_file(env.lock_path()).unwrap();
    assert_eq!(ids(&env, &["show", ""]), Vec::<String>::new());
    assert!(
        !env.lock_path().exists(),
        "completion created the lock file"
    );
}

#[test]
fn an_untrusted_runtime_dir_offers_no_ids_and_prints_no_error() {
    let env = two_tasks();
    let dir = env.runtime_dir();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    // The normal commands refuse this store; completion offers nothing, silently.
    env.cmd(&["list"]).failure(1);
    assert_eq!(ids(&env, &["show", ""]), Vec::<String>::new());
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(ids(&env, &["show", ""]), ["build-check", "nightly-sync"]);
}

#[test]
fn dynamic_registration_is_the_engines_for_every_shell() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let printed = env.cmd(&["completions", shell, "--dynamic"]).success();
        let engine = env.cmd(&[]).env("COMPLETE", shell).success();
        assert_eq!(printed.stdout, engine.stdout, "{shell}");
        // The script calls this binary back with COMPLETE set.
        assert!(printed.stdout.contains(crate::support::BIN), "{shell}");
        assert!(printed.stdout.contains("COMPLETE"), "{shell}");
        assert!(!env.runtime_dir().exists());
    }
    let help = env.cmd(&["completions", "--help"]).success();
    assert!(help.stdout.contains("--dynamic"), "{}", help.stdout);
}

#[test]
fn complete_unset_empty_or_zero_is_a_normal_run() {
    let env = two_tasks();
    for value in ["", "0"] {
        let out = env
            .cmd(&["list", "--compact"])
            .env("COMPLETE", value)
            .success();
        assert_eq!(
            out.json().as_array().unwrap().len(),
            2,
            "COMPLETE={value:?}"
        );
    }
    let out = env.cmd(&["list"]).env("COMPLETE", "tcsh").failure(1);
    assert_eq!(
        out.error_line(),
        "defer: invalid COMPLETE 'tcsh' (accepted: bash, elvish, fish, powershell, zsh; unset it for a normal run)"
    );
    assert!(out.stdout.is_empty());
}

fn have_bash() -> bool {
    Command::new("bash")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn bash_completes_task_ids_through_the_registration_script() {
    if !have_bash() {
        eprintln!("skipped: no bash");
        return;
    }
    let env = two_tasks();
    let script = env.root().join("complete.bash");
    // Source the registration, then call the function bash would call at
    // `defer pause <TAB>` and `defer resume n<TAB>`, as bash sets its variables.
    fs::write(
        &script,
        r#"set -u
source <(defer completions bash --dynamic)
complete -p defer
COMP_WORDS=(defer pause ""); COMP_CWORD=2; COMP_TYPE=9
_clap_complete_defer defer "" pause
printf 'pause:%s\n' "${COMPREPLY[@]}"
COMP_WORDS=(defer resume n); COMP_CWORD=2
_clap_complete_defer defer n resume
printf 'resume:%s\n' "${COMPREPLY[@]}"
"#,
    )
    .unwrap();
    let bin_dir = std::path::Path::new(crate::support::BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = env
        .sh("exec bash \"$SCRIPT\"")
        .env("SCRIPT", script.display().to_string())
        .env("PATH", path)
        .success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("complete ") && lines[0].contains("-F _clap_complete_defer defer"),
        "{}",
        out.stdout
    );
    let pause: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("pause:"))
        .collect();
    assert_eq!(pause[0], "build-check", "{}", out.stdout);
    assert!(!pause.contains(&"nightly-sync"), "{}", out.stdout);
    assert!(pause.contains(&"--compact"), "{}", out.stdout);
    let resume: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("resume:"))
        .collect();
    assert_eq!(resume, ["nightly-sync"], "{}", out.stdout);
}
