//! Line separators (U+2028, U+2029, U+0085) and bidi controls are escaped wherever
//! control characters are (src/text.rs is the one rule): the audit log, executor error
//! text, the table.

use crate::support::{schedule_due, Env};

/// A reason, output or name built to reorder or split what a reader sees.
const HOSTILE: &str = "ok\u{202e}lave\u{2066}x\u{2069}\u{2028}y\u{85}z\u{200f}\u{61c}";

fn has_unsafe(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(
            c,
            '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{61c}' | '\u{200e}' | '\u{200f}'
        ) || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
}

/// The error of a failed task (archived by the run that failed it).
fn shown_error(env: &Env, id: &str) -> String {
    let task = env.cmd(&["show", id]).success().json();
    task["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error: {task}"))
        .to_string()
}

#[test]
fn the_audit_log_quotes_separators_and_bidi_controls_escaped() {
    let env = Env::new();
    env.schedule("t1", "s");
    env.cmd(&["cancel", "t1", "--reason", HOSTILE]).success();
    let lines = env.log_lines();
    let cancelled = lines
        .iter()
        .find(|line| line.contains(" cancelled "))
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(!has_unsafe(cancelled), "{cancelled:?}");
    assert!(
        cancelled.contains(r#""ok\u202elave\u2066x\u2069\u2028y\u0085z\u200f\u061c""#),
        "{cancelled}"
    );
    assert_eq!(lines.len(), 2, "one line per event: {lines:?}");
}

#[test]
fn executor_errors_and_tables_escape_them() {
    let env = Env::new();
    let executor = env.write_executor("hostile", &format!("printf '%s\\n' '{HOSTILE}'; exit 3"));
    schedule_due(&env, "e1", &[]);
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", executor.to_str().unwrap())
        .run();
    let error = shown_error(&env, "e1");
    assert!(!has_unsafe(&error), "{error:?}");
    assert!(
        error.ends_with(r"ok\u{202e}lave\u{2066}x\u{2069}\u{2028}y\u{85}z\u{200f}\u{61c}"),
        "{error}"
    );
    let program = format!("./nope{HOSTILE}");
    schedule_due(&env, "c1", &["--", &program]);
    env.cmd(&["run"]).run();
    let error = shown_error(&env, "c1");
    assert!(
        error.starts_with("Task command is not executable: ./nope"),
        "{error}"
    );
    assert!(!has_unsafe(&error), "{error:?}");
    env.schedule("t1", HOSTILE);
    let table = env.cmd(&["list", "--format", "table"]).success();
    assert!(!has_unsafe(&table.stdout), "{:?}", table.stdout);
    let history = env.cmd(&["history", "--format", "table"]).success();
    assert!(!has_unsafe(&history.stdout), "{:?}", history.stdout);
}
