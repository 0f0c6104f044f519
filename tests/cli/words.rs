//! Honest words (SPEC §21): usage errors keep clap's suggestion on their one line,
//! duration options take units, and small wording fixes.

use crate::support::Env;

#[test]
fn usage_errors_keep_the_suggestion_on_one_line_and_exit_2() {
    let env = Env::new();
    for (args, line) in [
        (
            vec!["shedule"],
            "defer: unrecognized subcommand 'shedule' (did you mean 'schedule'?)",
        ),
        (
            vec!["schedule", "--when", "1h", "--sumary", "x"],
            "defer: unexpected argument '--sumary' found (did you mean '--summary'?)",
        ),
        (
            vec!["list", "--stat", "paused"],
            "defer: unexpected argument '--stat' found (did you mean '--status'?)",
        ),
    ] {
        let out = env.cmd(&args).failure(2);
        assert_eq!(out.stderr, format!("{line}\n"), "{args:?}");
    }
    // No suggestion: the command's own usage line, not one built from what was typed.
    let out = env.cmd(&["list", "--zzz"]).failure(2);
    assert_eq!(
        out.stderr,
        "defer: unexpected argument '--zzz' found (usage: defer list [OPTIONS]; see --help)\n"
    );
    assert!(!env.store_exists());
}

#[test]
fn phrases_people_use_and_decimal_amounts() {
    let env = Env::new();
    let now = "2026-06-10 14:15:00"; // Wednesday 10:15 in New York (the tests' zone)
    for (expr, utc) in [
        ("in an hour", "2026-06-10T15:15:00Z"),
        ("1.5h", "2026-06-10T15:45:00Z"),
        ("this friday", "2026-06-12T14:15:00Z"),
        ("tomorrow morning", "2026-06-11T13:00:00Z"),
        ("tonight", "2026-06-11T00:00:00Z"),
        ("eod", "2026-06-10T21:00:00Z"),
    ] {
        let out = env.at(now, &["when", expr, "--compact"]).success();
        assert_eq!(out.json()["utc"], utc, "{expr}");
    }
    let task = env
        .at(
            now,
            &["schedule", "--when", "0.5d", "--summary", "s", "--compact"],
        )
        .success()
        .json();
    assert_eq!(task["run_at"], "2026-06-11T02:15:00Z");
    let before = env.store_bytes();
    let out = env
        .at(now, &["schedule", "--when", "1.5mo", "--summary", "s"])
        .failure(1);
    assert!(
        out.error_line()
            .starts_with("defer: invalid --when '1.5mo': ambiguous decimal '1.5mo'"),
        "{}",
        out.stderr
    );
    assert_eq!(env.store_bytes(), before);
    for since in ["last week", "last month"] {
        env.at(now, &["history", "--since", since]).success();
    }
}

#[test]
fn every_duration_option_takes_units_and_a_bare_number_stays_seconds() {
    let env = Env::new();
    env.schedule("t1", "s");
    for timeout in ["1s", "1"] {
        let started = std::time::Instant::now();
        let out = env.cmd(&["wait", "t1", "--timeout", timeout]).failure(124);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert!(
            out.error_line().contains("timed out after 1s"),
            "{}",
            out.stderr
        );
    }
    let out = env
        .cmd(&["wait", "t1", "--timeout", "1 fortnight"])
        .failure(1);
    assert_eq!(
        out.error_line(),
        "defer: invalid --timeout '1 fortnight' (accepted: a duration such as 30s, 5m, 1h, \
         or whole seconds)"
    );
    let now = "2026-06-10 14:15:00";
    let series = env
        .at(
            now,
            &[
                "schedule",
                "--every",
                "3600",
                "--grace",
                "600",
                "--retry-delay",
                "1.5m",
                "--summary",
                "s",
                "--compact",
            ],
        )
        .success()
        .json();
    assert_eq!(series["series"]["every"], "3600");
    assert_eq!(series["series"]["grace_seconds"], 600);
    assert_eq!(series["retry"]["delay_seconds"], 90);
    let plain = env
        .at(
            now,
            &[
                "schedule",
                "--when",
                "1h",
                "--grace",
                "1.5h",
                "--summary",
                "s",
                "--compact",
            ],
        )
        .success()
        .json();
    assert_eq!(plain["grace_seconds"], 5_400);
}

#[test]
fn a_bad_cron_names_the_field_the_value_and_the_range() {
    let env = Env::new();
    for (cron, why) in [
        ("0 25 * * *", "hour 25 is out of range 0-23"),
        ("60 * * * *", "minute 60 is out of range 0-59"),
        ("0 0 32 * *", "day-of-month 32 is out of range 1-31"),
        ("0 0 * 13 *", "month 13 is out of range 1-12"),
        ("0 0 * * 8", "day-of-week 8 is out of range 0-7"),
        (
            "0 0 * foo *",
            "month 'foo' is not a month (accepted: 1-12 or jan-dec)",
        ),
        (
            "*/0 * * * *",
            "minute step '*/0' is 0 (a step is 1 or more)",
        ),
        (
            "0 0 * *",
            "4 fields, expected 5: minute hour day-of-month month day-of-week (e.g. \
             '0 9 * * 1-5'), or one of @hourly, @daily, @weekly, @monthly, @yearly",
        ),
    ] {
        let out = env
            .cmd(&["schedule", "--cron", cron, "--summary", "s"])
            .failure(1);
        assert_eq!(
            out.stderr,
            format!("defer: invalid --cron '{cron}': {why}\n")
        );
    }
    let out = env.cmd(&["when", "--cron", "0 9 * * funday"]).failure(1);
    assert!(
        out.error_line().starts_with(
            "defer: invalid --cron '0 9 * * funday': day-of-week 'funday' is not a weekday"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("Component error"));
    assert!(!env.store_exists());
}

#[test]
fn one_validation_of_every_setting() {
    let env = Env::new();
    env.schedule("t1", "s");
    let before = env.store_bytes();
    let zone = "defer: invalid DEFER_TIMEZONE 'Europe/Berln' (accepted: an IANA zone name such as \
                America/New_York, Europe/Paris or UTC)";
    for args in [
        vec!["list"],
        vec!["run"],
        vec!["cron"],
        vec!["mcp", "config"],
        vec!["show", "t1"],
        vec!["cancel", "t1"],
    ] {
        let out = env
            .cmd(&args)
            .env("DEFER_TIMEZONE", "Europe/Berln")
            .failure(1);
        assert_eq!(out.stderr, format!("{zone}\n"), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
    }
    assert_eq!(env.store_bytes(), before, "nothing written");
    // doctor: the settings row says what the timezone row says.
    let out = env
        .cmd(&["doctor", "--compact"])
        .env("DEFER_TIMEZONE", "Europe/Berln")
        .failure(1);
    let rows = out.json();
    let row = |check: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["check"] == check)
            .unwrap()
            .clone()
    };
    assert_eq!(row("settings")["status"], "fail");
    assert!(row("settings")["detail"]
        .as_str()
        .unwrap()
        .contains("invalid DEFER_TIMEZONE 'Europe/Berln'"));
    assert_eq!(row("timezone")["status"], "fail");
    assert!(!out.stdout.contains("every DEFER_* setting is valid"));
    // The MCP server starts (its doctor tool can say what is wrong) and refuses the
    // other tools with the same line.
    let calls = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list","arguments":{}}}"#,
    ];
    let out = env
        .cmd(&["mcp"])
        .env("DEFER_TIMEZONE", "Europe/Berln")
        .stdin(calls.join("\n") + "\n")
        .success();
    let reply: serde_json::Value =
        serde_json::from_str(out.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(reply["result"]["isError"], true);
    assert_eq!(reply["result"]["content"][0]["text"], zone);
}

#[test]
fn a_command_missing_now_is_stored_with_a_warning() {
    let env = Env::new();
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "s",
            "--id",
            "later",
            "--compact",
            "--",
            "no-such-program-for-defer",
            "--flag",
        ])
        .success();
    assert_eq!(
        out.stderr,
        "defer: warning: command 'no-such-program-for-defer' is not an executable file here \
         now (a bare name is looked up on PATH); task later is stored anyway and runs it if it \
         is installed by then, else it fails\n"
    );
    assert_eq!(
        env.task("later")["execution"]["command"][0],
        "no-such-program-for-defer"
    );
    // A command found on PATH: no warning.
    let out = env
        .cmd(&["schedule", "--when", "1h", "--summary", "s", "--", "true"])
        .success();
    out.assert_stderr_empty();
}

#[test]
fn failures_count_attempts_in_words_and_the_table_counts_a_success() {
    let env = Env::new();
    let fail = env.write_executor("fail", "echo no; exit 3");
    let now = "2026-06-10 14:15:00";
    env.at(
        now,
        &["schedule", "--when", "now", "--summary", "s", "--id", "bad"],
    )
    .success();
    let out = env
        .at(now, &["run"])
        .env("DEFER_EXECUTOR", fail.display().to_string())
        .success();
    assert_eq!(
        out.stderr,
        "defer: task bad failed after 1 attempt: executor exited with status 3: no\n"
    );
    env.at(
        now,
        &[
            "schedule",
            "--when",
            "now",
            "--summary",
            "s",
            "--id",
            "good",
        ],
    )
    .success();
    env.at(now, &["run"]).success();
    let table = env
        .at(now, &["history", "--format", "table"])
        .env("COLUMNS", "200")
        .success()
        .stdout;
    let tries = |id: &str| {
        let row = table.lines().find(|l| l.starts_with(id)).unwrap();
        let header = table.lines().next().unwrap();
        let at = header.find("TRIES").unwrap();
        row[at..].split_whitespace().next().unwrap().to_string()
    };
    assert_eq!(
        (tries("bad"), tries("good")),
        ("1".into(), "1".into()),
        "{table}"
    );
}
