use std::collections::BTreeSet;
use std::path::Path;

use super::*;
use crate::config::Env;

#[test]
fn names_are_unique_and_settings_are_defer_variables() {
    let names: BTreeSet<&str> = VARS.iter().map(|var| var.name).collect();
    assert_eq!(names.len(), VARS.len());
    for var in VARS {
        let defer = var.name.starts_with("DEFER_");
        assert_eq!(defer, var.role != Role::System, "{}", var.name);
        assert!(
            !var.meaning.is_empty() && !var.meaning.contains('\n'),
            "{}",
            var.name
        );
    }
}

#[test]
fn known_vars_are_the_settings_in_order() {
    let settings: Vec<&str> = settings().map(|var| var.name).collect();
    assert_eq!(settings, KNOWN_VARS);
    assert_eq!(KNOWN_VARS.first(), Some(&"DEFER_RUNTIME_DIR"));
    // The settings come first: the man page's order is the table's.
    assert!(VARS[..KNOWN_VARS.len()]
        .iter()
        .all(|v| v.role == Role::Setting));
}

#[test]
fn the_crontab_line_bakes_the_settings_and_path_only() {
    let baked: Vec<&str> = VARS.iter().filter(|v| v.cron).map(|v| v.name).collect();
    let mut expected = KNOWN_VARS.to_vec();
    expected.push("PATH");
    assert_eq!(baked, expected);
    // Every variable set, each to an absolute path: exactly those come back.
    let all: Vec<(&str, &str)> = VARS.iter().map(|v| (v.name, "/x")).collect();
    let kept = crate::cron::settings(all, Path::new("/")).unwrap();
    let mut kept: Vec<&str> = kept.iter().map(|(name, _)| name.as_str()).collect();
    expected.sort();
    kept.sort();
    assert_eq!(kept, expected);
}

#[test]
fn printed_defaults_are_the_getters_defaults() {
    let env = Env::default();
    for var in VARS {
        match var.kind {
            Kind::Seconds { default, max } => {
                assert_eq!(var.default, default.to_string(), "{}", var.name);
                assert_eq!(max, MAX_SECONDS);
            }
            Kind::Count { default, min, max } => {
                assert_eq!(var.default, default.to_string(), "{}", var.name);
                let bounds = format!("({min}-{max})");
                assert!(var.meaning.ends_with(&bounds), "{}", var.name);
            }
            _ => {}
        }
    }
    assert_eq!(env.retry_delay().unwrap().as_secs(), 60);
    assert_eq!(env.executor_timeout().unwrap().unwrap().as_secs(), 3600);
    assert_eq!(env.grace_seconds().unwrap(), 600);
    assert_eq!(env.lane_limits().unwrap().total as u64, 4);
    assert!(env.runner_check().unwrap());
    assert!(!env.allow_network_fs().unwrap());
}

/// `Env::problems` (so `validate`, every command and doctor's `settings` row) checks
/// exactly the variables the table says it checks, each naming itself.
#[test]
fn the_checks_are_the_tables() {
    for var in VARS {
        let env = Env::from_pairs([(var.name, "x\ny")]);
        let problems: Vec<String> = env.problems().iter().map(|e| format!("{e:#}")).collect();
        match var.checked() {
            true => {
                assert_eq!(problems.len(), 1, "{}: {problems:?}", var.name);
                assert!(problems[0].contains(var.name), "{problems:?}");
            }
            false => assert!(problems.is_empty(), "{}: {problems:?}", var.name),
        }
    }
}

#[test]
fn hooks_are_the_hook_settings() {
    for var in VARS {
        let hook = var.role == Role::Setting && var.kind == Kind::Hook;
        assert_eq!(crate::config::is_hook_var(var.name), hook, "{}", var.name);
        assert_eq!(hook, var.name.starts_with("DEFER_ON_"), "{}", var.name);
    }
}

/// Every `"DEFER_..."` name in the code under `src/` (tests left out, as
/// `scripts/structure.py` leaves them out) is in the table: a variable read or set
/// anywhere is documented, checked and baked as the table says.
#[test]
fn every_defer_variable_in_src_is_registered() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeSet::new();
    let mut files = 0;
    for file in rust_files(&root) {
        let text = std::fs::read_to_string(&file).unwrap();
        files += 1;
        for name in defer_names(&non_test(&text)) {
            found.insert((
                name,
                file.strip_prefix(&root).unwrap().display().to_string(),
            ));
        }
    }
    assert!(files > 50, "{files} files under {}", root.display());
    let missing: Vec<String> = found
        .iter()
        .filter(|(name, _)| find(name).is_none())
        .map(|(name, file)| format!("{name} ({file})"))
        .collect();
    assert!(missing.is_empty(), "not in config::vars::VARS: {missing:?}");
    let names: BTreeSet<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
    for expected in ["DEFER_TASK_ID", "DEFER_REPORT_PATH", "DEFER_LANES"] {
        assert!(names.contains(expected), "the scan missed {expected}");
    }
}

#[test]
fn the_scan_finds_whole_names_only() {
    let text = r#"env.get("DEFER_X_Y"); "DEFER_ON_"; "DEFER_"; "xDEFER_Z"; "DEFER_low""#;
    assert_eq!(defer_names(text), ["DEFER_X_Y"]);
    let text = "a(\"DEFER_A\");\n#[cfg(test)]\nmod tests;\nb(\"DEFER_B\");\n#[cfg(test)]\nmod t {\n\"DEFER_C\"\n}\n";
    assert_eq!(defer_names(&non_test(text)), ["DEFER_A", "DEFER_B"]);
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "tests" {
                out.extend(rust_files(&path));
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(path);
        }
    }
    out
}

/// The text before the first `#[cfg(test)]` item, skipping `#[cfg(test)] mod x;` lines.
fn non_test(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            let next = lines.peek().map(|l| l.trim()).unwrap_or_default();
            if next.starts_with("mod ") && next.ends_with(';') {
                lines.next();
                continue;
            }
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Each string literal `"DEFER_[A-Z_]+"` not ending in `_` (a prefix), in order.
fn defer_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("\"DEFER_") {
        let rest = &text[at + 1..];
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || *b == b'_')
            .count();
        let name = &rest[..len];
        if rest[len..].starts_with('"') && !name.ends_with('_') {
            out.push(name.to_string());
        }
    }
    out
}
