//! `schedule --key`: idempotent even when many processes schedule the same key at once.

use std::process::Stdio;

use crate::support::Env;

#[test]
fn concurrent_schedules_with_one_key_store_one_task() {
    let env = Env::new();
    let children: Vec<_> = (0..8)
        .map(|i| {
            let summary = format!("attempt {i}");
            env.cmd(&[
                "schedule",
                "--when",
                "10m",
                "--summary",
                &summary,
                "--key",
                "build-42",
                "--compact",
            ])
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut ids = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(record["key"], "build-42");
        ids.push(record["id"].as_str().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(env.records().len(), 1);
    assert_eq!(env.list_all()[0]["id"], ids[0].as_str());
}
