//! On a real terminal (a pty from script(1)), without `COLUMNS`: a table is cut to the
//! width the terminal reports (TIOCGWINSZ), not to the default.

use crate::support::Env;

/// `list --format table` in a pty `columns` wide; the lines it printed.
fn table_in_terminal(env: &Env, columns: usize) -> Vec<String> {
    let inner = format!("stty cols {columns} rows 24; \"$DEFER_BIN\" list --format table");
    let out = env
        .sh(&format!("script -qec '{inner}' /dev/null"))
        .env_remove("COLUMNS")
        .success();
    out.stdout
        .lines()
        .map(|line| line.trim_end_matches('\r').to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn a_table_on_a_terminal_fits_the_terminal_width() {
    let env = Env::new();
    let summary =
        "Resume the analysis of the quarterly numbers, then write the report for the board \
                   and send it to everyone who asked for it before the meeting on Friday";
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
    // 100 is the width used when the terminal reports none: both sides of it.
    for columns in [50, 140] {
        let lines = table_in_terminal(&env, columns);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with("ID ") && lines[1].starts_with("t1 "),
            "{lines:?}"
        );
        let widest = lines.iter().map(|l| l.chars().count()).max().unwrap();
        assert!(widest <= columns, "{columns} columns: {lines:?}");
        assert!(lines[1].ends_with('…'), "the summary is cut: {lines:?}");
        if columns > 100 {
            assert!(
                widest > 100,
                "the terminal's width, not the default: {lines:?}"
            );
        }
    }
}
