//! The `--when` grammar through the binary: the DST clock rule under libfaketime, the
//! turn-2 forms (`at`, bare hours, months) and the did-you-mean error line. The grammar
//! is unit-tested in `src/when/tests.rs`; these check the wiring end to end.

use crate::support::{instant, Env, Output};

/// Runs `defer ARGS` under libfaketime starting at `utc` (a UTC wall time,
/// `YYYY-MM-DD HH:MM:SS`). Fails loudly if faketime is missing: `make test` installs it.
fn at_instant(env: &Env, utc: &str, args: &str) -> Output {
    env.sh_at(utc, &format!("exec \"$DEFER_BIN\" {args}")).run()
}

fn preview(out: &Output) -> serde_json::Value {
    assert_eq!(out.status, 0, "stderr: {}", out.stderr);
    out.assert_stderr_empty();
    out.json()
}

#[test]
fn faketime_sets_the_clock_the_binary_sees() {
    let env = Env::new();
    let p = preview(&at_instant(
        &env,
        "2026-11-01 06:10:00",
        "when now --compact",
    ));
    let now = instant(p["utc"].as_str().unwrap());
    let start = instant("2026-11-01T06:10:00Z");
    assert!(
        start <= now && now < start + chrono::Duration::seconds(30),
        "{now}"
    );
}

#[test]
fn clock_time_in_the_fall_back_hour_is_its_second_pass() {
    let env = Env::new(); // DEFER_TIMEZONE=America/New_York
    let out = at_instant(&env, "2026-11-01 06:10:00", "when 1:30am --compact");
    let p = preview(&out);
    assert_eq!(p["utc"], "2026-11-01T06:30:00Z", "{}", out.stdout);
    assert_eq!(p["local"], "2026-11-01T01:30:00-05:00");
    assert_eq!(p["in_past"], false);
}

#[test]
fn day_and_time_joined_by_at() {
    let env = Env::new();
    // Wednesday 2026-06-10 10:15 EDT.
    let now = "2026-06-10 14:15:00";
    let cases = [
        ("tomorrow at 9am", "2026-06-11T09:00:00-04:00"),
        ("friday at 14:00", "2026-06-12T14:00:00-04:00"),
        ("tomorrow 9", "2026-06-11T09:00:00-04:00"),
        ("friday 14", "2026-06-12T14:00:00-04:00"),
        ("'dec 1 at 9am'", "2026-12-01T09:00:00-05:00"),
        ("'in 2 months'", "2026-08-10T10:15:00-04:00"),
    ];
    for (expr, local) in cases {
        let args = format!("when {expr} --compact");
        let p = preview(&at_instant(&env, now, &args));
        let shown = p["local"].as_str().unwrap();
        // The clock runs on from `now`; compare to the minute.
        assert_eq!(&shown[..16], &local[..16], "{expr}: {p}");
        assert_eq!(&shown[19..], &local[19..], "{expr}: {p}");
    }
}

#[test]
fn misspelt_word_gets_a_suggestion() {
    let env = Env::new();
    let out = env.cmd(&["when", "tomorow 9am"]).failure(1);
    let line = out.error_line();
    assert!(
        line.starts_with("defer: invalid --when 'tomorow 9am': "),
        "{line}"
    );
    assert!(line.ends_with("did you mean 'tomorrow 9am'?)"), "{line}");
    assert!(out.stdout.is_empty());

    let out = env
        .cmd(&["schedule", "--when", "nxt fridy at 9am", "--summary", "s"])
        .failure(1);
    let line = out.error_line();
    assert!(
        line.contains("did you mean 'next friday at 9am'?"),
        "{line}"
    );
    assert!(!env.store_exists(), "nothing stored");
}

#[test]
fn no_suggestion_when_nothing_is_close() {
    let env = Env::new();
    let out = env.cmd(&["when", "whenever you like"]).failure(1);
    let line = out.error_line();
    assert!(line.contains("unrecognised expression"), "{line}");
    assert!(!line.contains("did you mean"), "{line}");
}

#[test]
fn bare_number_alone_stays_rejected() {
    let env = Env::new();
    let out = env.cmd(&["when", "9"]).failure(1);
    assert!(
        out.error_line().contains("ambiguous number '9'"),
        "{}",
        out.stderr
    );
}

#[test]
fn months_clamp_to_the_month_end() {
    let env = Env::new();
    // 2026-01-31 09:30 EST.
    let p = preview(&at_instant(
        &env,
        "2026-01-31 14:30:00",
        "when 1mo --compact",
    ));
    assert_eq!(&p["local"].as_str().unwrap()[..16], "2026-02-28T09:30");
    // 2028 is a leap year.
    let p = preview(&at_instant(
        &env,
        "2028-01-31 14:30:00",
        "when next month --compact",
    ));
    assert_eq!(&p["local"].as_str().unwrap()[..16], "2028-02-29T09:30");
}

#[test]
fn schedule_stores_the_resolved_instant() {
    let env = Env::new();
    let out = at_instant(
        &env,
        "2026-06-10 14:15:00",
        "schedule --when 'friday at 9am' --summary s --compact",
    );
    assert_eq!(out.status, 0, "stderr: {}", out.stderr);
    let record = out.json();
    assert_eq!(record["run_at"], "2026-06-12T13:00:00Z", "{record}");
}
