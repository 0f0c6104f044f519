//! The crontab line that runs `defer run` every minute, and editing a crontab's text to
//! add, replace or remove it. Pure: reading and writing the user's crontab is
//! `crontab.rs`; finding the binary and the environment is the CLI's job.

use std::path::Path;

/// Ends our line, so we can find it again: `... run # defer-runner`.
pub const MARKER: &str = "# defer-runner";

/// Variables whose value is a path: made absolute, since cron starts jobs in `$HOME`.
const PATH_VARS: &[&str] = &[
    "DEFER_RUNTIME_DIR",
    "DEFER_TASKS_FILE",
    "DEFER_ARCHIVE_DIR",
    "DEFER_LOG_DIR",
    "DEFER_LOG_FILE",
    "DEFER_CONTEXT_FILE",
    "DEFER_EXECUTOR",
];

/// The settings to bake into the line from `vars` (name, value): every non-empty
/// `DEFER_*` variable plus `PATH` (cron's default PATH is `/usr/bin:/bin`, and a bare
/// `DEFER_EXECUTOR` name is searched on it), sorted by name. Relative paths are joined
/// to `cwd`; a bare executor name (no `/`) is kept as is.
pub fn settings<'a>(
    vars: impl IntoIterator<Item = (&'a str, &'a str)>,
    cwd: &Path,
) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(name, value)| {
            (name.starts_with("DEFER_") || *name == "PATH") && !value.is_empty()
        })
        .map(|(name, value)| match name {
            "PATH" => (name.to_string(), unique_dirs(value)),
            _ => (name.to_string(), absolute(name, value, cwd)),
        })
        .collect();
    kept.sort();
    kept.dedup_by(|a, b| a.0 == b.0);
    kept
}

/// A `PATH` with each directory once, first occurrence kept, empty entries dropped.
fn unique_dirs(path: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    path.split(':')
        .filter(|dir| !dir.is_empty() && seen.insert(*dir))
        .collect::<Vec<_>>()
        .join(":")
}

fn absolute(name: &str, value: &str, cwd: &Path) -> String {
    let is_path = PATH_VARS.contains(&name);
    let bare_command = name == "DEFER_EXECUTOR" && !value.contains('/');
    if !is_path || bare_command || Path::new(value).is_absolute() {
        return value.to_string();
    }
    cwd.join(value).display().to_string()
}

/// `* * * * * NAME='value' ... '/abs/defer' run # defer-runner`.
pub fn line(bin: &Path, settings: &[(String, String)]) -> String {
    let mut words = vec!["* * * * *".to_string()];
    words.extend(
        settings
            .iter()
            .map(|(name, value)| format!("{name}={}", quote(value))),
    );
    words.push(quote(&bin.display().to_string()));
    words.push("run".to_string());
    words.push(MARKER.to_string());
    words.join(" ")
}

/// Shell-quotes a word for `sh` (plain words stay bare) and escapes `%`, which cron
/// would otherwise turn into a newline.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:,=@".contains(&b));
    let quoted = match plain {
        true => word.to_string(),
        false => format!("'{}'", word.replace('\'', r"'\''")),
    };
    quoted.replace('%', r"\%")
}

/// True for a crontab line this program wrote.
pub fn is_ours(line: &str) -> bool {
    let line = line.trim_end();
    !line.trim_start().starts_with('#') && line.ends_with(MARKER)
}

/// `existing` with our line in it: a marked line is replaced in place (further marked
/// lines are dropped), else `line` is appended. Other lines are kept as they are.
pub fn install(existing: &str, line: &str) -> String {
    let mut out = Vec::new();
    let mut placed = false;
    for current in existing.lines() {
        match (is_ours(current), placed) {
            (false, _) => out.push(current),
            (true, false) => {
                out.push(line);
                placed = true;
            }
            (true, true) => {}
        }
    }
    if !placed {
        out.push(line);
    }
    joined(&out)
}

/// `existing` without our lines.
pub fn uninstall(existing: &str) -> String {
    let kept: Vec<&str> = existing.lines().filter(|l| !is_ours(l)).collect();
    joined(&kept)
}

fn joined(lines: &[&str]) -> String {
    match lines.is_empty() {
        true => String::new(),
        false => format!("{}\n", lines.join("\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "* * * * * /usr/local/bin/defer run # defer-runner";

    #[test]
    fn line_bakes_in_settings() {
        let vars = [
            ("DEFER_TIMEZONE", "Europe/Paris"),
            ("DEFER_RUNTIME_DIR", "state"),
            ("HOME", "/home/u"),
            ("DEFER_EXECUTOR", "claude-run"),
            ("DEFER_LOG_DIR", ""),
            ("PATH", "/usr/bin:/bin"),
        ];
        let settings = settings(vars, Path::new("/work"));
        let line = line(Path::new("/opt/my bin/defer"), &settings);
        assert_eq!(
            line,
            "* * * * * DEFER_EXECUTOR=claude-run DEFER_RUNTIME_DIR=/work/state \
             DEFER_TIMEZONE=Europe/Paris PATH=/usr/bin:/bin '/opt/my bin/defer' run # defer-runner"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("50%"), r"'50\%'");
        assert_eq!(quote("/a/b-c_d.e"), "/a/b-c_d.e");
    }

    #[test]
    fn install_appends_once_and_keeps_other_lines() {
        let other = "MAILTO=me\n0 3 * * * backup\n";
        let once = install(other, LINE);
        assert_eq!(once, format!("{other}{LINE}\n"));
        assert_eq!(install(&once, LINE), once);
        assert_eq!(install("", LINE), format!("{LINE}\n"));
    }

    #[test]
    fn install_replaces_in_place_and_drops_duplicates() {
        let old = "* * * * * /old/defer run # defer-runner";
        let existing = format!("a\n{old}\nb\n{old}\n");
        assert_eq!(install(&existing, LINE), format!("a\n{LINE}\nb\n"));
    }

    #[test]
    fn uninstall_removes_only_ours() {
        let existing = format!("a\n{LINE}\n# {LINE}\nb\n");
        assert_eq!(uninstall(&existing), format!("a\n# {LINE}\nb\n"));
        assert_eq!(uninstall(&format!("{LINE}\n")), "");
        assert_eq!(uninstall("a\n"), "a\n");
    }

    #[test]
    fn path_is_baked_in_once_per_directory() {
        let kept = settings(
            [("PATH", "/a/bin:/usr/bin:/a/bin::/bin:/usr/bin")],
            Path::new("/"),
        );
        assert_eq!(
            kept,
            [("PATH".to_string(), "/a/bin:/usr/bin:/bin".to_string())]
        );
    }
}
