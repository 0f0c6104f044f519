//! cron's `%` rule, in one place: writing a command for a crontab and reading one back.
//!
//! crontab(5), as cronie and Vixie cron (Debian's `cron`) apply it to the command
//! field: a `%` ends the command, and the rest of the line is the command's stdin, with
//! each further `%` a newline. A backslash before a `%` makes it a literal `%` and is
//! removed; a backslash before anything else stays, and the character after it is not
//! special (so in `\\%` the first backslash takes the second and the `%` still ends the
//! command). Debian's cron (3.0pl1-162, measured) agrees except that it also turns `\\`
//! into `\` in the command; `escape` never writes `\\`, so a line defer writes means
//! the same to both. The tests hold the measured table.

/// A crontab command field as cron runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// What cron hands to the shell.
    pub command: String,
    /// What the command reads on stdin, when the field has an unescaped `%`.
    pub stdin: Option<String>,
}

/// Splits a command field as cron does.
pub fn read(field: &str) -> Command {
    let mut command = String::new();
    let mut escaped = false;
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if escaped {
            if c == '%' {
                command.pop();
            }
            command.push(c);
            escaped = false;
            continue;
        }
        match c {
            '%' => {
                return Command {
                    command,
                    stdin: Some(stdin(chars.as_str())),
                }
            }
            '\\' => escaped = true,
            _ => {}
        }
        command.push(c);
    }
    Command {
        command,
        stdin: None,
    }
}

/// The part after the first unescaped `%`: `%` is a newline, `\%` a `%`, a backslash
/// before anything else (or at the end) stays; a newline ends it when anything was
/// written and the last character was not one.
fn stdin(rest: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in rest.chars() {
        let c = match (escaped, c) {
            (true, '%') => '%',
            (true, c) => {
                out.push('\\');
                c
            }
            (false, '%') => '\n',
            (false, c) => c,
        };
        escaped = c == '\\';
        if !escaped {
            out.push(c);
        }
    }
    if escaped {
        out.push('\\');
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// `text` (a shell-quoted word) written so that cron hands it to the shell unchanged:
/// each `%` as `\%`. A backslash of the text followed by `%` or by another backslash
/// gets `''` (an empty piece of the single-quoted word it is in) before that character:
/// cron would read `\\%` as an escaped backslash and a bare `%`, and Debian's cron
/// (unlike cronie) turns `\\` into `\`. So no line defer writes holds `\\`, and
/// both daemons hand the shell the same command.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if matches!(c, '%' | '\\') && out.ends_with('\\') {
            out.push_str("''");
        }
        if c == '%' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
