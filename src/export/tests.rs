use super::*;

use serde::Deserialize;
use serde_norway::Value as Yaml;

const RECORD: &str = r#"{"id":"daily-report","created_at":"2026-12-01T08:00:00Z","run_at":"2026-12-07T08:00:00Z","type":"deferred_task","intent":"notify","context":{"summary":"Report \"x\"\n]: {a} %h $HOME","key_points":[],"artifacts":[],"constraints":[]},"execution":{"mode":"fresh","prompt_template":"p","aura_level":"low"},"status":"scheduled","attempts":2,"max_retries":0,"reorient_requested":false,"reorient":{"requested":false,"project":null,"explicit_context_file":null},"last_error":"boom","series":{"id":"daily-report","every":null,"cron":"0 9 * * 1-5","timezone":"Europe/Berlin","until":null,"count":null,"occurrence":3,"missed":"run-once","grace_seconds":600}}"#;

fn task(edit: impl FnOnce(&mut Value)) -> Task {
    let mut value: Value = serde_json::from_str(RECORD).unwrap();
    edit(&mut value);
    serde_json::from_value(value).unwrap()
}

fn target(format: Format) -> Target {
    Target {
        format,
        name: None,
        binary: PathBuf::from("/opt/my tools/defer"),
        settings: vec![("DEFER_RUNTIME_DIR".into(), "/srv/de fer/%i".into())],
        now: DateTime::parse_from_rfc3339("2026-12-04T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
    }
}

/// The lines of one `# ---- file: NAME ----` section of a systemd export.
fn section<'a>(text: &'a str, file: &str) -> Vec<&'a str> {
    let mark = format!("{}{file} ----", systemd::FILE_MARK);
    text.lines()
        .skip_while(|l| *l != mark)
        .skip(1)
        .take_while(|l| !l.starts_with(systemd::FILE_MARK))
        .collect()
}

fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        bits = (bits << 6) | ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

#[test]
fn systemd_export_of_a_cron_series() {
    let text = export(&task(|_| {}), &target(Format::Systemd)).unwrap();
    let timer = section(&text, "defer-daily-report.timer");
    assert!(timer.contains(&"OnCalendar=Mon..Fri *-*-* 09:00:00 Europe/Berlin"));
    assert!(timer.contains(&"Persistent=true"));
    assert!(timer.contains(&"AccuracySec=1s"));
    assert!(timer.contains(&"Unit=defer-daily-report.service"));
    let service = section(&text, "defer-daily-report.service");
    assert!(service.contains(&r#"ExecStart="/opt/my tools/defer" execute --compact"#));
    assert!(service.contains(&r#"Environment="DEFER_RUNTIME_DIR=/srv/de fer/%%i""#));
    // Every line is a section, a Key=value, a comment or blank: the record's newline,
    // quotes and brackets never reach the unit's syntax.
    for line in service.iter().chain(timer.iter()) {
        assert!(
            line.is_empty()
                || line.starts_with('#')
                || (line.starts_with('[') && line.ends_with(']'))
                || line
                    .split_once('=')
                    .is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_alphanumeric())),
            "{line}"
        );
    }
    let data: String = service
        .iter()
        .filter_map(|l| l.strip_prefix("StandardInputData="))
        .collect();
    let json: Value = serde_json::from_slice(&decode_base64(&data)).unwrap();
    assert_eq!(json["context"]["summary"], "Report \"x\"\n]: {a} %h $HOME");
    assert_eq!(json["status"], "scheduled");
    assert_eq!(json["attempts"], 0);
    assert!(json.get("series").is_none() && json.get("last_error").is_none());
    assert!(text.ends_with("#   defer cancel daily-report\n"), "{text}");
}

#[test]
fn kubernetes_export_of_a_cron_series_parses_field_by_field() {
    let text = export(&task(|_| {}), &target(Format::Kubernetes)).unwrap();
    let docs: Vec<Yaml> = serde_norway::Deserializer::from_str(&text)
        .map(|d| Yaml::deserialize(d).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    let (map, job) = (&docs[0], &docs[1]);
    assert_eq!(map["kind"], "ConfigMap");
    assert_eq!(map["metadata"]["name"], "defer-daily-report-task");
    let json: Value = serde_json::from_str(map["data"]["task.json"].as_str().unwrap()).unwrap();
    assert_eq!(json["context"]["summary"], "Report \"x\"\n]: {a} %h $HOME");
    assert!(json.get("series").is_none());
    assert_eq!(job["apiVersion"], "batch/v1");
    assert_eq!(job["kind"], "CronJob");
    assert_eq!(job["metadata"]["name"], "defer-daily-report");
    let spec = &job["spec"];
    assert_eq!(spec["schedule"], "0 9 * * 1-5");
    assert_eq!(spec["timeZone"], "Europe/Berlin");
    assert_eq!(spec["concurrencyPolicy"], "Forbid");
    assert!(spec.get("startingDeadlineSeconds").is_none()); // run-once: catch up
    let pod = &spec["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let container = &pod["containers"][0];
    assert_eq!(
        container["command"][2],
        "exec defer execute --compact < /etc/defer/task.json"
    );
    assert_eq!(container["volumeMounts"][0]["mountPath"], "/etc/defer");
    assert_eq!(
        pod["volumes"][0]["configMap"]["name"],
        "defer-daily-report-task"
    );
    assert!(text.ends_with("#   defer cancel daily-report\n"));
}

#[test]
fn skip_policy_maps_to_no_catch_up_and_the_grace_deadline() {
    let skip = task(|v| {
        v["series"]["missed"] = "skip".into();
        v["series"]["grace_seconds"] = 120.into();
    });
    let text = export(&skip, &target(Format::Systemd)).unwrap();
    assert!(text.contains("\nPersistent=false\n"));
    let text = export(&skip, &target(Format::Kubernetes)).unwrap();
    let docs: Vec<Yaml> = serde_norway::Deserializer::from_str(&text)
        .map(|d| Yaml::deserialize(d).unwrap())
        .collect();
    assert_eq!(docs[1]["spec"]["startingDeadlineSeconds"], 120);
}

#[test]
fn an_interval_series_is_exported_in_utc_from_its_run_at() {
    let every = task(|v| {
        v["series"]["cron"] = Value::Null;
        v["series"]["every"] = "15m".into();
        v["run_at"] = "2026-12-04T10:07:00Z".into();
    });
    let text = export(&every, &target(Format::Systemd)).unwrap();
    assert!(
        text.contains("\nOnCalendar=*-*-* *:07/15:00 UTC\n"),
        "{text}"
    );
    let text = export(&every, &target(Format::Kubernetes)).unwrap();
    assert!(text.contains("  schedule: \"7,22,37,52 * * * *\"\n  timeZone: \"Etc/UTC\"\n"));
    let drifting = task(|v| {
        v["series"]["cron"] = Value::Null;
        v["series"]["every"] = "11m".into();
    });
    let err = export(&drifting, &target(Format::Systemd)).unwrap_err();
    assert!(
        err.contains("interval '11m' divides no hour, day or week"),
        "{err}"
    );
}

#[test]
fn what_a_target_cannot_do_is_refused_in_one_line() {
    let cases: Vec<(Task, Format, &str)> = vec![
        (
            task(|v| v["series"]["missed"] = "all".into()),
            Format::Systemd,
            "policy 'all'",
        ),
        (
            task(|v| v["series"]["count"] = 5.into()),
            Format::Kubernetes,
            "--count 5",
        ),
        (
            task(|v| v["series"]["until"] = "2027-01-01T00:00:00Z".into()),
            Format::Systemd,
            "--until 2027-01-01T00:00:00Z",
        ),
        (
            task(|v| v["status"] = "completed".into()),
            Format::Systemd,
            "its status is completed",
        ),
        (
            task(|v| v["series"]["timezone"] = "Europe/Berlin\nExecStart=/bin/evil".into()),
            Format::Systemd,
            "has a schedule defer cannot read: unknown time zone",
        ),
        (
            task(|v| {
                v.as_object_mut()
                    .unwrap()
                    .remove("series")
                    .map(|_| ())
                    .unwrap()
            }),
            Format::Kubernetes,
            "a Kubernetes CronJob only repeats",
        ),
    ];
    for (task, format, why) in cases {
        let err = export(&task, &target(format)).unwrap_err();
        assert!(err.contains(why), "{why}: {err}");
        assert!(!err.contains('\n'), "{err}");
    }
}

#[test]
fn a_one_shot_task_is_a_timer_at_its_instant() {
    let once = task(|v| {
        v.as_object_mut().unwrap().remove("series");
        v["missed"] = "skip".into();
    });
    let text = export(&once, &target(Format::Systemd)).unwrap();
    let timer = section(&text, "defer-daily-report.timer");
    assert!(timer.contains(&"OnCalendar=2026-12-07 08:00:00 UTC"));
    assert!(timer.contains(&"Persistent=false"));
    assert!(text.contains("or the task runs twice"));
}

#[test]
fn names_default_from_the_id_and_are_checked() {
    assert_eq!(
        default_name("Task_2026.1", Format::Kubernetes),
        "defer-task-2026-1"
    );
    assert_eq!(
        default_name("Task_2026.1", Format::Systemd),
        "defer-Task_2026.1"
    );
    assert_eq!(default_name(&"a".repeat(128), Format::Kubernetes).len(), 52);
    assert!(check_name("Bad_Name", Format::Kubernetes).is_err());
    assert!(check_name("ok-name", Format::Kubernetes).is_ok());
    assert!(check_name("../x", Format::Systemd)
        .unwrap_err()
        .contains("invalid --name"));
    let mut t = target(Format::Systemd);
    t.name = Some("reports".into());
    let text = export(&task(|_| {}), &t).unwrap();
    assert!(text.contains("# ---- file: reports.timer ----\n"));
}

#[test]
fn the_pending_run_must_be_one_the_export_makes() {
    // A one-shot task whose time has passed: a timer would never fire.
    let past = task(|v| {
        v.as_object_mut().unwrap().remove("series");
        v["run_at"] = "2026-12-01T08:00:00Z".into();
    });
    let err = export(&past, &target(Format::Systemd)).unwrap_err();
    assert!(
        err.contains("was due at 2026-12-01T08:00:00Z, which has passed"),
        "{err}"
    );
    // A cron series whose next occurrence was set off its calendar (--when).
    let off = task(|v| v["run_at"] = "2026-12-07T08:30:00Z".into());
    let err = export(&off, &target(Format::Kubernetes)).unwrap_err();
    assert!(err.contains("is not a fire of cron '0 9 * * 1-5'"), "{err}");
    // An overdue occurrence (run_at passed) exports: the calendar goes on.
    let late = task(|v| v["run_at"] = "2026-12-03T08:00:00Z".into());
    assert!(export(&late, &target(Format::Systemd)).is_ok());
}

#[test]
fn retries_become_the_jobs_backoff_limit_and_a_huge_task_is_refused() {
    let retried = task(|v| v["max_retries"] = 3.into());
    let text = export(&retried, &target(Format::Kubernetes)).unwrap();
    let docs: Vec<Yaml> = serde_norway::Deserializer::from_str(&text)
        .map(|d| Yaml::deserialize(d).unwrap())
        .collect();
    assert_eq!(docs[1]["spec"]["jobTemplate"]["spec"]["backoffLimit"], 3);
    let huge = task(|v| v["context"]["summary"] = "x".repeat(1024 * 1024).into());
    let err = export(&huge, &target(Format::Kubernetes)).unwrap_err();
    assert!(err.contains("a ConfigMap holds at most 1 MiB"), "{err}");
    // systemd takes it (StandardInputData= holds up to 64 MiB).
    assert!(export(&huge, &target(Format::Systemd)).is_ok());
}

#[test]
fn what_describes_one_run_is_not_exported() {
    let record = serde_json::json!({
        "id": "t1", "status": "waiting", "attempts": 2, "question": "Which branch?",
        "waiting_since": "2026-12-01T09:00:00Z", "found_due_at": "2026-12-01T09:00:00Z",
        "deferrals": 3, "lane": "repo", "summary_kept": true,
    });
    let json: Value = serde_json::from_str(&run_json(record)).unwrap();
    for gone in ["question", "waiting_since", "found_due_at", "deferrals"] {
        assert!(json.get(gone).is_none(), "{gone} exported: {json}");
    }
    assert_eq!(json["status"], "scheduled");
    assert_eq!(json["attempts"], 0);
    assert_eq!(json["lane"], "repo", "the task's own fields stay");
}
