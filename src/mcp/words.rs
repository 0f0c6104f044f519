//! CLI help turned into MCP words: a model passes arguments, not flags, so a help text
//! read off clap names `--max-retries` as `max_retries` and drops what only a shell
//! user needs to know.

/// Remarks that only make sense on a command line.
const SHELL_ONLY: &[(&str, &str)] = &[
    (" (several words may be given unquoted)", ""),
    ("(repeatable; ", "("),
    (" (repeatable)", ""),
    ("print that task", "return that task"),
    ("Print the", "Return the"),
];

/// `text` with every `--long-option` written as the argument that carries it: its name
/// in `names` (`(long, argument)` pairs, `long` without dashes), else the option in
/// snake_case; shell-only remarks removed.
pub fn mcp_words(text: &str, names: &[(String, String)]) -> String {
    let mut text = text.to_string();
    for (from, to) in SHELL_ONLY {
        text = text.replace(from, to);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("--") {
        let after = &rest[start + 2..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(after.len());
        let long = after[..len].trim_end_matches('-');
        out.push_str(&rest[..start]);
        if !long.starts_with(|c: char| c.is_ascii_lowercase()) {
            out.push_str("--");
            rest = after;
            continue;
        }
        let name = names
            .iter()
            .find(|(l, _)| l == long)
            .map_or_else(|| long.replace('-', "_"), |(_, name)| name.clone());
        out.push_str(&name);
        rest = &after[long.len()..];
    }
    out.push_str(rest);
    out
}

/// True when `text` still speaks in flags (`--name`).
#[cfg(test)]
pub fn has_flags(text: &str) -> bool {
    text.match_indices("--")
        .any(|(i, _)| text[i + 2..].starts_with(|c: char| c.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_argument_names() {
        let names = vec![("key-point".to_string(), "key_points".to_string())];
        assert_eq!(
            mcp_words(
                "A fact (repeatable); see --key-point and --max-retries.",
                &names
            ),
            "A fact; see key_points and max_retries."
        );
        assert_eq!(
            mcp_words("(with --every/--cron: the first)", &[]),
            "(with every/cron: the first)"
        );
        assert_eq!(
            mcp_words(
                "The expression, e.g. \"tomorrow 9am\" (several words may be given unquoted)",
                &[]
            ),
            "The expression, e.g. \"tomorrow 9am\""
        );
        assert_eq!(
            mcp_words("Show this status (repeatable; default: all)", &[]),
            "Show this status (default: all)"
        );
        assert_eq!(mcp_words("a -- b --", &[]), "a -- b --");
        assert!(has_flags("use --replace"));
        assert!(!has_flags("a -- b, -1"));
    }
}
