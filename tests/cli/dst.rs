//! Clock changes in cron series as Vixie cron handles them (SPEC §19), through the
//! binary under libfaketime: schedule and run under the same fake clock across the 2027
//! New York changes (spring forward 03-14 07:00Z, fall back 11-07 06:00Z).

use serde_json::Value;

use crate::support::{instant, Env};

fn series(env: &Env, id: &str) -> Vec<Value> {
    let mut found: Vec<Value> = env
        .latest()
        .into_values()
        .chain(env.archive_records())
        .filter(|t| t["series"]["id"] == id)
        .collect();
    found.sort_by_key(|t| t["series"]["occurrence"].as_u64());
    found
}

fn preview(env: &Env, now: &str, args: &[&str]) -> Vec<String> {
    let mut all = vec!["when", "--compact"];
    all.extend_from_slice(args);
    env.at(now, &all)
        .success()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["utc"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_fixed_list_runs_a_repeated_hour_once() {
    let env = Env::new();
    let first = env
        .at(
            "2027-11-06 12:00:00",
            &[
                "schedule",
                "--cron",
                "0 1,13 * * *",
                "--summary",
                "s",
                "--id",
                "fb",
                "--compact",
            ],
        )
        .success()
        .json();
    assert_eq!(first["run_at"], "2027-11-06T17:00:00Z");
    // 13:00 EDT, then 01:00 EDT (first pass of the repeated hour), then nothing at
    // 01:00 EST (06:00Z): the next is 13:00 EST.
    for now in [
        "2027-11-06 17:00:20",
        "2027-11-07 04:00:20",
        "2027-11-07 05:00:20",
        "2027-11-07 06:00:20",
        "2027-11-07 07:00:20",
    ] {
        env.at(now, &["run"]).success();
    }
    let occ = series(&env, "fb");
    let got: Vec<(&str, &str)> = occ
        .iter()
        .map(|t| (t["run_at"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("2027-11-06T17:00:00Z", "completed"),
            ("2027-11-07T05:00:00Z", "completed"),
            ("2027-11-07T18:00:00Z", "scheduled"),
        ]
    );
    assert_eq!(
        preview(
            &env,
            "2027-11-07 04:00:00",
            &["--cron", "0 1,13 * * *", "--next", "4"]
        ),
        [
            "2027-11-07T05:00:00Z",
            "2027-11-07T18:00:00Z",
            "2027-11-08T06:00:00Z",
            "2027-11-08T18:00:00Z"
        ]
    );
}

#[test]
fn fixed_times_in_the_gap_run_once_after_it() {
    let env = Env::new();
    let first = env
        .at(
            "2027-03-13 12:00:00",
            &[
                "schedule",
                "--cron",
                "0,30 2 * * *",
                "--summary",
                "s",
                "--id",
                "sf",
                "--compact",
            ],
        )
        .success()
        .json();
    // 02:00 and 02:30 do not exist on 03-14: one run at 03:00 EDT (07:00Z).
    assert_eq!(first["run_at"], "2027-03-14T07:00:00Z");
    env.at("2027-03-14 07:00:20", &["run"]).success();
    let occ = series(&env, "sf");
    assert_eq!(occ.len(), 2);
    assert_eq!(occ[0]["status"], "completed");
    assert_eq!(occ[0]["run_at"], "2027-03-14T07:00:00Z");
    // The gap's other fire did not run; it is counted, not lost, and it is not late.
    assert_eq!(occ[0]["missed_fires"], 1);
    assert_eq!(occ[0].get("late_by_seconds"), None);
    assert_eq!(env.log_events("missed").len(), 1);
    assert_eq!(occ[1]["run_at"], "2027-03-15T06:00:00Z");
    assert_eq!(
        preview(
            &env,
            "2027-03-13 12:00:00",
            &["--cron", "0,30 2 * * *", "--next", "3"]
        ),
        [
            "2027-03-14T07:00:00Z",
            "2027-03-15T06:00:00Z",
            "2027-03-15T06:30:00Z"
        ]
    );
}

#[test]
fn wildcards_and_intervals_follow_real_time() {
    let env = Env::new();
    // No 02:xx exists on 03-14: a wildcard hour does not fire there.
    assert_eq!(
        preview(
            &env,
            "2027-03-13 12:00:00",
            &["--cron", "*/30 2 * * *", "--next", "3"]
        ),
        [
            "2027-03-15T06:00:00Z",
            "2027-03-15T06:30:00Z",
            "2027-03-16T06:00:00Z"
        ]
    );
    // `--every 1h` is 3,600 s whatever the wall clock does: 01:30 EDT, 01:30 EST, 02:30 EST.
    let fires = env
        .at(
            "2027-11-07 04:30:00",
            &["when", "--every", "1h", "--next", "3", "--compact"],
        )
        .success()
        .json();
    let fires = fires.as_array().unwrap();
    let utc: Vec<_> = fires
        .iter()
        .map(|f| instant(f["utc"].as_str().unwrap()))
        .collect();
    assert!(
        utc.windows(2).all(|w| (w[1] - w[0]).num_seconds() == 3600),
        "{fires:?}"
    );
    let local: Vec<&str> = fires
        .iter()
        .map(|f| &f["local"].as_str().unwrap()[11..])
        .collect();
    assert!(
        local[0].starts_with("01:30") && local[0].ends_with("-04:00"),
        "{local:?}"
    );
    assert!(
        local[1].starts_with("01:30") && local[1].ends_with("-05:00"),
        "{local:?}"
    );
    assert!(
        local[2].starts_with("02:30") && local[2].ends_with("-05:00"),
        "{local:?}"
    );
}

#[test]
fn export_refuses_a_fixed_time_every_hour_where_clocks_change() {
    let env = Env::new();
    for (id, cron) in [("fixed", "0 0-23 * * *"), ("wild", "0 * * * *")] {
        env.cmd(&["schedule", "--cron", cron, "--summary", "s", "--id", id])
            .env("DEFER_TIMEZONE", "Europe/Berlin")
            .success();
    }
    let out = env
        .cmd(&["export", "fixed", "--format", "kubernetes"])
        .failure(1);
    assert!(
        out.error_line().contains("an hour its clocks change in"),
        "{}",
        out.stderr
    );
    let out = env
        .cmd(&["export", "wild", "--format", "kubernetes"])
        .success();
    assert!(
        out.stdout.contains("timeZone: \"Etc/UTC\""),
        "{}",
        out.stdout
    );
}
