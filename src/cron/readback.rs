//! Reading back a crontab line: its schedule, the `NAME=value` assignments before the
//! command, the program and its arguments, as cron and `sh` would see them (cron's `%`
//! rule is `cron::percent`'s; `sh` handles the quotes).

/// One crontab command line, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CronLine {
    pub schedule: String,
    pub assignments: Vec<(String, String)>,
    pub program: String,
    pub args: Vec<String>,
}

/// `None` for a line that is not a job (blank, comment, `NAME=value` setting) or
/// whose quoting does not close.
pub(crate) fn parse(line: &str) -> Option<CronLine> {
    let line = line.trim_start();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (schedule, command) = split_schedule(line)?;
    let words = shell_words(&crate::cron::percent::read(command).command)?;
    let mut words = words.into_iter().peekable();
    let mut assignments = Vec::new();
    while let Some((name, value)) = words.peek().and_then(|w| assignment(w)) {
        assignments.push((name, value));
        words.next();
    }
    let program = words.next()?;
    Some(CronLine {
        schedule,
        assignments,
        program,
        args: words.collect(),
    })
}

/// The five time fields (or an `@daily`-style word) and the rest.
fn split_schedule(line: &str) -> Option<(String, &str)> {
    let fields = if line.starts_with('@') { 1 } else { 5 };
    let mut rest = line;
    let mut taken = Vec::new();
    for _ in 0..fields {
        let word_end = rest.find(char::is_whitespace)?;
        taken.push(&rest[..word_end]);
        rest = rest[word_end..].trim_start();
    }
    // A crontab `NAME = value` setting has `=` as its second word.
    if taken.first().is_some_and(|w| w.contains('=')) || taken.get(1) == Some(&"=") {
        return None;
    }
    Some((taken.join(" "), rest))
}

/// `sh` word splitting for the quoting `defer cron` writes (and the usual hand-written
/// forms): single quotes, double quotes with `\` escapes, `\` outside quotes, and a
/// `#` comment at the start of a word. `None` when a quote is left open.
fn shell_words(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '#' if word.is_none() => break,
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('$' | '`' | '"' | '\\') => w.push(c),
                            '\n' => {}
                            c => {
                                w.push('\\');
                                w.push(c);
                            }
                        },
                        c => w.push(c),
                    }
                }
            }
            '\\' => {
                if let Some(c) = chars.next() {
                    word.get_or_insert_with(String::new).push(c);
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Some(words)
}

/// `NAME=value` with a shell variable name.
fn assignment(word: &str) -> Option<(String, String)> {
    let (name, value) = word.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    let valid = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| (name.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cron;
    use std::path::Path;

    #[test]
    fn reads_back_what_defer_cron_writes() {
        let settings = vec![
            (
                "DEFER_EXECUTOR".to_string(),
                "/opt/my agent/run".to_string(),
            ),
            (
                "DEFER_RUNTIME_DIR".to_string(),
                "/home/u/it's 50%".to_string(),
            ),
            ("PATH".to_string(), "/usr/bin:/bin".to_string()),
        ];
        let line = cron::line(Path::new("/opt/my bin/defer"), &settings).unwrap();
        let parsed = parse(&line).unwrap();
        assert_eq!(parsed.schedule, "* * * * *");
        assert_eq!(parsed.assignments, settings);
        assert_eq!(parsed.program, "/opt/my bin/defer");
        assert_eq!(parsed.args, ["run"]);
    }

    #[test]
    fn hand_written_forms() {
        let parsed = parse(r#"@hourly A="x \"y\"" B=z\ w /bin/defer run  # note"#).unwrap();
        assert_eq!(parsed.schedule, "@hourly");
        assert_eq!(
            parsed.assignments,
            [("A".into(), "x \"y\"".into()), ("B".into(), "z w".into())]
        );
        assert_eq!(parsed.program, "/bin/defer");
        assert_eq!(parsed.args, ["run"]);
        // A bare % ends the command (the rest is stdin).
        assert_eq!(parse("* * * * * /bin/echo a%b").unwrap().args, ["a"]);
        // cron's rule (cron::percent): in `\\%` the backslashes pair up and the `%`
        // still ends the command; `\%` alone is a literal `%`.
        assert_eq!(parse(r"* * * * * /bin/echo a\\%b").unwrap().args, [r"a\"]);
        assert_eq!(parse(r"* * * * * /bin/echo 'a\%b'").unwrap().args, ["a%b"]);
    }

    #[test]
    fn not_jobs() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("# * * * * * x"), None);
        assert_eq!(parse("MAILTO=me"), None);
        assert_eq!(parse("SHELL = /bin/sh"), None);
        assert_eq!(parse("* * * * * 'open quote"), None);
        assert_eq!(parse("* * * *"), None);
    }
}
