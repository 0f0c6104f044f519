use chrono::{DateTime, Duration, Utc};

use super::*;

fn now() -> DateTime<Utc> {
    "2026-12-07T14:00:00Z".parse().unwrap()
}

fn read(text: &str) -> Report {
    parse(text.as_bytes()).unwrap().expect("a report")
}

fn delay() -> Duration {
    Duration::seconds(60)
}

#[test]
fn an_empty_file_is_no_report() {
    assert_eq!(parse(b"").unwrap(), None);
    assert_eq!(parse(b" \n\t").unwrap(), None);
}

#[test]
fn every_field_is_optional_and_read() {
    let r = read(
        r#"{"status":"retry","retry_at":"63s","scope":"lane","reason":"limit\nmore",
            "summary":"s","question":"q\nsecond line","cost":{"usd":0.25,"input_tokens":10,
            "output_tokens":3,"cached":7},"extra":true}"#,
    );
    assert_eq!(r.status, Some(Status::Retry));
    assert_eq!(r.scope, Scope::Lane);
    assert_eq!(r.reason.as_deref(), Some("limit"), "one line");
    assert_eq!(
        r.question.as_deref(),
        Some("q\nsecond line"),
        "a question keeps lines"
    );
    assert_eq!(
        r.cost,
        Some(Cost {
            usd: Some(0.25),
            input_tokens: Some(10),
            output_tokens: Some(3)
        })
    );
    assert_eq!(read("{}"), Report::default());
    assert_eq!(read(r#"{"status":null,"cost":null}"#), Report::default());
}

#[test]
fn bad_reports_are_one_line_errors() {
    let too_big = vec![b' '; MAX_BYTES + 1];
    for (bytes, needle) in [
        (too_big.as_slice(), "at most 65536"),
        (b"not json".as_slice(), "not JSON"),
        (b"[1,2]".as_slice(), "not a JSON object"),
        (br#"{"status":"done"}"#.as_slice(), "not one of completed"),
        (br#"{"scope":"world"}"#.as_slice(), "not one of task, lane"),
        (br#"{"reason":5}"#.as_slice(), "'reason' is not a string"),
        (br#"{"cost":{"usd":-1}}"#.as_slice(), "cost.usd"),
        (
            br#"{"cost":{"input_tokens":1.5}}"#.as_slice(),
            "cost.input_tokens",
        ),
        (br#"{"cost":"free"}"#.as_slice(), "'cost' is not an object"),
    ] {
        let e = parse(bytes).unwrap_err();
        assert!(e.contains(needle), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }
}

#[test]
fn without_a_report_the_exit_status_decides() {
    let d = |exit| decide(None, exit, 0, delay(), now());
    assert_eq!(d(Exit::Success), Verdict::Completed);
    assert_eq!(d(Exit::Failure), Verdict::Failed { reason: None });
    assert_eq!(
        d(Exit::TempFail),
        Verdict::Deferred {
            until: now() + delay(),
            scope: Scope::Task,
            reason: "executor exited with status 75 (retry later)".into()
        }
    );
    assert_eq!(Exit::from_code(Some(75)), Exit::TempFail);
    assert_eq!(Exit::from_code(None), Exit::Failure);
}

#[test]
fn a_status_overrides_the_exit_code() {
    let r = read(r#"{"status":"completed"}"#);
    assert_eq!(
        decide(Some(&r), Exit::Failure, 0, delay(), now()),
        Verdict::Completed
    );
    let r = read(r#"{"status":"failed","reason":"tests red"}"#);
    assert_eq!(
        decide(Some(&r), Exit::Success, 0, delay(), now()),
        Verdict::Failed {
            reason: Some("tests red".into())
        }
    );
    let r = read(r#"{"question":"which branch?"}"#);
    assert_eq!(
        decide(Some(&r), Exit::Success, 0, delay(), now()),
        Verdict::Completed,
        "no status: the exit code"
    );
    let r = read(r#"{"status":"needs_input","question":"which branch?"}"#);
    assert_eq!(
        decide(Some(&r), Exit::Success, 0, delay(), now()),
        Verdict::NeedsInput {
            question: "which branch?".into()
        }
    );
}

#[test]
fn retry_at_is_a_time_or_a_duration() {
    let at = |text: &str| {
        let r = read(&format!(
            r#"{{"status":"retry","retry_at":"{text}","scope":"lane"}}"#
        ));
        decide(Some(&r), Exit::Failure, 3, delay(), now())
    };
    let deferred = |until: DateTime<Utc>| Verdict::Deferred {
        until,
        scope: Scope::Lane,
        reason: "executor asked to retry later".into(),
    };
    assert_eq!(at("63s"), deferred(now() + Duration::seconds(63)));
    assert_eq!(at("1h30m"), deferred(now() + Duration::minutes(90)));
    assert_eq!(
        at("2026-12-07T15:05:00+01:00"),
        deferred("2026-12-07T14:05:00Z".parse().unwrap())
    );
    assert_eq!(
        at("2026-12-07T13:00:00Z"),
        deferred(now()),
        "a past time: now"
    );
    match at("soon") {
        Verdict::Failed { reason: Some(r) } => assert!(r.contains("'soon'"), "{r}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn deferrals_are_bounded_in_count_and_reach() {
    let r = read(r#"{"status":"retry","reason":"rate limit"}"#);
    assert!(matches!(
        decide(Some(&r), Exit::Failure, MAX_DEFERRALS - 1, delay(), now()),
        Verdict::Deferred { .. }
    ));
    match decide(Some(&r), Exit::Failure, MAX_DEFERRALS, delay(), now()) {
        Verdict::Failed { reason: Some(r) } => {
            assert_eq!(
                r,
                "rate limit; not deferred again after 24 deferrals in a row"
            )
        }
        other => panic!("{other:?}"),
    }
    let far = read(r#"{"status":"retry","retry_at":"8d"}"#);
    match decide(Some(&far), Exit::Failure, 0, delay(), now()) {
        Verdict::Failed { reason: Some(r) } => assert!(r.contains("more than 7 days"), "{r}"),
        other => panic!("{other:?}"),
    }
    let week = read(r#"{"status":"retry","retry_at":"7d"}"#);
    assert!(matches!(
        decide(Some(&week), Exit::Failure, 0, delay(), now()),
        Verdict::Deferred { .. }
    ));
}
