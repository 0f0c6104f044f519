//! Differential tests: the fast reader against the full parse (`parse_record`).

use super::*;
use crate::store::parse_record;
use crate::task::{Context, ExecutorProcess, Retry, Task, TaskResult};

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// Records as `defer` writes them, from bare to every field set.
fn corpus() -> Vec<String> {
    let base = Task {
        id: "task_1.a-b".into(),
        created_at: at("2026-04-08T16:35:00Z"),
        run_at: at("2026-04-08T16:45:00Z"),
        context: Context {
            summary: "Résumé \"quoted\" \\ tab\tnewline\n ✓ 😀".into(),
            key_points: vec!["a".into(), "b\u{7f}".into()],
            artifacts: vec!["/tmp/x y".into()],
            constraints: vec![],
            ..Context::default()
        },
        ..Task::blank()
    };
    let mut all = vec![base.clone()];
    all.push(Task {
        status: Status::Completed,
        key: Some("k-1".into()),
        attempts: 2,
        max_retries: 4_294_967_295,
        reorient_requested: true,
        retry: Some(Retry {
            delay_seconds: Some(u64::MAX),
            ..Retry::default()
        }),
        started_at: Some(at("2026-04-08T16:45:01Z")),
        completed_at: Some(at("2026-05-01T00:00:00Z")),
        last_attempt_at: Some(at("2026-04-08T16:45:02Z")),
        last_error: Some("boom".into()),
        result: Some(TaskResult {
            kind: ResultType::ExecutorOutput,
            prompt_path: "/p".into(),
            output: Some("out\u{1}put".into()),
            output_truncated: Some(true),
            next_run_at: Some(at("2026-04-09T00:00:00Z")),
            extra: Default::default(),
        }),
        rescheduled_from: Some(at("2026-04-01T00:00:00Z")),
        executor: Some(ExecutorProcess {
            pid: 42,
            started: Some(7),
        }),
        ..base.clone()
    });
    all.push(Task {
        status: Status::Cancelled,
        cancelled_at: Some(at("2026-06-01T00:00:00Z")),
        cancel_reason: Some(None),
        error: Some("e".into()),
        ..base.clone()
    });
    all.push(Task {
        status: Status::Failed,
        failed_at: Some(at("2026-07-01T00:00:00Z")),
        cancel_reason: Some(Some("why".into())),
        ..base.clone()
    });
    all.push(Task {
        status: Status::Paused,
        ..base.clone()
    });
    let mut lines: Vec<String> = all.iter().map(Task::to_line).collect();
    // The original scripts' shape (no counters), with nulls and spaces.
    lines.push(r#" {"id":"task_20260408_163500_4821", "created_at":"2026-04-08T16:35:00Z","run_at":"2026-04-08T18:45:00+02:00","type":"deferred_task","intent":"resume_task","context":{"summary":"s","key_points":[],"artifacts":[],"constraints":[]},"execution":{"mode":"fresh","prompt_template":"s","aura_level":"low","command":null},"status":"scheduled","reorient_requested":false,"reorient":{"requested":false,"project":null,"explicit_context_file":null},"key":null,"retry":null,"result":null,"executor":null} "#.into());
    lines
}

fn agree(line: &str) -> bool {
    agree_bytes(line.as_bytes())
}

fn agree_bytes(bytes: &[u8]) -> bool {
    let line = String::from_utf8_lossy(bytes);
    let fast = read(bytes);
    let full = parse_record(bytes);
    if let Some(f) = &fast {
        let task = full.unwrap_or_else(|e| panic!("fast accepted what Task refuses ({e}): {line}"));
        assert_eq!(f.id, task.id, "{line}");
        assert_eq!(f.status, task.status, "{line}");
        assert_eq!(f.run_at, task.run_at, "{line}");
        assert_eq!(f.archive_stamp, task.archive_stamp(), "{line}");
        assert_eq!(f.key, task.key.as_deref(), "{line}");
    }
    fast.is_some()
}

#[test]
fn every_record_defer_writes_takes_the_fast_path() {
    for line in corpus() {
        assert!(agree(&line), "not read fast: {line}");
    }
}

#[test]
fn truncations_and_deletions_never_pass_for_records() {
    for line in corpus() {
        for (cut, _) in line.char_indices().skip(1) {
            agree(&line[..cut]);
            let mut deleted = line.clone();
            deleted.remove(cut);
            agree(&deleted);
        }
    }
}

/// Targeted mutations: each replaces one exact piece of a record.
#[test]
fn mutations_agree_with_the_full_parse() {
    let swaps: &[(&str, &[&str])] = &[
        (
            r#""attempts":2"#,
            &[
                r#""attempts":02"#,
                r#""attempts":-0"#,
                r#""attempts":-1"#,
                r#""attempts":2.0"#,
                r#""attempts":2e0"#,
                r#""attempts":4294967296"#,
                r#""attempts":"2""#,
                r#""attempts":null"#,
                r#""attempts":true"#,
                r#""attempts" : 2 "#,
            ],
        ),
        (
            r#""status":"completed""#,
            &[
                r#""status":"Completed""#,
                r#""status":{"completed":null}"#,
                r#""status":"complete\u0064""#,
                r#""status":null"#,
                r#""status":"completed","status":"completed""#,
                r#""\u0073tatus":"completed""#,
            ],
        ),
        (
            r#""id":"task_1.a-b""#,
            &[
                r#""id":"-task""#,
                r#""id":"task 1""#,
                r#""id":"task_1\u002ea-b""#,
                r#""id":"""#,
                r#""id":1"#,
                r#""id":"task_1.a-b","id":"other""#,
            ],
        ),
        (
            r#""mode":"fresh""#,
            &[
                r#""mode":{"fresh":null}"#,
                r#""mode":"fresh","mode":"fresh""#,
                r#""mode":"fresh","gpu":true"#,
            ],
        ),
        (
            r#""summary":""#,
            &[
                r#""summary":"\ud83d\ude00 "#,
                r#""summary":"\ud83d "#,
                r#""summary":"\ude00 "#,
                r#""summary":"\u00e9\x "#,
                r#""summary":"\u00g9 "#,
                r#""summary":"\/ "#,
                "\"summary\":\"\u{1} ",
            ],
        ),
        (
            r#""key_points":["a""#,
            &[
                r#""key_points":[1"#,
                r#""key_points":[null"#,
                r#""key_points":["a",,"#,
                r#""key_points":["a",]"#,
            ],
        ),
        (
            r#""created_at":"2026-04-08T16:35:00Z""#,
            &[
                r#""created_at":"2026-04-08T16:35:60Z""#,
                r#""created_at":"2026-02-30T16:35:00Z""#,
                r#""created_at":"2026-04-08 16:35:00Z""#,
                r#""created_at":"2026-04-08T16:35:00.5Z""#,
                r#""created_at":"2026-04-08T16:35:00+01:00""#,
                r#""created_at":null"#,
            ],
        ),
        (
            r#""completed_at":"2026-05-01T00:00:00Z""#,
            &[
                r#""completed_at":null"#,
                r#""completed_at":"2026-05-01T00:00:00""#,
            ],
        ),
        (
            r#""executor":{"pid":42"#,
            &[
                r#""executor":{"pid":-42"#,
                r#""executor":{"pid":42,"pid":42"#,
                r#""executor":{"pgid":42"#,
            ],
        ),
        (
            r#""reorient_requested":true"#,
            &[
                r#""reorient_requested":truex"#,
                r#""reorient_requested":1"#,
                r#""reorient_requested":null"#,
                r#""reorient_requested":true,"owner":"team""#,
            ],
        ),
        (
            r#""result":{"#,
            &[r#""result":null,"r":{"#, r#""result":[{"#],
        ),
        (r#""retry":{"#, &[r#""retry":{"backoff":"fixed","#]),
        (
            r#""reorient_requested":false"#,
            &[
                r#""reorient_requested":false,"owner":"team""#,
                r#""reorient_requested":false,"owner":{"a":[1,-2,true,null,{"b":"\u00e9"}]}"#,
                r#""reorient_requested":false,"owner":"a","owner":"b""#,
                r#""reorient_requested":false,"owner":1e400"#,
                r#""reorient_requested":false,"owner":1.5"#,
                r#""reorient_requested":false,"owner":123456789012345678901"#,
                r#""reorient_requested":false,"owner":-0"#,
                r#""reorient_requested":false,"owner":01"#,
                r#""reorient_requested":false,"owner":"\ud800""#,
                r#""reorient_requested":false,"owner":[1,]"#,
                r#""reorient_requested":false,"owner":{"a"}"#,
                r#""reorient_requested":false,"owner":nul"#,
                r#""reorient_requested":false,"missed_at":"garbage""#,
                r#""reorient_requested":false,"missed_at":"2026-01-01T00:00:00Z""#,
                r#""reorient_requested":false,"series":null"#,
                r#""reorient_requested":false,"history":null"#,
                r#""reorient_requested":false,"history":[]"#,
                r#""reorient_requested":false,"parent_id":7"#,
                r#""reorient_requested":false,"grace_seconds":-1"#,
            ],
        ),
        (
            r#""key":"k-1""#,
            &[r#""key":null"#, r#""key":"k\u002d1""#, r#""key":["k"]"#],
        ),
    ];
    let (mut fast, mut total) = (0, 0);
    for line in corpus() {
        for (from, tos) in swaps {
            if !line.contains(from) {
                continue;
            }
            for to in *tos {
                total += 1;
                fast += usize::from(agree(&line.replacen(from, to, 1)));
            }
        }
        for tail in ["", " ", "\n", "x", "}", ",", "{}", " \r"] {
            total += 1;
            fast += usize::from(agree(&format!("{line}{tail}")));
        }
    }
    assert!(total > 150, "{total}");
    // Some mutations are still records (`2e0` is not, `null` key is): both agree.
    assert!(fast > 0 && fast < total, "{fast} of {total}");
}

#[test]
fn only_keys_task_keeps_as_unknown_fields_are_read_fast() {
    assert!(extra_key("owner"));
    assert!(extra_key("x_unknown"));
    for field in [
        "id",
        "status",
        "context",
        "missed_at",
        "series",
        "history",
        "parent_id",
    ] {
        assert!(!extra_key(field), "{field} is a field of Task");
    }
    let line = corpus()[0].replacen('{', r#"{"owner":{"team":["a",1]},"#, 1);
    assert!(agree(&line), "an unknown field is read fast: {line}");
}

/// Random byte edits from a JSON-ish alphabet, many thousands of them.
#[test]
fn random_edits_agree_with_the_full_parse() {
    let alphabet = br#"{}[]:,"\ 0129aeflnrstuTZ-.+"#;
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let corpus = corpus();
    for _ in 0..20_000 {
        let mut line = corpus[(next() % corpus.len() as u64) as usize]
            .clone()
            .into_bytes();
        for _ in 0..1 + next() % 3 {
            let at = (next() % line.len() as u64) as usize;
            let c = alphabet[(next() % alphabet.len() as u64) as usize];
            match next() % 3 {
                0 => line[at] = c,
                1 => line.insert(at, c),
                _ => {
                    line.remove(at);
                }
            }
        }
        agree_bytes(&line);
    }
}

/// The top-level fields `task::fields` marks `FAST` are read fast, and a record with
/// any other field of `Task` takes the full parse.
#[test]
fn the_registrys_fast_fields_are_read_fast_and_no_others() {
    use crate::task::fields::{tests::every_field_set, FIELDS};
    use serde_json::Value;
    let full = serde_json::to_value(every_field_set()).unwrap();
    let mut fast = full.as_object().unwrap().clone();
    fast.retain(|name, _| TOP.contains(&name.as_str()));
    assert_eq!(fast.len(), TOP.len());
    let line = Value::Object(fast.clone()).to_string();
    assert!(agree(&line), "not read fast: {line}");
    for field in FIELDS.iter().filter(|field| !field.fast()) {
        let mut with = fast.clone();
        with.insert(field.name.into(), full[field.name].clone());
        let line = Value::Object(with).to_string();
        assert!(!agree(&line), "{} is read fast: {line}", field.name);
        assert!(parse_record(line.as_bytes()).is_ok(), "{line}");
    }
}
