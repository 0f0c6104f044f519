//! The runtime dir and defer's files (SPEC §11): owned by the user, not writable by
//! group or others, regular files where files belong; the store a regular file on a
//! local filesystem. Only `lstat`/`stat`/`statfs`: nothing is opened or created.

use std::fs::Metadata;
use std::path::{Path, PathBuf};

use super::Row;
use crate::config::{Env, Paths};

/// What sits at a path, as far as these rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Facts {
    pub kind: &'static str,
    pub is_dir: bool,
    pub is_file: bool,
    pub uid: u32,
    pub mode: u32,
}

impl Facts {
    fn of(meta: &Metadata) -> Self {
        let t = meta.file_type();
        let kind = kind_name(&t);
        #[cfg(unix)]
        let (uid, mode) = {
            use std::os::unix::fs::MetadataExt;
            (meta.uid(), meta.mode() & 0o7777)
        };
        #[cfg(not(unix))]
        let (uid, mode) = (0, 0o600);
        Facts {
            kind,
            is_dir: t.is_dir(),
            is_file: t.is_file(),
            uid,
            mode,
        }
    }
}

fn kind_name(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    match (t.is_symlink(), t.is_dir(), t.is_file()) {
        (true, _, _) => "a symbolic link",
        (_, true, _) => "a directory",
        (_, _, true) => "a regular file",
        _ => "not a regular file",
    }
}

/// The problem with a directory (links followed), if any, as (detail, fix).
pub(super) fn judge_dir(path: &Path, f: &Facts, me: u32) -> Option<(String, String)> {
    let p = path.display();
    if !f.is_dir {
        return Some((
            format!("{p} is {}, not a directory", f.kind),
            "move it away, or point the DEFER_* variable at a directory".into(),
        ));
    }
    if f.uid != me && f.uid != 0 {
        return Some((
            format!("{p} is owned by uid {}, not by you (uid {me})", f.uid),
            "use a runtime dir you own (DEFER_RUNTIME_DIR)".into(),
        ));
    }
    (f.mode & 0o022 != 0).then(|| {
        (
            format!(
                "{p} is writable by {} (mode {:04o})",
                writers(f.mode),
                f.mode
            ),
            format!("chmod 700 '{p}'"),
        )
    })
}

/// The problem with a file (links not followed), if any, as (detail, fix).
pub(super) fn judge_file(path: &Path, f: &Facts, me: u32) -> Option<(String, String)> {
    let p = path.display();
    if !f.is_file {
        return Some((
            format!("{p} is {}, not a regular file", f.kind),
            "move it away (defer creates its files itself)".into(),
        ));
    }
    if f.uid != me && f.uid != 0 {
        return Some((
            format!("{p} is owned by uid {}, not by you (uid {me})", f.uid),
            format!("check its contents, then chown {me} '{p}', or move it away"),
        ));
    }
    (f.mode & 0o022 != 0).then(|| {
        (
            format!(
                "{p} is writable by {} (mode {:04o})",
                writers(f.mode),
                f.mode
            ),
            format!("chmod 600 '{p}'"),
        )
    })
}

fn writers(mode: u32) -> &'static str {
    match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => "group and others",
        (true, false) => "its group",
        _ => "others",
    }
}

/// The runtime dir row, one row per problem with the other files and directories (or
/// one `ok` row), and the store row.
pub(super) fn rows(paths: &Paths, env: &Env, me: u32) -> Vec<Row> {
    let mut rows = vec![runtime_dir(&paths.runtime_dir, me)];
    let mut checked = 0;
    for (path, is_dir) in others(paths) {
        let meta = match is_dir {
            true => std::fs::metadata(&path),
            false => std::fs::symlink_metadata(&path),
        };
        let Ok(meta) = meta else { continue };
        checked += 1;
        let facts = Facts::of(&meta);
        let problem = match is_dir {
            true => judge_dir(&path, &facts, me),
            false => judge_file(&path, &facts, me),
        };
        if let Some((detail, fix)) = problem {
            rows.push(Row::fail("files", detail, fix));
        }
    }
    if rows.len() == 1 {
        rows.push(Row::ok(
            "files",
            match checked {
                0 => "none of defer's other files exist yet".to_string(),
                n => format!("{n} files and directories: owned by you, not writable by others"),
            },
        ));
    }
    let allow = env.get("DEFER_ALLOW_NETWORK_FS") == Some("1");
    rows.push(store(&paths.tasks_file, allow));
    rows
}

fn runtime_dir(dir: &Path, me: u32) -> Row {
    let p = dir.display();
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Row::ok(
            "runtime_dir",
            format!("{p} does not exist yet; defer creates it (mode 0700) on first use"),
        ),
        Err(e) => Row::fail(
            "runtime_dir",
            format!("cannot examine {p}: {e}"),
            "check the permissions of its parent directories",
        ),
        Ok(meta) => match judge_dir(dir, &Facts::of(&meta), me) {
            Some((detail, fix)) => Row::fail("runtime_dir", detail, fix),
            None => Row::ok(
                "runtime_dir",
                format!("{p}: owned by you, mode {:04o}", Facts::of(&meta).mode),
            ),
        },
    }
}

/// Every other directory and file defer keeps, with whether it is a directory.
fn others(paths: &Paths) -> Vec<(PathBuf, bool)> {
    let mut out: Vec<(PathBuf, bool)> = Vec::new();
    let mut add = |path: PathBuf, is_dir: bool| {
        if !path.as_os_str().is_empty()
            && path != paths.runtime_dir
            && !out.iter().any(|(p, _)| *p == path)
        {
            out.push((path, is_dir));
        }
    };
    for dir in [
        paths.tasks_file.parent().map(Path::to_path_buf),
        Some(paths.archive_dir.clone()),
        Some(paths.log_dir.clone()),
        paths.log_file.parent().map(Path::to_path_buf),
    ]
    .into_iter()
    .flatten()
    {
        add(dir, true);
    }
    for file in [
        paths.store_lock(),
        paths.runner_lock(),
        crate::store::summary::path_for(&paths.tasks_file),
        paths.log_file.clone(),
    ] {
        add(file, false);
    }
    if let Ok(entries) = std::fs::read_dir(&paths.archive_dir) {
        let mut archived: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        archived.sort();
        for file in archived {
            add(file, false);
        }
    }
    out
}

/// The store: missing is fine; otherwise a regular file (never followed through a
/// link: a second path to it would mean a second set of locks) on a local filesystem.
fn store(file: &Path, allow_network: bool) -> Row {
    let p = file.display();
    let meta = match std::fs::symlink_metadata(file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Row::ok(
                "store",
                format!("{p} does not exist yet (no task scheduled)"),
            )
        }
        Err(e) => {
            return Row::fail(
                "store",
                format!("cannot examine {p}: {e}"),
                "check the permissions of its directory",
            )
        }
        Ok(meta) => meta,
    };
    let facts = Facts::of(&meta);
    if !facts.is_file {
        return Row::fail(
            "store",
            format!("{p} is {}, not a regular file", facts.kind),
            "move it away (defer creates the store itself) or set DEFER_TASKS_FILE to a regular file",
        );
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    store_on(
        &p.to_string(),
        meta.len(),
        super::host::filesystem(dir),
        allow_network,
    )
}

/// The store row for a regular file of `len` bytes on filesystem `fs`.
pub(super) fn store_on(path: &str, len: u64, fs: Filesystem, allow_network: bool) -> Row {
    match fs {
        Filesystem::Network(name) if allow_network => Row::warn(
            "store",
            format!("{path} is on a network filesystem ({name}); DEFER_ALLOW_NETWORK_FS=1 lets defer use it"),
            "make sure only one host runs defer on it and its locks work, or use a local DEFER_RUNTIME_DIR",
        ),
        Filesystem::Network(name) => Row::fail(
            "store",
            format!("{path} is on a network filesystem ({name}), where flock is not reliable"),
            "use a local DEFER_RUNTIME_DIR (or DEFER_ALLOW_NETWORK_FS=1 if your mount's locks work)",
        ),
        Filesystem::Fuse => Row::warn(
            "store",
            format!("{path} is on a FUSE filesystem (sshfs and the like do not lock reliably)"),
            "use a local DEFER_RUNTIME_DIR unless this FUSE filesystem is local",
        ),
        Filesystem::Local => Row::ok("store", format!("{path}: a regular file on a local filesystem, {len} bytes")),
    }
}

/// What the store's filesystem means for its locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Filesystem {
    Local,
    Network(&'static str),
    Fuse,
}

/// Classifies a `statfs` `f_type` magic number (see notes/turn2-facts.md).
pub(super) fn classify(magic: u64) -> Filesystem {
    match magic {
        0x6969 => Filesystem::Network("nfs"),
        0x517B => Filesystem::Network("smb"),
        0xFF53_4D42 => Filesystem::Network("cifs"),
        0xFE53_4D42 => Filesystem::Network("smb2"),
        0x6573_5546 => Filesystem::Fuse,
        _ => Filesystem::Local,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;

    fn facts(is_dir: bool, uid: u32, mode: u32) -> Facts {
        Facts {
            kind: if is_dir {
                "a directory"
            } else {
                "a regular file"
            },
            is_dir,
            is_file: !is_dir,
            uid,
            mode,
        }
    }

    #[test]
    fn directory_rules() {
        let p = Path::new("/r");
        assert_eq!(judge_dir(p, &facts(true, 7, 0o700), 7), None);
        assert_eq!(judge_dir(p, &facts(true, 0, 0o755), 7), None);
        let (detail, fix) = judge_dir(p, &facts(true, 7, 0o777), 7).unwrap();
        assert_eq!(detail, "/r is writable by group and others (mode 0777)");
        assert_eq!(fix, "chmod 700 '/r'");
        assert!(judge_dir(p, &facts(true, 8, 0o700), 7)
            .unwrap()
            .0
            .contains("uid 8"));
        assert!(judge_dir(p, &facts(false, 7, 0o600), 7)
            .unwrap()
            .0
            .contains("not a directory"));
    }

    #[test]
    fn file_rules() {
        let p = Path::new("/r/f");
        assert_eq!(judge_file(p, &facts(false, 7, 0o600), 7), None);
        assert_eq!(
            judge_file(p, &facts(false, 7, 0o620), 7).unwrap().1,
            "chmod 600 '/r/f'"
        );
        let fifo = Facts {
            kind: "a FIFO (named pipe)",
            is_file: false,
            ..facts(false, 7, 0o600)
        };
        assert!(judge_file(p, &fifo, 7).unwrap().0.contains("FIFO"));
    }

    #[test]
    fn filesystems() {
        assert_eq!(classify(0x6969), Filesystem::Network("nfs"));
        assert_eq!(classify(0xEF53), Filesystem::Local);
        assert_eq!(
            store_on("/s", 1, classify(0xFF53_4D42), false).status,
            Level::Fail
        );
        assert_eq!(
            store_on("/s", 1, classify(0xFF53_4D42), true).status,
            Level::Warn
        );
        assert_eq!(
            store_on("/s", 1, Filesystem::Fuse, false).status,
            Level::Warn
        );
        assert_eq!(
            store_on("/s", 1, Filesystem::Local, false).status,
            Level::Ok
        );
    }
}
