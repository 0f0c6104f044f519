//! `CONTEXT.md` → reorient snapshot: lookup order and section parsing.
//! PLACEHOLDER until the reorient branch lands.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Snapshot {
    pub summary: String,
    pub key_points: Vec<String>,
    pub artifacts: Vec<String>,
    pub constraints: Vec<String>,
    pub reoriented_from: String,
}

#[derive(Debug, Clone, Default)]
pub struct Lookup {
    pub context_file: Option<PathBuf>,
    pub project: Option<String>,
    pub env_context_file: Option<PathBuf>,
    pub home: Option<PathBuf>,
    pub cwd: PathBuf,
}

pub fn locate(lookup: &Lookup) -> anyhow::Result<PathBuf> {
    lookup
        .context_file
        .clone()
        .ok_or_else(|| anyhow::anyhow!("no CONTEXT.md found"))
}

pub fn parse(text: &str, source: &Path) -> Snapshot {
    Snapshot {
        summary: text.lines().next().unwrap_or_default().to_string(),
        key_points: vec![],
        artifacts: vec![],
        constraints: vec![],
        reoriented_from: source.display().to_string(),
    }
}

pub fn load(lookup: &Lookup) -> anyhow::Result<Snapshot> {
    let path = locate(lookup)?;
    Ok(parse(&std::fs::read_to_string(&path)?, &path))
}
