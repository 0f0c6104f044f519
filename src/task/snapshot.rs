//! The record's `snapshot` field: the git work tree and the artifacts as they were when
//! the task was scheduled (data only; taking one and comparing it is `crate::snapshot`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::timestamp::Timestamp;

/// The record's `snapshot` field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitState>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<FileState>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A git work tree at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GitState {
    /// The work tree's top level (absolute).
    pub top: String,
    /// The branch checked out; `None` on a detached HEAD.
    pub branch: Option<String>,
    /// The full commit id of HEAD.
    pub head: String,
}

/// A local file at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileState {
    /// Absolute path.
    pub path: String,
    pub size: u64,
    pub modified: Timestamp,
}
