use std::cell::RefCell;
use std::rc::Rc;

use chrono::{TimeZone, Utc};

use super::*;
use crate::config::Env;
use crate::task::Intent;

/// A context over a fresh runtime dir whose warnings are collected.
fn ctx(dir: &std::path::Path, front: Front) -> (Ctx, Rc<RefCell<Vec<Warning>>>) {
    let env = Env::from_pairs([
        ("DEFER_TIMEZONE", "UTC"),
        ("DEFER_RUNTIME_DIR", dir.to_str().unwrap()),
        ("HOME", dir.to_str().unwrap()),
        ("DEFER_RUNNER_CHECK", "0"),
    ]);
    let said: Rc<RefCell<Vec<Warning>>> = Rc::default();
    let sink = Rc::clone(&said);
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
    let channel = Box::new(move |w: &Warning| sink.borrow_mut().push(w.clone()));
    (Ctx::new(env, now, front, channel), said)
}

fn request(when: &str, key: &str) -> schedule::Request {
    schedule::Request {
        task: crate::schedule::Request {
            when: Some(when.into()),
            summary: Some("s".into()),
            intent: Intent::Notify,
            key: Some(key.into()),
            ..Default::default()
        },
        parent: None,
        no_parent: true,
        answer_timeout: None,
        budget: None,
        dry_run: false,
    }
}

#[test]
fn warnings_are_data_and_name_options_as_the_front_end_spells_them() {
    let dir = tempfile::tempdir().unwrap();
    for (front, replace) in [(Front::Cli, "--replace"), (Front::Mcp, "replace")] {
        let (ctx, said) = ctx(dir.path(), front);
        let key = format!("{front:?}");
        let first = schedule::schedule(&ctx, request("1h", &key)).unwrap();
        assert!(
            first.stored && said.borrow().is_empty(),
            "{:?}",
            said.borrow()
        );
        let again = schedule::schedule(&ctx, request("2h", &key)).unwrap();
        assert!(!again.stored);
        assert_eq!(again.task.id, first.task.id);
        let said = said.borrow();
        assert_eq!(said.len(), 1, "{said:?}");
        assert_eq!(said[0].level, Level::Warning);
        assert!(
            said[0]
                .text
                .ends_with(&format!("nothing to store ({replace} replaces it)")),
            "{}",
            said[0].text
        );
    }
}

#[test]
fn a_warning_said_before_an_error_still_reaches_the_channel() {
    let dir = tempfile::tempdir().unwrap();
    let (ctx, said) = ctx(dir.path(), Front::Cli);
    schedule::schedule(&ctx, request("1h", "k")).unwrap();
    let store = ctx.paths().unwrap().tasks_file;
    let mut text = std::fs::read_to_string(&store).unwrap();
    text.push_str("not a record\n");
    std::fs::write(&store, text).unwrap();
    let missing = cancel::Request {
        selector: crate::selector::Selector::Id("nope".into()),
        reason: None,
        occurrence: false,
    };
    let err = cancel::cancel(&ctx, missing).unwrap_err();
    assert!(format!("{err:#}").contains("nope"), "{err:#}");
    let said = said.borrow();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].text.contains("not a valid task record"),
        "{}",
        said[0].text
    );
}
