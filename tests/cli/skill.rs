//! `defer skill install|print`: the embedded skills, written idempotently.

use std::fs;
use std::path::Path;

use crate::support::Env;

fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        match path.is_dir() {
            true => found.extend(files_under(&path)),
            false => found.push(path.display().to_string()),
        }
    }
    found.sort();
    found
}

#[test]
fn print_shows_the_skill_with_front_matter() {
    let env = Env::new();
    let out = env.cmd(&["skill", "print"]).success();
    assert!(
        out.stdout.starts_with("---\nname: defer\ndescription: "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("--compact"));
    assert!(out.stdout.contains("defer when"));
}

#[test]
fn install_into_home_twice_is_idempotent() {
    let env = Env::new();
    let skill = env.cmd(&["skill", "print"]).success().stdout;
    let out = env.cmd(&["skill", "install", "--compact"]).success();
    let report = out.json();
    let defer = env.home().join(".claude/skills/defer/SKILL.md");
    let reorient = env.home().join(".claude/skills/defer-reorient/SKILL.md");
    assert_eq!(report[0]["path"], defer.display().to_string());
    assert_eq!(report[0]["action"], "created");
    assert_eq!(report[1]["path"], reorient.display().to_string());
    assert_eq!(fs::read_to_string(&defer).unwrap(), skill);
    let reorient_text = fs::read_to_string(&reorient).unwrap();
    assert!(reorient_text.contains("name: defer-reorient"));
    let before = files_under(&env.home());

    let out = env.cmd(&["skill", "install", "--compact"]).success();
    for item in out.json().as_array().unwrap() {
        assert_eq!(item["action"], "unchanged");
    }
    assert_eq!(files_under(&env.home()), before);
    assert_eq!(fs::read_to_string(&defer).unwrap(), skill);
    assert_eq!(fs::read_to_string(&reorient).unwrap(), reorient_text);

    fs::write(&defer, "stale").unwrap();
    let out = env.cmd(&["skill", "install", "--compact"]).success();
    assert_eq!(out.json()[0]["action"], "updated");
    assert_eq!(fs::read_to_string(&defer).unwrap(), skill);
}

#[test]
fn install_into_a_dir() {
    let env = Env::new();
    let dir = env.root().join("agent/skills/defer");
    let arg = dir.display().to_string();
    env.cmd(&["skill", "install", "--dir", &arg]).success();
    let skill = env.cmd(&["skill", "print"]).success().stdout;
    assert_eq!(fs::read_to_string(dir.join("SKILL.md")).unwrap(), skill);
    assert!(dir.join("reorient/SKILL.md").is_file());
    assert_eq!(files_under(&dir).len(), 2);
    assert!(!env.home().join(".claude").exists());
}
