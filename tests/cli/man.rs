//! `defer man` (SPEC §14): the main page's sections, one page per command it names,
//! and `--help` saying what `--mode` and `--aura-level` mean.

use crate::support::Env;

const SECTIONS: &[&str] = &[
    ".SH NAME",
    ".SH SYNOPSIS",
    ".SH DESCRIPTION",
    ".SH COMMANDS",
    ".SH \"TIME EXPRESSIONS\"",
    ".SH ENVIRONMENT",
    ".SH FILES",
    ".SH \"EXIT STATUS\"",
    ".SH EXAMPLES",
];

/// The `defer-<name>(1)` references in a roff page (roff writes `-` as `\-`).
fn references(page: &str) -> Vec<String> {
    let text = page.replace("\\-", "-");
    let mut refs: Vec<String> = text
        .match_indices("defer-")
        .filter_map(|(at, _)| {
            let rest = &text[at..];
            let end = rest.find("(1)")?;
            let name = &rest[..end];
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c == '-')
                .then(|| name.to_string())
        })
        .collect();
    refs.sort();
    refs.dedup();
    refs
}

#[test]
fn the_main_page_has_every_section_in_order() {
    let env = Env::new();
    let page = env.cmd(&["man"]).success().stdout;
    let positions: Vec<usize> = SECTIONS
        .iter()
        .map(|s| page.find(s).unwrap_or_else(|| panic!("no {s} in the page")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    for var in ["DEFER_RUNTIME_DIR", "DEFER_RUNNER_CHECK", "DEFER_EXECUTOR"] {
        assert!(page.contains(var), "{var}");
    }
    assert!(page.contains("deferred.jsonl.run.lock"));
    assert!(page.contains("tomorrow 9am"));
}

#[test]
fn every_page_the_main_page_names_exists() {
    let env = Env::new();
    let page = env.cmd(&["man"]).success().stdout;
    let refs = references(&page);
    assert!(refs.len() >= 15, "{refs:?}");
    for name in refs {
        let words: Vec<&str> = name.trim_start_matches("defer-").split('-').collect();
        let mut args = vec!["man"];
        args.extend(&words);
        let sub = env.cmd(&args).success().stdout;
        assert!(
            sub.contains(&format!(".TH {name} 1")),
            "defer man {}: {}",
            words.join(" "),
            &sub[..sub.len().min(300)]
        );
        assert!(sub.contains(".SH SYNOPSIS"), "{name}");
        // Sub-pages name their own sub-commands (skill install, skill print) too.
        for nested in references(&sub)
            .into_iter()
            .filter(|r| r.starts_with(&format!("{name}-")))
        {
            let mut args = vec!["man".to_string()];
            args.extend(
                nested
                    .trim_start_matches("defer-")
                    .split('-')
                    .map(String::from),
            );
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            env.cmd(&args).success();
        }
    }
}

#[test]
fn the_schedule_page_has_its_options_and_time_table() {
    let env = Env::new();
    let page = env.cmd(&["man", "schedule"]).success().stdout;
    assert!(page.contains(".SH OPTIONS"));
    assert!(page.contains("aura\\-level"));
    assert!(page.contains("next friday"), "after_help goes to NOTES");
}

#[test]
fn an_unknown_page_is_one_error_line() {
    let env = Env::new();
    let out = env.cmd(&["man", "bogus"]).failure(1);
    let line = out.error_line();
    assert!(
        line.contains("'bogus'") && line.contains("schedule"),
        "{line}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn help_says_what_mode_and_aura_level_mean() {
    let env = Env::new();
    let help = env.cmd(&["schedule", "--help"]).success().stdout;
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("--mode <MODE> How the executor should run the task: fresh"),
        "{flat}"
    );
    assert!(
        flat.contains("--aura-level <AURA_LEVEL> How much attention the run deserves"),
        "{flat}"
    );
    assert_eq!(
        flat.matches("defer itself does not act on it").count(),
        2,
        "{flat}"
    );
}
