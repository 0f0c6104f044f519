//! Local time in what people and models read (SPEC §21): a series occurrence's prompt
//! says which fire it stands for, in the series' zone; a one-shot prompt is unchanged.
//! (The terminal-only `scheduled ... for ...` line is unit-tested in src/cli/schedule.rs.)

use std::fs;

use crate::support::Env;

#[test]
fn a_series_prompt_says_when_it_was_meant_to_run() {
    let env = Env::new();
    env.at(
        "2026-12-01 14:00:00",
        &[
            "schedule",
            "--every",
            "1h",
            "--when",
            "2026-12-01 10:00",
            "--summary",
            "poll",
            "--id",
            "s",
        ],
    )
    .env("DEFER_TIMEZONE", "Europe/Berlin")
    .success();
    env.at(
        "2026-12-01 14:00:00",
        &[
            "schedule",
            "--when",
            "2026-12-01 09:15",
            "--summary",
            "once",
            "--id",
            "o",
        ],
    )
    .success();
    // Late, under run-once: the occurrence stands for the latest fire (15:00 Berlin).
    env.at("2026-12-01 14:20:00", &["run"]).run();
    let prompt = fs::read_to_string(env.log_dir().join("s.prompt.txt")).unwrap();
    assert!(
        prompt.contains(
            "Mode: fresh\nScheduled: 2026-12-01T15:00:00+01:00 (occurrence 1 of series s)\nLate: due 2026-12-01T14:00:00Z"
        ),
        "{prompt}"
    );
    let once = fs::read_to_string(env.log_dir().join("o.prompt.txt")).unwrap();
    assert!(!once.contains("Scheduled:"), "{once}");
    assert!(once.contains("Mode: fresh\n\nSummary:\nonce\n"), "{once}");
    // The piped schedule printed no terminal line.
    let out = env
        .at(
            "2026-12-01 14:20:00",
            &["schedule", "--when", "1h", "--summary", "p"],
        )
        .success();
    out.assert_stderr_empty();
}
