//! The runtime dir and defer's files (SPEC §11), as the trust layer judges them
//! ([`crate::trust::findings`]: ownership, modes, file kinds, the store's
//! filesystem), turned into rows. Only `lstat`/`stat`/`statfs`: nothing is opened or
//! created.

use std::path::Path;

use super::Row;
use crate::config::{Env, Paths};
use crate::trust::{self, FsClass, Role, Severity};

/// The `runtime_dir` row, one `files` row per problem with the other files and
/// directories (or one `ok` row), and the `store` row.
pub(super) fn rows(paths: &Paths, env: &Env) -> Vec<Row> {
    let allow_network = env.allow_network_fs().unwrap_or(false);
    let findings = trust::findings(paths, allow_network);
    let mut runtime = Vec::new();
    let mut files = Vec::new();
    let mut store = Vec::new();
    for finding in &findings {
        let text = finding.to_string();
        let (detail, fix) = split(&text, &finding.path);
        let row = match finding.severity {
            Severity::Fail => Row::fail,
            Severity::Warn => Row::warn,
        };
        match (finding.role, finding.path == paths.runtime_dir) {
            (_, true) => runtime.push(row("runtime_dir", detail, fix)),
            (Role::Store, _) => store.push(row("store", detail, fix)),
            _ => files.push(row("files", detail, fix)),
        }
    }
    if runtime.is_empty() {
        runtime.push(runtime_ok(&paths.runtime_dir));
    }
    if files.is_empty() {
        files.push(Row::ok(
            "files",
            "every other file and directory that exists is yours and not writable by others",
        ));
    }
    if store.is_empty() {
        store.push(store_ok(&paths.tasks_file, allow_network));
    }
    runtime.into_iter().chain(files).chain(store).collect()
}

/// A finding's line (`PATH is ...; run '...'`) as (detail, fix): the fix is what
/// follows the first `; ` after the path, so a path holding `; ` cannot split it.
pub(super) fn split(text: &str, path: &Path) -> (String, String) {
    let shown = path.display().to_string();
    let after_path = text.strip_prefix(&shown).map_or(0, |_| shown.len());
    match text[after_path..].split_once("; ") {
        Some((problem, fix)) => (format!("{}{problem}", &text[..after_path]), fix.to_string()),
        None => (text.to_string(), "see the detail".to_string()),
    }
}

fn runtime_ok(dir: &Path) -> Row {
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
        Ok(meta) => Row::ok(
            "runtime_dir",
            format!("{p}: yours, mode {:04o}", mode(&meta)),
        ),
    }
}

fn mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

/// The store row when the trust layer found nothing wrong with it.
fn store_ok(file: &Path, allow_network: bool) -> Row {
    let p = file.display();
    let len = match std::fs::symlink_metadata(file) {
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
        Ok(meta) => meta.len(),
    };
    let dir = file.parent().unwrap_or(Path::new("."));
    match trust::filesystem_of(dir) {
        FsClass::Network(name) if allow_network => Row::warn(
            "store",
            format!("{p} is on a network filesystem ({name}); DEFER_ALLOW_NETWORK_FS=1 lets defer use it"),
            "make sure one host only runs defer on it and its locks work, or use a local DEFER_RUNTIME_DIR",
        ),
        _ => Row::ok("store", format!("{p}: a regular file on a local filesystem, {len} bytes")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;

    #[test]
    fn finding_lines_split_into_detail_and_fix() {
        let path = Path::new("/tmp/a; b");
        let (detail, fix) = split(
            "/tmp/a; b is writable by others (mode 0777); run 'chmod 700 \"/tmp/a; b\"'",
            path,
        );
        assert_eq!(detail, "/tmp/a; b is writable by others (mode 0777)");
        assert_eq!(fix, "run 'chmod 700 \"/tmp/a; b\"'");
        assert_eq!(split("odd", path), ("odd".into(), "see the detail".into()));
    }

    #[test]
    fn rows_from_the_trust_layer() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let runtime = tmp.path().join("rt");
        let env = Env::from_pairs([("DEFER_RUNTIME_DIR", runtime.to_str().unwrap())]);
        let paths = env.paths().unwrap();
        let found = rows(&paths, &env);
        assert!(found.iter().all(|r| r.status == Level::Ok), "{found:?}");
        assert!(!runtime.exists());

        std::fs::create_dir(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o777)).unwrap();
        std::fs::write(&paths.tasks_file, "").unwrap();
        std::fs::set_permissions(&paths.tasks_file, std::fs::Permissions::from_mode(0o666))
            .unwrap();
        let found = rows(&paths, &env);
        let by = |check: &str| found.iter().find(|r| r.check == check).unwrap().clone();
        assert_eq!(by("runtime_dir").status, Level::Fail);
        assert!(by("runtime_dir").fix.unwrap().contains("chmod 700"));
        assert_eq!(by("store").status, Level::Fail);
        assert!(by("store").fix.unwrap().contains("chmod 600"));
        assert_eq!(by("files").status, Level::Ok);
    }
}
