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
