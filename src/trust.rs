//! Who may write defer's state (SPEC §11): StrictModes-style ownership and mode rules
//! for its directories and files, and the network-filesystem rule for the store.
//!
//! The decisions are pure functions of metadata ([`judge_dir`], [`judge_file`],
//! [`classify_fs`]). Commands call [`require`] (a few `lstat`s, the first problem as an
//! error); `defer doctor` can call [`findings`] for every problem at once. Files are
//! also checked on the descriptor after opening ([`verify_open`], used by `safe_fs`), so a
//! file swapped in between the check and the open is still refused.

use std::fmt;
use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};

use crate::config::Paths;

/// What is at a path, from `lstat` (or `stat` for a directory reached through a link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    Other,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Dir => "a directory",
            Kind::File => "a regular file",
            Kind::Symlink => "a symbolic link",
            Kind::Fifo => "a FIFO (named pipe)",
            Kind::Socket => "a socket",
            Kind::CharDevice => "a character device",
            Kind::BlockDevice => "a block device",
            Kind::Other => "not a regular file",
        })
    }
}

/// The metadata the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub kind: Kind,
    pub uid: u32,
    /// Permission bits (`st_mode & 0o7777`).
    pub mode: u32,
}

impl Facts {
    pub fn of(meta: &Metadata) -> Self {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let t = meta.file_type();
        let kind = if t.is_symlink() {
            Kind::Symlink
        } else if t.is_dir() {
            Kind::Dir
        } else if t.is_file() {
            Kind::File
        } else if t.is_fifo() {
            Kind::Fifo
        } else if t.is_socket() {
            Kind::Socket
        } else if t.is_char_device() {
            Kind::CharDevice
        } else if t.is_block_device() {
            Kind::BlockDevice
        } else {
            Kind::Other
        };
        Facts {
            kind,
            uid: meta.uid(),
            mode: meta.mode() & 0o7777,
        }
    }
}

/// What is wrong with one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A file position holds a symbolic link (never followed).
    Symlink,
    /// A directory position holds something else.
    NotDirectory(Kind),
    /// A file position holds a FIFO, device, directory...
    NotRegular(Kind),
    /// Owned by neither the effective user nor root.
    ForeignOwner { owner: u32, me: u32 },
    /// Group- or other-writable (`mode` holds the permission bits).
    Writable { mode: u32 },
    /// The store's filesystem does not lock reliably (`name`: nfs, smb, cifs, smb2).
    NetworkFs { name: &'static str },
    /// The store is on FUSE: locks work only if that filesystem implements them (a
    /// `doctor` warning, never refused).
    FuseFs,
}

/// The part a path plays; it decides the rules and the suggested fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The runtime, archive or logs directory, or the store's directory.
    Dir,
    /// The active store (`DEFER_TASKS_FILE`).
    Store,
    /// The summary `deferred.jsonl.idx`: a hint, always safe to delete.
    Summary,
    /// Any other file defer writes or reads back: lock files, archive and log files.
    File,
}

/// How bad a finding is, for `defer doctor`: commands refuse on `Fail` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Fail,
    Warn,
}

/// One problem with one path: displays as the single line a command prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: PathBuf,
    pub role: Role,
    pub problem: Problem,
    pub severity: Severity,
}

impl Finding {
    pub fn new(path: &Path, role: Role, problem: Problem) -> Self {
        Finding {
            path: path.to_path_buf(),
            role,
            problem,
            severity: Severity::Fail,
        }
    }
}

impl std::error::Error for Finding {}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display();
        let word = shell_word(&self.path);
        match (self.problem, self.role) {
            (Problem::Symlink, Role::Store) => write!(
                f,
                "{p} is a symbolic link; defer does not follow a link to its store (a second \
                 path to the store would get a second set of locks): set DEFER_TASKS_FILE to \
                 the file it points to, or link the directory instead"
            ),
            (Problem::Symlink, _) => write!(
                f,
                "{p} is a symbolic link; defer never reads or writes its files through a \
                 link: remove it (run 'rm {word}')"
            ),
            (Problem::NotDirectory(kind), _) => write!(
                f,
                "{p} is {kind}, not a directory; move it away or point the DEFER_* variable \
                 at a directory"
            ),
            (Problem::NotRegular(kind), Role::Store) => write!(
                f,
                "{p} is {kind}, not a regular file; move it away (defer creates the store \
                 itself) or set DEFER_TASKS_FILE to a regular file"
            ),
            (Problem::NotRegular(kind), _) => write!(
                f,
                "{p} is {kind}, not a regular file; move it away (defer creates the file itself)"
            ),
            (Problem::ForeignOwner { owner, me }, Role::Dir) => write!(
                f,
                "{p} is owned by uid {owner}, not by you (uid {me}); use a runtime dir you \
                 own (DEFER_RUNTIME_DIR)"
            ),
            (Problem::ForeignOwner { owner, .. }, Role::Summary) => write!(
                f,
                "{p} is owned by uid {owner}, not by you; it is only a hint, safe to delete: \
                 run 'rm {word}'"
            ),
            (Problem::ForeignOwner { owner, me }, _) => write!(
                f,
                "{p} is owned by uid {owner}, not by you (uid {me}); defer only trusts its \
                 own files: check its contents, then run 'chown {me} {word}', or move it away"
            ),
            (Problem::Writable { mode }, Role::Dir) => write!(
                f,
                "{p} is writable by {} (mode {mode:04o}); run 'chmod 700 {word}' or use a \
                 runtime dir you own",
                writers(mode)
            ),
            (Problem::Writable { mode }, _) => write!(
                f,
                "{p} is writable by {} (mode {mode:04o}); run 'chmod 600 {word}'",
                writers(mode)
            ),
            (Problem::NetworkFs { name }, _) => write!(
                f,
                "{p} is on a network filesystem ({name}), where flock is not reliable; use a \
                 local DEFER_RUNTIME_DIR, or set DEFER_ALLOW_NETWORK_FS=1 if your mount's \
                 locks work"
            ),
            (Problem::FuseFs, _) => write!(
                f,
                "{p} is on a FUSE filesystem, where flock works only if that filesystem \
                 implements it; prefer a local DEFER_RUNTIME_DIR"
            ),
        }
    }
}

fn writers(mode: u32) -> &'static str {
    match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => "group and others",
        (true, false) => "its group",
        _ => "others",
    }
}

/// `path` as one shell word: bare when it is plain, else double-quoted.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return text;
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The effective user: the owner every file and directory must have (root is trusted
/// too, as OpenSSH does).
pub fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn owner_ok(uid: u32, me: u32) -> bool {
    uid == me || uid == 0
}

/// The rule for a directory (metadata after following links): a directory, owned by
/// `me` (or root), not writable by group or others.
pub fn judge_dir(facts: &Facts, me: u32) -> Option<Problem> {
    if facts.kind != Kind::Dir {
        return Some(Problem::NotDirectory(facts.kind));
    }
    judge_owner_and_mode(facts, me)
}

/// The rule for a file (metadata without following links): a regular file, owned by
/// `me` (or root), not writable by group or others.
pub fn judge_file(facts: &Facts, me: u32) -> Option<Problem> {
    match facts.kind {
        Kind::File => judge_owner_and_mode(facts, me),
        Kind::Symlink => Some(Problem::Symlink),
        kind => Some(Problem::NotRegular(kind)),
    }
}

fn judge_owner_and_mode(facts: &Facts, me: u32) -> Option<Problem> {
    if !cfg!(unix) {
        return None;
    }
    if !owner_ok(facts.uid, me) {
        return Some(Problem::ForeignOwner {
            owner: facts.uid,
            me,
        });
    }
    if facts.mode & 0o022 != 0 {
        return Some(Problem::Writable { mode: facts.mode });
    }
    None
}

/// What a filesystem means for the store's locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsClass {
    Local,
    /// `flock` is not reliable: refused unless `DEFER_ALLOW_NETWORK_FS=1`.
    Network(&'static str),
    /// Usually local, sometimes not: only a `doctor` warning.
    Fuse,
}

/// Classifies a `statfs` `f_type` magic number.
pub fn classify_fs(magic: u64) -> FsClass {
    match magic {
        0x6969 => FsClass::Network("nfs"),
        0x517B => FsClass::Network("smb"),
        0xFF53_4D42 => FsClass::Network("cifs"),
        0xFE53_4D42 => FsClass::Network("smb2"),
        0x6573_5546 => FsClass::Fuse,
        _ => FsClass::Local,
    }
}

/// What a filesystem class means for the store: `None` when fine, else the problem and
/// how bad it is (`doctor` shows both; a write refuses a `Fail`). A network
/// filesystem fails unless `allow_network_fs` (`DEFER_ALLOW_NETWORK_FS=1`); FUSE warns.
pub fn judge_fs(class: FsClass, allow_network_fs: bool) -> Option<(Problem, Severity)> {
    match class {
        FsClass::Network(name) if !allow_network_fs => {
            Some((Problem::NetworkFs { name }, Severity::Fail))
        }
        FsClass::Fuse => Some((Problem::FuseFs, Severity::Warn)),
        FsClass::Network(_) | FsClass::Local => None,
    }
}

/// The magic number in a `statfs` `f_type`, whatever its C type: a signed 32-bit
/// `f_type` (CIFS's `0xFF534D42` is negative there) is sign-extended by the cast, and
/// only the low 32 bits are the magic.
fn fs_magic(f_type: i64) -> u64 {
    (f_type as u64) & 0xFFFF_FFFF
}

/// The class of the filesystem holding `path` (or its nearest existing ancestor).
/// Linux only; elsewhere (and when nothing can be stat'ed) `Local`.
pub fn filesystem_of(path: &Path) -> FsClass {
    #[cfg(target_os = "linux")]
    {
        let mut at = Some(path);
        while let Some(p) = at {
            if let Some(magic) = statfs_magic(p) {
                return classify_fs(magic);
            }
            at = p.parent().filter(|p| !p.as_os_str().is_empty());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = path;
    FsClass::Local
}

#[cfg(target_os = "linux")]
fn statfs_magic(path: &Path) -> Option<u64> {
    let stat = rustix::fs::statfs(path).ok()?;
    // f_type's C type differs between architectures (and is unsigned on some).
    #[allow(clippy::unnecessary_cast)]
    Some(fs_magic(stat.f_type as i64))
}

/// Refuses a store on a network filesystem unless `allow` (`DEFER_ALLOW_NETWORK_FS=1`).
pub fn require_local(store: &Path, allow: bool) -> Result<(), Finding> {
    if allow {
        return Ok(());
    }
    let dir = store.parent().unwrap_or(Path::new("."));
    match judge_fs(filesystem_of(dir), allow) {
        Some((problem, Severity::Fail)) => Err(Finding::new(store, Role::Store, problem)),
        _ => Ok(()),
    }
}

/// Checks one directory (following links: a linked directory is fine). Missing is fine.
fn check_dir(path: &Path, me: u32) -> std::io::Result<Option<Finding>> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(judge_dir(&Facts::of(&meta), me).map(|p| Finding::new(path, Role::Dir, p))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Checks one file without following a link. Missing is fine.
fn check_file(path: &Path, role: Role, me: u32) -> std::io::Result<Option<Finding>> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => Ok(judge_file(&Facts::of(&meta), me).map(|p| Finding::new(path, role, p))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The directories defer keeps state in, without repeats.
fn dirs(paths: &Paths) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::with_capacity(5);
    let parent = |p: &Path| p.parent().map(Path::to_path_buf);
    let all = [
        Some(paths.runtime_dir.clone()),
        parent(&paths.tasks_file),
        Some(paths.log_dir.clone()),
        parent(&paths.log_file),
        Some(paths.archive_dir.clone()),
    ];
    for dir in all.into_iter().flatten() {
        if !dir.as_os_str().is_empty() && !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

/// The files every command's checks cover (cheap: one `lstat` each).
fn core_files(paths: &Paths) -> [(PathBuf, Role); 3] {
    [
        (paths.tasks_file.clone(), Role::Store),
        (paths.summary_file(), Role::Summary),
        (paths.log_file.clone(), Role::File),
    ]
}

/// The check every command that reads or writes state runs first: the directories and
/// the store, summary and audit log (a handful of `stat`s; lock, archive and log files
/// are checked on their descriptors when opened). The first problem is the error.
pub fn require(paths: &Paths) -> anyhow::Result<()> {
    let me = current_uid();
    for dir in dirs(paths) {
        if let Some(finding) = check_dir(&dir, me).map_err(|e| checking(&dir, e))? {
            return Err(finding.into());
        }
    }
    for (file, role) in core_files(paths) {
        if let Some(finding) = check_file(&file, role, me).map_err(|e| checking(&file, e))? {
            return Err(finding.into());
        }
    }
    Ok(())
}

fn checking(path: &Path, e: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("checking {}: {e}", path.display())
}

/// Every problem with defer's state, for `defer doctor`: the checks of [`require`],
/// the lock files, the archive's files, and the store's filesystem (a network
/// filesystem is a failure unless `allow_network_fs`; FUSE is a warning). Paths that
/// cannot be examined are skipped.
pub fn findings(paths: &Paths, allow_network_fs: bool) -> Vec<Finding> {
    let me = current_uid();
    let mut out = Vec::new();
    for dir in dirs(paths) {
        out.extend(check_dir(&dir, me).ok().flatten());
    }
    let mut files: Vec<(PathBuf, Role)> = core_files(paths).into();
    files.push((paths.store_lock(), Role::File));
    files.push((paths.runner_lock(), Role::File));
    if let Ok(entries) = std::fs::read_dir(&paths.archive_dir) {
        files.extend(entries.flatten().map(|e| (e.path(), Role::File)));
    }
    for (file, role) in files {
        out.extend(check_file(&file, role, me).ok().flatten());
    }
    let dir = paths.tasks_file.parent().unwrap_or(Path::new("."));
    if let Some((problem, severity)) = judge_fs(filesystem_of(dir), allow_network_fs) {
        out.push(Finding {
            severity,
            ..Finding::new(&paths.tasks_file, Role::Store, problem)
        });
    }
    out
}

/// Checks a file just opened at `path` (by descriptor, so nothing can be swapped in).
pub fn verify_open(file: &File, path: &Path) -> anyhow::Result<()> {
    let meta = file
        .metadata()
        .map_err(|e| anyhow::anyhow!("checking {}: {e}", path.display()))?;
    match judge_file(&Facts::of(&meta), current_uid()) {
        Some(problem) => Err(Finding::new(path, role_of(path), problem).into()),
        None => Ok(()),
    }
}

/// Why opening `path` without following links failed, when what is there breaks a
/// rule (a link, a FIFO without a reader, a file of another user): that is the error
/// to report, not the raw `ELOOP`/`ENXIO`/`EACCES`.
pub fn explain_open_failure(path: &Path) -> Option<Finding> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let problem = judge_file(&Facts::of(&meta), current_uid())?;
    Some(Finding::new(path, role_of(path), problem))
}

fn role_of(path: &Path) -> Role {
    match path.extension().and_then(|e| e.to_str()) {
        Some("idx") => Role::Summary,
        _ => Role::File,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: u32 = 1000;

    fn facts(kind: Kind, uid: u32, mode: u32) -> Facts {
        Facts { kind, uid, mode }
    }

    #[test]
    fn directories_must_be_mine_or_roots_and_not_writable_by_others() {
        assert_eq!(judge_dir(&facts(Kind::Dir, ME, 0o700), ME), None);
        assert_eq!(judge_dir(&facts(Kind::Dir, ME, 0o755), ME), None);
        assert_eq!(judge_dir(&facts(Kind::Dir, 0, 0o755), ME), None);
        assert_eq!(
            judge_dir(&facts(Kind::Dir, ME, 0o777), ME),
            Some(Problem::Writable { mode: 0o777 })
        );
        assert_eq!(
            judge_dir(&facts(Kind::Dir, ME, 0o770), ME),
            Some(Problem::Writable { mode: 0o770 })
        );
        assert_eq!(
            judge_dir(&facts(Kind::Dir, 0, 0o1777), ME),
            Some(Problem::Writable { mode: 0o1777 })
        );
        assert_eq!(
            judge_dir(&facts(Kind::Dir, 65534, 0o700), ME),
            Some(Problem::ForeignOwner {
                owner: 65534,
                me: ME
            })
        );
        assert_eq!(
            judge_dir(&facts(Kind::File, ME, 0o700), ME),
            Some(Problem::NotDirectory(Kind::File))
        );
    }

    #[test]
    fn root_trusts_only_its_own_files() {
        assert_eq!(judge_file(&facts(Kind::File, 0, 0o600), 0), None);
        assert_eq!(
            judge_file(&facts(Kind::File, 65534, 0o600), 0),
            Some(Problem::ForeignOwner {
                owner: 65534,
                me: 0
            })
        );
    }

    #[test]
    fn files_must_be_regular_mine_and_private_to_writes() {
        assert_eq!(judge_file(&facts(Kind::File, ME, 0o600), ME), None);
        assert_eq!(judge_file(&facts(Kind::File, ME, 0o644), ME), None);
        assert_eq!(
            judge_file(&facts(Kind::File, ME, 0o666), ME),
            Some(Problem::Writable { mode: 0o666 })
        );
        assert_eq!(
            judge_file(&facts(Kind::Symlink, ME, 0o777), ME),
            Some(Problem::Symlink)
        );
        for kind in [
            Kind::Fifo,
            Kind::Dir,
            Kind::CharDevice,
            Kind::BlockDevice,
            Kind::Socket,
        ] {
            assert_eq!(
                judge_file(&facts(kind, ME, 0o600), ME),
                Some(Problem::NotRegular(kind))
            );
        }
        assert!(matches!(
            judge_file(&facts(Kind::File, 4242, 0o600), ME),
            Some(Problem::ForeignOwner { owner: 4242, .. })
        ));
    }

    #[test]
    fn filesystem_magic_numbers() {
        assert_eq!(classify_fs(0x6969), FsClass::Network("nfs"));
        assert_eq!(classify_fs(0x517B), FsClass::Network("smb"));
        assert_eq!(classify_fs(0xFF53_4D42), FsClass::Network("cifs"));
        assert_eq!(classify_fs(0xFE53_4D42), FsClass::Network("smb2"));
        assert_eq!(classify_fs(0x6573_5546), FsClass::Fuse);
        assert_eq!(classify_fs(0xEF53), FsClass::Local); // ext4
        assert_eq!(classify_fs(0x0102_1994), FsClass::Local); // tmpfs
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn statfs_reads_the_magic_of_a_real_filesystem() {
        // /proc is procfs (PROC_SUPER_MAGIC) on every Linux, in a container too.
        assert_eq!(statfs_magic(Path::new("/proc")), Some(0x9FA0));
        assert_eq!(statfs_magic(Path::new("/no/such/dir")), None);
    }

    #[test]
    fn a_faked_filesystem_type_decides_refusal() {
        // f_type as a C long (glibc), as a sign-extended 32-bit int, and unsigned.
        for (raw, class) in [
            (0x6969_i64, FsClass::Network("nfs")),
            (0x517B, FsClass::Network("smb")),
            (0xFF53_4D42, FsClass::Network("cifs")),
            (0xFF53_4D42_u32 as i32 as i64, FsClass::Network("cifs")),
            (0xFE53_4D42_u32 as i32 as i64, FsClass::Network("smb2")),
            (0x6573_5546, FsClass::Fuse),
            (0xEF53, FsClass::Local),
            (0x5846_5342, FsClass::Local), // xfs
        ] {
            assert_eq!(classify_fs(fs_magic(raw)), class, "{raw:#x}");
        }
        for name in ["nfs", "smb", "cifs", "smb2"] {
            let network = FsClass::Network(name);
            assert_eq!(
                judge_fs(network, false),
                Some((Problem::NetworkFs { name }, Severity::Fail))
            );
            assert_eq!(judge_fs(network, true), None, "DEFER_ALLOW_NETWORK_FS=1");
        }
        for allow in [false, true] {
            assert_eq!(
                judge_fs(FsClass::Fuse, allow),
                Some((Problem::FuseFs, Severity::Warn))
            );
            assert_eq!(judge_fs(FsClass::Local, allow), None);
        }
    }

    #[test]
    fn messages_name_the_path_and_the_fix() {
        let dir = Finding::new(
            Path::new("/tmp/x"),
            Role::Dir,
            Problem::Writable { mode: 0o777 },
        );
        assert_eq!(
            dir.to_string(),
            "/tmp/x is writable by group and others (mode 0777); run 'chmod 700 /tmp/x' or \
             use a runtime dir you own"
        );
        let store = Finding::new(
            Path::new("/r/deferred.jsonl"),
            Role::Store,
            Problem::Symlink,
        );
        assert!(store.to_string().contains("DEFER_TASKS_FILE"), "{store}");
        let net = Finding::new(
            Path::new("/n/deferred.jsonl"),
            Role::Store,
            Problem::NetworkFs { name: "nfs" },
        );
        assert!(
            net.to_string().contains("(nfs)")
                && net.to_string().contains("DEFER_ALLOW_NETWORK_FS=1")
        );
        let odd = Finding::new(
            Path::new("/a b/$x"),
            Role::File,
            Problem::Writable { mode: 0o646 },
        );
        assert!(
            odd.to_string().contains("run 'chmod 600 \"/a b/\\$x\"'"),
            "{odd}"
        );
        for finding in [dir, store, net, odd] {
            assert!(!finding.to_string().contains('\n'));
        }
    }

    #[test]
    fn directories_are_listed_once() {
        let paths = Paths {
            runtime_dir: "/r".into(),
            tasks_file: "/r/deferred.jsonl".into(),
            archive_dir: "/r/archive".into(),
            log_dir: "/r/logs".into(),
            log_file: "/r/logs/deferred.log".into(),
        };
        assert_eq!(
            dirs(&paths),
            [PathBuf::from("/r"), "/r/logs".into(), "/r/archive".into()]
        );
    }

    #[test]
    fn findings_list_every_problem_and_require_stops_at_the_first() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("rt");
        std::fs::create_dir(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).unwrap();
        let paths = Paths {
            runtime_dir: root.clone(),
            tasks_file: root.join("deferred.jsonl"),
            archive_dir: root.join("archive"),
            log_dir: root.join("logs"),
            log_file: root.join("logs/deferred.log"),
        };
        std::os::unix::fs::symlink("/etc/passwd", &paths.tasks_file).unwrap();
        let all = findings(&paths, false);
        let problems: Vec<_> = all.iter().map(|f| f.problem).collect();
        assert!(
            problems.contains(&Problem::Writable { mode: 0o777 }),
            "{all:?}"
        );
        assert!(problems.contains(&Problem::Symlink), "{all:?}");
        let first = require(&paths).unwrap_err().to_string();
        assert!(first.contains("writable by"), "{first}");
    }
}
