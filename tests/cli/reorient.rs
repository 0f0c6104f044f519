//! `defer reorient` and `schedule --reorient` through the binary: the lookup order with
//! a temp HOME and cwd, the snapshot, and the merge into a scheduled task. The parsing
//! rules themselves are unit-tested in `src/reorient.rs` on the same fixtures.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::Env;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/context")
        .join(name)
}

fn project(env: &Env, name: &str, text: &str) -> PathBuf {
    let dir = env.home().join("data/research/projects").join(name);
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("CONTEXT.md");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn snapshot_of_a_full_context_file() {
    let env = Env::new();
    let path = fixture("full.md");
    let out = env
        .cmd(&[
            "reorient",
            "--context-file",
            path.to_str().unwrap(),
            "--compact",
        ])
        .success();
    assert_eq!(out.stdout.lines().count(), 1);
    let snap = out.json();
    assert_eq!(snap["summary"], "A CLI that schedules work for later.");
    assert_eq!(
        snap["key_points"],
        serde_json::json!([
            "Parser done",
            "Lookup half done",
            "Tests pending",
            "Open question: Which timezone by default?"
        ])
    );
    assert_eq!(
        snap["artifacts"],
        serde_json::json!(["docs/SPEC.md", "src/reorient.rs"])
    );
    assert_eq!(
        snap["constraints"],
        serde_json::json!([
            "No new dependencies",
            "Decision: JSONL store",
            "Decision: cron runs it",
            "Avoid: touch /work/main"
        ])
    );
    assert_eq!(snap["reoriented_from"], path.to_str().unwrap());
    assert!(!env.runtime_dir().exists(), "reorient touches no state");
}

#[test]
fn lookup_order_through_the_binary() {
    let env = Env::new();
    let cwd = env.root().join("work");
    fs::create_dir_all(&cwd).unwrap();
    let summary = |out: crate::support::Output| out.json()["summary"].as_str().unwrap().to_string();
    let reorient = |extra: &[&str]| {
        let mut args = vec!["reorient", "--compact"];
        args.extend_from_slice(extra);
        env.cmd(&args).current_dir(&cwd)
    };

    // Nothing anywhere: the error names every place looked.
    let err = reorient(&[]).failure(1);
    let line = err.error_line();
    assert!(line.starts_with("defer: no CONTEXT.md found"), "{line}");
    assert!(
        line.contains(&cwd.join("CONTEXT.md").display().to_string()),
        "{line}"
    );

    fs::write(cwd.join("CONTEXT.md"), "# Overview\n- from cwd\n").unwrap();
    assert_eq!(summary(reorient(&[]).success()), "from cwd");

    fs::create_dir_all(env.home().join("data/research")).unwrap();
    fs::write(
        env.home().join("data/research/CONTEXT.md"),
        "# Overview\n- from research\n",
    )
    .unwrap();
    assert_eq!(summary(reorient(&[]).success()), "from research");

    let old = project(&env, "old", "# Overview\n- from old project\n");
    let new = project(&env, "new", "# Overview\n- from new project\n");
    // File times come from the kernel's clock (never a faked one): step back from one.
    let past =
        fs::metadata(&new).unwrap().modified().unwrap() - std::time::Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(past)
        .unwrap();
    assert_eq!(summary(reorient(&[]).success()), "from new project");
    fs::File::options()
        .write(true)
        .open(&new)
        .unwrap()
        .set_modified(past - std::time::Duration::from_secs(60))
        .unwrap();
    assert_eq!(
        summary(reorient(&[]).success()),
        "from old project",
        "most recently modified wins"
    );

    let env_file = env.root().join("env-context.md");
    fs::write(&env_file, "# Overview\n- from DEFER_CONTEXT_FILE\n").unwrap();
    let out = reorient(&[])
        .env("DEFER_CONTEXT_FILE", env_file.to_str().unwrap())
        .success();
    assert_eq!(summary(out), "from DEFER_CONTEXT_FILE");

    let out = reorient(&["--project", "new"])
        .env("DEFER_CONTEXT_FILE", env_file.to_str().unwrap())
        .success();
    assert_eq!(
        summary(out),
        "from new project",
        "--project beats DEFER_CONTEXT_FILE"
    );

    let explicit = fixture("full.md");
    let out = reorient(&[
        "--project",
        "new",
        "--context-file",
        explicit.to_str().unwrap(),
    ])
    .success();
    assert_eq!(
        summary(out),
        "A CLI that schedules work for later.",
        "--context-file beats --project"
    );
}

#[test]
fn explicit_sources_that_do_not_exist_are_errors() {
    let env = Env::new();
    let err = env
        .cmd(&["reorient", "--context-file", "/nonexistent/CONTEXT.md"])
        .failure(1);
    assert_eq!(
        err.error_line(),
        "defer: context file not found: /nonexistent/CONTEXT.md (from --context-file)"
    );
    let err = env.cmd(&["reorient", "--project", "ghost"]).failure(1);
    assert!(
        err.error_line()
            .contains("data/research/projects/ghost/CONTEXT.md"),
        "{}",
        err.stderr
    );
    assert!(err.error_line().contains("--project"), "{}", err.stderr);
    let err = env.cmd(&["reorient", "--project", "../etc"]).failure(1);
    assert!(
        err.error_line().starts_with("defer: invalid project name"),
        "{}",
        err.stderr
    );
}

#[test]
fn unreadable_or_non_utf8_files_are_errors_naming_the_path() {
    let env = Env::new();
    let path = env.root().join("latin1.md");
    fs::write(&path, b"# Overview\n- caf\xe9\n").unwrap();
    let err = env
        .cmd(&["reorient", "--context-file", path.to_str().unwrap()])
        .failure(1);
    assert!(
        err.error_line().contains(path.to_str().unwrap()),
        "{}",
        err.stderr
    );
    assert!(err.error_line().contains("UTF-8"), "{}", err.stderr);
}

#[test]
fn schedule_reorient_merges_the_snapshot_first() {
    let env = Env::new();
    let path = project(
        &env,
        "demo",
        "# Orientation\n- Ship the parser\n# Current state\n- lexer done\n# Constraints\n- no unsafe\n# References\n- src/lexer.rs\n",
    );
    let task = env
        .cmd(&[
            "schedule",
            "--when",
            "10m",
            "--reorient",
            "--project",
            "demo",
            "--key-point",
            "from the flag",
            "--constraint",
            "flag rule",
            "--context-json",
            r#"{"artifacts":["from json"]}"#,
            "--compact",
        ])
        .success()
        .json();
    let context = &task["context"];
    assert_eq!(context["summary"], "Ship the parser");
    assert_eq!(
        context["key_points"],
        serde_json::json!(["lexer done", "from the flag"])
    );
    assert_eq!(
        context["artifacts"],
        serde_json::json!(["src/lexer.rs", "from json"])
    );
    assert_eq!(
        context["constraints"],
        serde_json::json!(["no unsafe", "flag rule"])
    );
    assert_eq!(context["reoriented_from"], path.to_str().unwrap());
    assert_eq!(task["reorient_requested"], true);
    assert_eq!(
        task["reorient"],
        serde_json::json!({"requested": true, "project": "demo", "explicit_context_file": null})
    );
    assert_eq!(task["execution"]["prompt_template"], "Ship the parser");
    assert_eq!(env.records(), vec![task]);
}

#[test]
fn schedule_reorient_explicit_summary_wins_and_missing_file_writes_nothing() {
    let env = Env::new();
    let path = fixture("full.md");
    let task = env
        .cmd(&[
            "schedule",
            "--when",
            "10m",
            "--reorient",
            "--context-file",
            path.to_str().unwrap(),
            "--summary",
            "Explicit",
            "--compact",
        ])
        .success()
        .json();
    assert_eq!(task["context"]["summary"], "Explicit");
    assert_eq!(
        task["reorient"]["explicit_context_file"],
        path.to_str().unwrap()
    );
    assert_eq!(env.records().len(), 1);

    let err = env
        .cmd(&[
            "schedule",
            "--when",
            "10m",
            "--reorient",
            "--context-file",
            "/missing/CONTEXT.md",
        ])
        .failure(1);
    assert!(
        err.error_line().contains("/missing/CONTEXT.md"),
        "{}",
        err.stderr
    );
    assert_eq!(env.records().len(), 1, "nothing written on error");
}
