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
