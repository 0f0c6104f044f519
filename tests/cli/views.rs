//! Human views and generated docs: `list --format table`, list filters, `completions`,
//! `man`, and the examples in `--help`.

use crate::support::Env;

fn ids(out: &crate::support::Output) -> Vec<String> {
    out.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

fn schedule(env: &Env, id: &str, when: &str, intent: &str) {
    env.cmd(&[
        "schedule",
        "--when",
        when,
        "--summary",
        id,
        "--id",
        id,
        "--intent",
        intent,
    ])
    .success();
}

#[test]
fn a_table_not_on_a_terminal_has_every_column_and_the_whole_summary() {
    // Cutting to the terminal width (and dropping INTENT, RUN AT) is for a terminal
    // only: unit tests in src/view.rs and src/cli/output.rs. Piped, even with COLUMNS
    // set, nothing is cut.
    let env = Env::new();
    let summary = "Resume the analysis of the quarterly numbers and write the report";
    env.cmd(&[
        "schedule",
        "--when",
        "2h",
        "--summary",
        summary,
        "--id",
        "t1",
    ])
    .success();
    for columns in [None, Some("60")] {
        let mut cmd = env.cmd(&["list", "--format", "table"]);
        if let Some(columns) = columns {
            cmd = cmd.env("COLUMNS", columns);
        }
        let out = cmd.success();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{}", out.stdout);
        for header in ["ID", "STATUS", "RUN AT", "WHEN", "INTENT", "SUMMARY"] {
            assert!(lines[0].contains(header), "{header}: {}", out.stdout);
        }
        let row = lines[1];
        assert!(row.starts_with("t1 ") && row.contains("scheduled"), "{row}");
        assert!(row.contains("in 2h") || row.contains("in 1h 59m"), "{row}");
        assert!(
            row.contains("resume_task") && row.ends_with(summary),
            "{row}"
        );
        assert!(
            row.contains(" E"),
            "local zone abbreviation (EST/EDT): {row}"
        );
    }
}

#[test]
fn table_of_nothing_and_json_by_default() {
    let env = Env::new();
    let out = env.cmd(&["list", "--format", "table"]).success();
    assert_eq!(out.stdout, "no tasks\n");
    assert_eq!(
        env.cmd(&["list", "--format", "json"]).success().stdout,
        "[]\n"
    );
    let out = env.cmd(&["list", "--format", "xml"]).failure(1);
    assert_eq!(
        out.error_line(),
        "defer: invalid --format 'xml' (accepted: json, table)"
    );
}

#[test]
fn filters_by_intent_and_time() {
    let env = Env::new();
    schedule(&env, "a", "10m", "notify");
    schedule(&env, "b", "3h", "resume_task");
    schedule(&env, "c", "now", "execute_action");
    let list = |args: &[&str]| {
        let mut argv = vec!["list", "--compact"];
        argv.extend_from_slice(args);
        ids(&env.cmd(&argv).success())
    };
    assert_eq!(list(&["--intent", "notify"]), ["a"]);
    assert_eq!(
        list(&["--intent", "notify", "--intent", "resume_task"]),
        ["a", "b"]
    );
    assert_eq!(list(&["--due"]), ["c"]);
    assert_eq!(list(&["--before", "1h"]), ["c", "a"], "by run_at");
    assert_eq!(list(&["--after", "1h"]), ["b"]);
    assert_eq!(list(&["--after", "5m", "--before", "1h"]), ["a"]);
    assert_eq!(list(&["--due", "--intent", "notify"]), Vec::<String>::new());
}

#[test]
fn bad_filter_values_name_the_flag() {
    let env = Env::new();
    let out = env.cmd(&["list", "--before", "bogus"]).failure(1);
    assert!(
        out.error_line()
            .starts_with("defer: invalid --before 'bogus': "),
        "{}",
        out.stderr
    );
    let out = env.cmd(&["list", "--after", "-5m"]).failure(1);
    assert!(
        out.error_line()
            .starts_with("defer: invalid --after '-5m': "),
        "{}",
        out.stderr
    );
    let out = env.cmd(&["list", "--intent", "bogus"]).failure(1);
    assert_eq!(
        out.error_line(),
        "defer: invalid --intent 'bogus' (accepted: resume_task, notify, execute_action)"
    );
}

#[test]
fn completions_for_every_shell() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = env.cmd(&["completions", shell]).success();
        assert!(out.stdout.len() > 100, "{shell}");
        assert!(out.stdout.contains("schedule"), "{shell}");
    }
    let out = env.cmd(&["completions", "tcsh"]).failure(1);
    assert!(
        out.error_line().starts_with("defer: invalid"),
        "{}",
        out.stderr
    );
}

#[test]
fn man_page_is_roff() {
    let env = Env::new();
    let out = env.cmd(&["man"]).success();
    assert!(
        out.stdout.starts_with(".ie \\n(.g"),
        "{}",
        &out.stdout[..80]
    );
    assert!(out.stdout.contains(".TH defer 1"));
    assert!(out.stdout.contains("schedule"));
}

#[test]
fn help_teaches_by_example() {
    let env = Env::new();
    let out = env.cmd(&["--help"]).success();
    assert!(
        out.stdout
            .contains("Examples:\n  defer schedule --when 10m"),
        "{}",
        out.stdout
    );
    let out = env.cmd(&["schedule", "--help"]).success();
    assert!(out.stdout.contains("tomorrow 9am"));
    let out = env.cmd(&["wait", "--help"]).success();
    assert!(out.stdout.contains("124"));
}

#[test]
fn due_means_waiting_to_run() {
    use crate::support::record_with;
    use serde_json::json;
    let env = Env::new();
    let past = json!("2020-01-01T00:00:00Z");
    env.write_store(format!(
        "{}\n{}\n",
        record_with("waiting", &[("run_at", past.clone())]),
        record_with(
            "running",
            &[("run_at", past), ("status", json!("executing"))]
        ),
    ));
    let list = |args: &[&str]| {
        let mut argv = vec!["list", "--compact"];
        argv.extend_from_slice(args);
        ids(&env.cmd(&argv).success())
    };
    assert_eq!(list(&["--due"]), ["waiting"]);
    assert_eq!(list(&["--due", "--status", "executing"]), ["running"]);
    assert_eq!(list(&["--due", "--all"]), ["running", "waiting"]);
}
