//! `defer stats` (SPEC §23) through the binary: a daily series driven through a week
//! under the fake clock, with a day of downtime, counted against its schedule.

use serde_json::Value;

use crate::support::Env;

/// A daily 09:00 UTC series scheduled on 2026-12-01 08:00, run at 09:00:30 on the
/// given days of December (others are downtime).
fn week(env: &Env, days: &[u32]) {
    env.at(
        "2026-12-01 08:00:00",
        &[
            "schedule",
            "--cron",
            "0 9 * * *",
            "--summary",
            "daily",
            "--id",
            "daily",
        ],
    )
    .env("DEFER_TIMEZONE", "UTC")
    .success();
    for day in days {
        env.at(&format!("2026-12-{day:02} 09:00:30"), &["run"])
            .env("DEFER_TIMEZONE", "UTC")
            .success();
    }
}

fn stats(env: &Env, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["stats", "--compact"];
    all.extend_from_slice(args);
    env.at("2026-12-07 12:00:00", &all)
        .env("DEFER_TIMEZONE", "UTC")
        .success()
        .json()
        .as_array()
        .expect("an array")
        .clone()
}

#[test]
fn a_week_of_a_daily_series() {
    let env = Env::new();
    week(&env, &[1, 2, 3, 4, 5, 6, 7]);
    let rows = stats(&env, &[]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row["series"], "daily");
    assert_eq!(row["schedule"], "cron 0 9 * * *");
    assert_eq!(row["expected"], 7);
    assert_eq!(row["on_time"], 7);
    assert_eq!(row["duplicates"], 0);
    assert_eq!(row["missed"]["late"], 0);
    let rows = stats(&env, &["--since", "2d"]);
    assert_eq!(rows[0]["expected"], 2, "{rows:?}");
}

#[test]
fn downtime_shows_as_missed_fires() {
    let env = Env::new();
    // Down on the 3rd and 4th: the 5th's run runs the latest fire once (run-once),
    // folding the two before it.
    week(&env, &[1, 2, 5, 6, 7]);
    let row = &stats(&env, &["--series", "daily"])[0];
    assert_eq!(row["expected"], 7, "{row}");
    assert_eq!(row["on_time"], 5, "{row}");
    assert_eq!(row["missed"]["late"], 2, "{row}");
    assert_eq!(row["duplicates"], 0);
}

#[test]
fn table_and_bad_input() {
    let env = Env::new();
    week(&env, &[1, 2]);
    let out = env
        .at("2026-12-02 12:00:00", &["stats", "--format", "table"])
        .env("DEFER_TIMEZONE", "UTC")
        .success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("SERIES"), "{}", out.stdout);
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        cells[..8],
        ["daily", "cron", "0", "9", "*", "*", "*", "2"],
        "{}",
        out.stdout
    );
    let bad = env.cmd(&["stats", "--since", "whenever"]).failure(1);
    assert!(
        bad.error_line()
            .starts_with("defer: invalid --since 'whenever'"),
        "{}",
        bad.stderr
    );
    let none = env.cmd(&["stats", "--key", "nothing"]).success();
    assert_eq!(none.stdout.trim(), "[]");
}

#[test]
fn a_fire_run_twice_is_a_duplicate() {
    let env = Env::new();
    week(&env, &[1, 2]);
    // A forked chain, as the probe found one: a second task for occurrence 2's fire,
    // completed too (written by hand: defer itself no longer forks).
    let second: Value = env
        .archive_records()
        .into_iter()
        .find(|t| t["series"]["occurrence"] == 2 && t["status"] == "completed")
        .expect("occurrence 2 completed and archived");
    let mut fork = second.clone();
    fork["id"] = "daily-fork".into();
    let mut text = String::from_utf8(env.store_bytes()).unwrap();
    text.push_str(&format!("{fork}\n"));
    env.write_store(text);
    let row = &stats(&env, &[])[0];
    assert_eq!(row["duplicates"], 1, "{row}");
}

#[test]
fn doctor_fails_on_a_duplicate_in_the_last_30_days() {
    let env = Env::new();
    week(&env, &[1, 2]);
    let doctor = |env: &Env| -> Value {
        let out = env
            .at("2026-12-07 12:00:00", &["doctor", "--compact"])
            .env("DEFER_TIMEZONE", "UTC")
            .run();
        let rows: Value = serde_json::from_str(&out.stdout).expect("doctor prints JSON");
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["check"] == "duplicates")
            .expect("a duplicates row")
            .clone()
    };
    let row = doctor(&env);
    assert_eq!(row["status"], "ok", "{row}");
    let second: Value = env
        .archive_records()
        .into_iter()
        .find(|t| t["series"]["occurrence"] == 2 && t["status"] == "completed")
        .unwrap();
    let mut fork = second;
    fork["id"] = "daily-fork".into();
    let mut text = String::from_utf8(env.store_bytes()).unwrap();
    text.push_str(&format!("{fork}\n"));
    env.write_store(text);
    let row = doctor(&env);
    assert_eq!(row["status"], "fail", "{row}");
    assert!(
        row["detail"]
            .as_str()
            .unwrap()
            .contains("daily: 1 fire(s) executed twice"),
        "{row}"
    );
}
