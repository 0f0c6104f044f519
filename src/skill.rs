//! The agent skills shipped inside the binary (`SKILL.md`, `skills/reorient/SKILL.md`)
//! and installing them where agent hosts look. Idempotent: a file that already has the
//! content is left alone; writes are atomic.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::safe_fs;

/// The `defer` skill: when and how an agent defers work.
pub const DEFER: &str = include_str!("../SKILL.md");
/// The companion skill: re-read CONTEXT.md before resuming.
pub const REORIENT: &str = include_str!("../skills/reorient/SKILL.md");

/// Where to install.
#[derive(Debug, Clone)]
pub enum Target {
    /// `~/.claude/skills/defer/SKILL.md` and `~/.claude/skills/defer-reorient/SKILL.md`.
    ClaudeHome(PathBuf),
    /// `DIR/SKILL.md` and `DIR/reorient/SKILL.md`.
    Dir(PathBuf),
}

/// The files a target receives: (path, content).
pub fn files(target: &Target) -> Vec<(PathBuf, &'static str)> {
    match target {
        Target::ClaudeHome(home) => {
            let skills = home.join(".claude/skills");
            vec![
                (skills.join("defer/SKILL.md"), DEFER),
                (skills.join("defer-reorient/SKILL.md"), REORIENT),
            ]
        }
        Target::Dir(dir) => vec![
            (dir.join("SKILL.md"), DEFER),
            (dir.join("reorient/SKILL.md"), REORIENT),
        ],
    }
}

/// What installing did to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Updated,
    Unchanged,
}

/// One installed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installed {
    pub path: PathBuf,
    pub action: Action,
}

/// Writes each file of `target` whose content differs; reports every file.
pub fn install(target: &Target) -> Result<Vec<Installed>> {
    files(target)
        .into_iter()
        .map(|(path, content)| {
            let action = write_if_changed(&path, content)?;
            Ok(Installed { path, action })
        })
        .collect()
}

fn write_if_changed(path: &Path, content: &str) -> Result<Action> {
    let action = match std::fs::read(path) {
        Ok(existing) if existing == content.as_bytes() => return Ok(Action::Unchanged),
        Ok(_) => Action::Updated,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Action::Created,
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    safe_fs::write_atomic(path, content.as_bytes())?;
    Ok(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skills_have_front_matter() {
        for (text, name) in [(DEFER, "defer"), (REORIENT, "defer-reorient")] {
            assert!(text.starts_with("---\n"), "{name}");
            assert!(text.contains(&format!("\nname: {name}\n")), "{name}");
            assert!(text.contains("\ndescription: "), "{name}");
        }
    }

    #[test]
    fn install_is_idempotent() {
        let tmp = tempfile::tempdir().unwrap();
        let target = Target::Dir(tmp.path().join("skills/defer"));
        let first = install(&target).unwrap();
        assert!(first.iter().all(|i| i.action == Action::Created));
        let second = install(&target).unwrap();
        assert!(second.iter().all(|i| i.action == Action::Unchanged));
        std::fs::write(&first[0].path, "old").unwrap();
        assert_eq!(install(&target).unwrap()[0].action, Action::Updated);
    }
}
