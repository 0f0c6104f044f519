//! The crontab line that runs `defer run` every minute, and editing a crontab's text to
//! add, replace or remove it. Pure: reading and writing the user's crontab is
//! `cron/crontab.rs`, reading a line back `cron/readback.rs`, cron's `%` rule
//! `cron/percent.rs`; finding the binary and the environment is `ops::cron`'s job. Nothing from
//! the environment can change the line's structure: only known settings are baked in, a
//! control character is refused, and values are quoted for both cron (`%`) and `sh`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::config::vars::{self, Kind};
use crate::config::Env;
use crate::text;

pub mod crontab;
pub mod percent;
pub(crate) mod readback;

/// Ends our line, so we can find it again: `... run # defer-runner`.
pub const MARKER: &str = "# defer-runner";

/// The settings to bake into the line from `vars` (name, value): each non-empty
/// variable the registry bakes (`config::vars::Var::cron`: every setting, and `PATH`:
/// cron's default PATH is `/usr/bin:/bin`, and a bare `DEFER_EXECUTOR` name is searched
/// on it), sorted by name. Nothing else is taken:
/// a token in some other `DEFER_*` variable stays out of the crontab. Relative paths are
/// joined to `cwd`; a bare executor name (no `/`) is kept as is. A value holding a
/// control character (a newline would start a second cron job) is an error naming it.
pub fn settings<'a>(
    vars: impl IntoIterator<Item = (&'a str, &'a str)>,
    cwd: &Path,
) -> Result<Vec<(String, String)>> {
    let mut kept: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .filter_map(|(name, value)| Some((name, value, baked(name)?)))
        .map(|(name, value, kind)| match kind {
            Kind::Dirs => (name.to_string(), unique_dirs(value)),
            _ => (name.to_string(), absolute(kind, value, cwd)),
        })
        .collect();
    kept.sort();
    kept.dedup_by(|a, b| a.0 == b.0);
    for (name, value) in &kept {
        refuse_controls(name, value)?;
    }
    Ok(kept)
}

/// A value with a control character cannot go into a crontab line.
fn refuse_controls(what: &str, value: &str) -> Result<()> {
    if value.chars().any(text::is_unsafe) {
        bail!(
            "{what} holds a control character ('{}'), which cannot go into a crontab line \
             (accepted: a value without control characters)",
            text::escape_control(value)
        );
    }
    Ok(())
}

/// A `PATH` with each absolute directory once, first occurrence kept. Relative entries
/// (`.`, `bin`, and an empty one, which means `.`) are dropped: cron starts jobs in
/// `$HOME`, where they would name other directories ([`relative_dirs`] lists them).
fn unique_dirs(path: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    path.split(':')
        .filter(|dir| dir.starts_with('/') && seen.insert(*dir))
        .collect::<Vec<_>>()
        .join(":")
}

/// The relative entries of a `PATH` that the crontab line leaves out, each once, in
/// order (an empty entry as `''`), for the note that says so.
pub fn relative_dirs(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for dir in path.split(':').filter(|dir| !dir.starts_with('/')) {
        let shown = match dir.is_empty() {
            true => "''".to_string(),
            false => format!("'{}'", text::escape_control(dir)),
        };
        if !out.contains(&shown) {
            out.push(shown);
        }
    }
    out
}

/// The kind of value of a variable the crontab line bakes in; `None` for the others.
fn baked(name: &str) -> Option<Kind> {
    vars::find(name).filter(|var| var.cron).map(|var| var.kind)
}

/// A path value made absolute against `cwd` (cron starts jobs in `$HOME`); a bare
/// program name (no `/`) is kept for the search on `PATH`.
fn absolute(kind: Kind, value: &str, cwd: &Path) -> String {
    let bare_command = kind.is_program() && !value.contains('/');
    if !kind.is_path() || bare_command || Path::new(value).is_absolute() {
        return value.to_string();
    }
    cwd.join(value).display().to_string()
}

/// `* * * * * NAME='value' ... '/abs/defer' run # defer-runner`. A binary path holding
/// a control character is an error.
pub fn line(bin: &Path, settings: &[(String, String)]) -> Result<String> {
    let bin = bin.display().to_string();
    refuse_controls("the path of this program", &bin)?;
    let mut words = vec!["* * * * *".to_string()];
    words.extend(
        settings
            .iter()
            .map(|(name, value)| format!("{name}={}", quote(value))),
    );
    words.push(quote(&bin));
    words.push("run".to_string());
    words.push(MARKER.to_string());
    Ok(words.join(" "))
}

/// Shell-quotes a word for `sh` (plain words stay bare) and escapes its `%` for cron
/// ([`percent::escape`]), so cron hands the shell the quoted word unchanged.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:,=@".contains(&b));
    let quoted = match plain {
        true => word.to_string(),
        false => format!("'{}'", word.replace('\'', r"'\''")),
    };
    percent::escape(&quoted)
}

/// True for a crontab line this program wrote (for any runtime dir).
pub fn is_ours(line: &str) -> bool {
    let line = line.trim_end();
    !line.trim_start().starts_with('#') && line.ends_with(MARKER)
}

/// The runtime dir the runner of a crontab line serves: the line's
/// `DEFER_RUNTIME_DIR`, or the default under `home` (cron sets `HOME`) for a line that
/// bakes none in (lines written before the dir was always baked in). `None` for a line
/// that cannot be read.
pub fn runtime_dir_of(line: &str, home: Option<&str>) -> Option<PathBuf> {
    let parsed = readback::parse(line)?;
    let mut vars: Vec<(&str, &str)> = home.map(|h| ("HOME", h)).into_iter().collect();
    vars.extend(
        parsed
            .assignments
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    Env::from_pairs(vars).paths().ok().map(|p| p.runtime_dir)
}

/// True when two runtime dirs are the same directory (canonical paths when they exist).
pub fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `existing` with our line in it. One line per runtime dir: a marked line for which
/// `own` holds (the line of this runtime dir) is replaced in place (further ones are
/// dropped), else `line` is appended. The lines of other runtime dirs, and every other
/// line, are kept as they are.
pub fn install(existing: &str, line: &str, own: impl Fn(&str) -> bool) -> String {
    let mut out = Vec::new();
    let mut placed = false;
    for current in existing.lines() {
        match (is_ours(current) && own(current), placed) {
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

/// `existing` without the marked lines for which `own` holds.
pub fn uninstall(existing: &str, own: impl Fn(&str) -> bool) -> String {
    let kept: Vec<&str> = existing
        .lines()
        .filter(|l| !(is_ours(l) && own(l)))
        .collect();
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
    fn hook_paths_are_made_absolute_and_bare_names_kept() {
        let vars = [
            ("DEFER_ON_FAILURE", "hooks/webhook.sh"),
            ("DEFER_ON_SUCCESS", "notify-hook"),
            ("DEFER_ON_MISSED", "/opt/h"),
        ];
        let settings = settings(vars, Path::new("/work")).unwrap();
        let baked: Vec<(&str, &str)> = settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            baked,
            [
                ("DEFER_ON_FAILURE", "/work/hooks/webhook.sh"),
                ("DEFER_ON_MISSED", "/opt/h"),
                ("DEFER_ON_SUCCESS", "notify-hook"),
            ]
        );
    }

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
        let settings = settings(vars, Path::new("/work")).unwrap();
        let line = line(Path::new("/opt/my bin/defer"), &settings).unwrap();
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

    /// What cron hands the shell.
    fn cron_command(line: &str) -> String {
        percent::read(line).command
    }

    /// The one word `sh` reads from `text` (single quotes and backslashes only).
    fn sh_word(text: &str) -> String {
        let (mut out, mut quoted, mut chars) = (String::new(), false, text.chars());
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (_, '\'') => quoted = !quoted,
                (false, '\\') => out.extend(chars.next()),
                _ => out.push(c),
            }
        }
        out
    }

    #[test]
    fn percent_signs_survive_cron() {
        assert_eq!(quote("100%%"), r"'100\%\%'");
        assert_eq!(quote(r"a\%b"), r"'a\''\%b'");
        assert_eq!(quote(r"a\\%"), r"'a\''\''\%'");
        for word in ["50%", r"a\%b", r"\%%\\%", "it's 5%", r"a\", "%"] {
            let after_cron = cron_command(&quote(word));
            assert!(!after_cron.contains('\n'));
            let unquoted = sh_word(&after_cron);
            assert_eq!(unquoted, word, "{word}: cron gives the shell {after_cron}");
        }
    }

    #[test]
    fn only_known_settings_are_baked_in() {
        let vars = [
            ("DEFER_API_KEY", "secret"),
            ("DEFER_TASK_ID", "t1"),
            ("DEFER_GRACE_SECONDS", "60"),
            ("DEFER_ON_FAILURE", "/bin/notify"),
            ("GITHUB_TOKEN", "secret"),
        ];
        let names: Vec<String> = settings(vars, Path::new("/"))
            .unwrap()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(names, ["DEFER_GRACE_SECONDS", "DEFER_ON_FAILURE"]);
    }

    #[test]
    fn control_characters_are_refused_naming_the_variable() {
        for value in ["a\n* * * * * evil", "x\ry", "tab\there", "\u{1b}[2J"] {
            let err = settings([("DEFER_EXECUTOR", value)], Path::new("/"))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("DEFER_EXECUTOR holds a control character ('"),
                "{err}"
            );
            assert!(!err.chars().any(char::is_control), "{err}");
        }
        let err = settings([("PATH", "/bin:/a\nb")], Path::new("/")).unwrap_err();
        assert!(err.to_string().starts_with("PATH holds"), "{err}");
        let err = settings([("DEFER_LOG_DIR", "logs")], Path::new("/tmp/x\ny")).unwrap_err();
        assert!(err.to_string().starts_with("DEFER_LOG_DIR holds"), "{err}");
        let err = line(Path::new("/opt/a\nb/defer"), &[]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the path of this program holds"),
            "{err}"
        );
    }

    /// Lines for the runtime dir /home/u/data/runtime (the default under HOME, or
    /// baked in) are "own"; the rest serve other runtime dirs.
    fn own(line: &str) -> bool {
        runtime_dir_of(line, Some("/home/u"))
            .is_some_and(|d| d == Path::new("/home/u/data/runtime"))
    }

    #[test]
    fn install_appends_once_and_keeps_other_lines() {
        let other = "MAILTO=me\n0 3 * * * backup\n";
        let once = install(other, LINE, own);
        assert_eq!(once, format!("{other}{LINE}\n"));
        assert_eq!(install(&once, LINE, own), once);
        assert_eq!(install("", LINE, own), format!("{LINE}\n"));
    }

    #[test]
    fn install_replaces_in_place_and_drops_duplicates() {
        let old = "* * * * * /old/defer run # defer-runner";
        let existing = format!("a\n{old}\nb\n{old}\n");
        assert_eq!(install(&existing, LINE, own), format!("a\n{LINE}\nb\n"));
    }

    #[test]
    fn one_line_per_runtime_dir() {
        let mine = "* * * * * DEFER_RUNTIME_DIR=/home/u/data/runtime /old/defer run # defer-runner";
        let theirs = "* * * * * DEFER_RUNTIME_DIR=/srv/other /usr/bin/defer run # defer-runner";
        let existing = format!("{theirs}\n{mine}\n");
        // Install replaces only this dir's line; the other store keeps its runner.
        assert_eq!(install(&existing, LINE, own), format!("{theirs}\n{LINE}\n"));
        assert_eq!(install(theirs, LINE, own), format!("{theirs}\n{LINE}\n"));
        // Uninstall removes only this dir's line, old format (no dir baked in) too.
        assert_eq!(uninstall(&existing, own), format!("{theirs}\n"));
        assert_eq!(
            uninstall(&format!("{LINE}\n{theirs}\n"), own),
            format!("{theirs}\n")
        );
        assert_eq!(
            runtime_dir_of(theirs, Some("/home/u")),
            Some(PathBuf::from("/srv/other"))
        );
        assert_eq!(runtime_dir_of("* * * * * 'open", None), None);
    }

    #[test]
    fn uninstall_removes_only_ours() {
        let existing = format!("a\n{LINE}\n# {LINE}\nb\n");
        assert_eq!(uninstall(&existing, own), format!("a\n# {LINE}\nb\n"));
        assert_eq!(uninstall(&format!("{LINE}\n"), own), "");
        assert_eq!(uninstall("a\n", own), "a\n");
    }

    #[test]
    fn relative_path_entries_are_dropped_and_named() {
        let path = ".:/a/bin::bin:/usr/bin:.:./x";
        let kept = settings([("PATH", path)], Path::new("/work")).unwrap();
        assert_eq!(kept, [("PATH".to_string(), "/a/bin:/usr/bin".to_string())]);
        assert_eq!(relative_dirs(path), ["'.'", "''", "'bin'", "'./x'"]);
        assert!(relative_dirs("/usr/bin:/bin").is_empty());
    }

    #[test]
    fn path_is_baked_in_once_per_directory() {
        let kept = settings(
            [("PATH", "/a/bin:/usr/bin:/a/bin::/bin:/usr/bin")],
            Path::new("/"),
        )
        .unwrap();
        assert_eq!(
            kept,
            [("PATH".to_string(), "/a/bin:/usr/bin:/bin".to_string())]
        );
    }
}
