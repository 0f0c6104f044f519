//! `defer when`: a preview that stores nothing (SPEC §1). The grammar itself is tested
//! where it lives (`src/when/`); here only `10m` and RFC 3339 forms are used.

use crate::support::{instant, is_timestamp, now_secs, Env};

#[test]
fn preview_fields() {
    let env = Env::new();
    let before = now_secs();
    let out = env.cmd(&["when", "10m", "--compact"]).success();
    let after = now_secs();
    out.assert_stderr_empty();
    assert_eq!(out.stdout.lines().count(), 1);
    let preview = out.json();
    for field in ["utc", "local", "timezone", "relative"] {
        assert!(preview.get(field).is_some(), "{field} missing: {preview}");
    }
    let utc = preview["utc"].as_str().unwrap();
    assert!(is_timestamp(utc), "{utc}");
    let at = instant(utc);
    let ten = chrono::Duration::minutes(10);
    assert!(before + ten <= at && at <= after + ten, "{at}");
    assert_eq!(preview["timezone"], "America/New_York");
    let local = chrono::DateTime::parse_from_rfc3339(preview["local"].as_str().unwrap())
        .expect("local is RFC 3339 with an offset");
    assert_eq!(local, at);
    assert!(!env.runtime_dir().exists(), "when stores nothing");
}

#[test]
fn local_uses_the_zone() {
    let env = Env::new();
    let preview = env
        .cmd(&["when", "2030-07-01T12:00:00Z", "--compact"])
        .success()
        .json();
    assert_eq!(preview["utc"], "2030-07-01T12:00:00Z");
    assert_eq!(preview["local"], "2030-07-01T08:00:00-04:00");
    let paris = env
        .cmd(&["when", "2030-01-01T12:00:00Z", "--compact"])
        .env("DEFER_TIMEZONE", "Europe/Paris")
        .success()
        .json();
    assert_eq!(paris["timezone"], "Europe/Paris");
    assert_eq!(paris["local"], "2030-01-01T13:00:00+01:00");
}

#[test]
fn pretty_by_default() {
    let env = Env::new();
    let out = env.cmd(&["when", "10m"]).success();
    assert!(out.stdout.lines().count() > 3, "{}", out.stdout);
}

#[test]
fn bad_expression_fails_and_creates_nothing() {
    let env = Env::new();
    for expr in ["garbage", "-5m", ""] {
        let out = env.cmd(&["when", expr]).failure(1);
        let line = out.error_line();
        assert!(line.contains(&format!("'{expr}'")), "{line}");
        assert!(out.stdout.is_empty());
    }
    assert!(!env.runtime_dir().exists(), "no runtime dir created");
}

#[test]
fn bad_timezone_fails() {
    let env = Env::new();
    let out = env
        .cmd(&["when", "10m"])
        .env("DEFER_TIMEZONE", "Mars/Base")
        .failure(1);
    assert!(
        out.error_line().contains("DEFER_TIMEZONE"),
        "{}",
        out.stderr
    );
}

#[test]
fn next_is_bounded_by_the_parser() {
    let env = Env::new();
    for n in ["4000000000", "1001", "0"] {
        let out = env.cmd(&["when", "--every", "1m", "--next", n]).failure(1);
        assert_eq!(
            out.error_line(),
            format!("defer: invalid --next '{n}' (accepted: a whole number from 1 to 1000)")
        );
        assert!(out.stdout.is_empty());
    }
    let fires = env
        .cmd(&["when", "--every", "1m", "--next", "1000", "--compact"])
        .success()
        .json();
    assert_eq!(fires.as_array().unwrap().len(), 1000);
}
