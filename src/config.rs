//! Settings from the environment (`DEFER_*`, `TZ`, `HOME`): paths and runner knobs.
//! Every bad value is an error naming its variable; nothing falls back silently.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use chrono_tz::Tz;

pub mod vars;

pub use vars::KNOWN_VARS;
use vars::{Kind, Role};

/// The largest delay or timeout a setting accepts: ten years, in seconds.
pub const MAX_SECONDS: u64 = 315_360_000;

/// Where state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub runtime_dir: PathBuf,
    pub tasks_file: PathBuf,
    pub archive_dir: PathBuf,
    pub log_dir: PathBuf,
    pub log_file: PathBuf,
}

impl Paths {
    /// The store's lock file, beside the store and never renamed.
    pub fn store_lock(&self) -> PathBuf {
        sibling(&self.tasks_file, ".lock")
    }

    /// The runner lock: one `run` (or `archive`, `execute --id`) at a time.
    pub fn runner_lock(&self) -> PathBuf {
        sibling(&self.tasks_file, ".run.lock")
    }

    /// The store's summary (`store::summary`): [`summary_of`] the store.
    pub fn summary_file(&self) -> PathBuf {
        summary_of(&self.tasks_file)
    }

    pub fn prompt_path(&self, id: &str) -> PathBuf {
        self.log_dir.join(format!("{id}.prompt.txt"))
    }

    pub fn output_path(&self, id: &str) -> PathBuf {
        self.log_dir.join(format!("{id}.output.txt"))
    }

    /// The executor's report of its last attempt (`DEFER_REPORT_PATH`, SPEC §22).
    pub fn report_path(&self, id: &str) -> PathBuf {
        self.log_dir.join(format!("{id}.report.json"))
    }

    /// Locked by the worker running the task, while it runs (§20).
    pub fn task_lock_path(&self, id: &str) -> PathBuf {
        self.log_dir.join(format!("{id}.lock"))
    }

    /// The first 64 KiB of the output of the last hook run for the task.
    pub fn hook_output_path(&self, id: &str) -> PathBuf {
        self.log_dir.join(format!("{id}.hook.txt"))
    }

    pub fn archive_file(&self, year_month: &str) -> PathBuf {
        self.archive_dir
            .join(format!("deferred_{year_month}.jsonl"))
    }
}

impl Paths {
    fn all_mut(&mut self) -> [&mut PathBuf; 5] {
        [
            &mut self.runtime_dir,
            &mut self.tasks_file,
            &mut self.archive_dir,
            &mut self.log_dir,
            &mut self.log_file,
        ]
    }

    fn is_absolute(&self) -> bool {
        [
            &self.runtime_dir,
            &self.tasks_file,
            &self.archive_dir,
            &self.log_dir,
            &self.log_file,
        ]
        .iter()
        .all(|p| p.is_absolute())
    }

    /// Every path made absolute against `cwd` (pure: no file-system access).
    pub fn absolute_in(mut self, cwd: &Path) -> Paths {
        for path in self.all_mut() {
            if path.is_relative() {
                *path = cwd.join(&*path);
            }
        }
        self
    }

    /// Resolves the existing part of each directory (the files' parents, and the
    /// directories themselves) to its canonical form. The default layout costs one
    /// `realpath`: paths under the runtime directory reuse its resolution.
    fn resolved(mut self) -> Paths {
        let spelled_runtime = self.runtime_dir.clone();
        let runtime = resolve_dir(&spelled_runtime);
        let resolve = |dir: &Path| match dir.strip_prefix(&spelled_runtime) {
            Ok(rest) if rest.as_os_str().is_empty() => runtime.clone(),
            Ok(rest) if rest.components().all(|c| matches!(c, Component::Normal(_))) => {
                runtime.join(rest)
            }
            _ => resolve_dir(dir),
        };
        let resolve_parent = |file: &Path| match (file.parent(), file.file_name()) {
            (Some(dir), Some(name)) => resolve(dir).join(name),
            _ => file.to_path_buf(),
        };
        self.tasks_file = resolve_parent(&self.tasks_file);
        self.log_file = resolve_parent(&self.log_file);
        self.archive_dir = resolve(&self.archive_dir);
        self.log_dir = resolve(&self.log_dir);
        self.runtime_dir = runtime;
        self
    }
}

/// `dir` with its longest existing prefix canonicalized and the rest appended.
fn resolve_dir(dir: &Path) -> PathBuf {
    let mut existing = dir;
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            return rest.iter().rev().fold(real, |acc, part| acc.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return dir.to_path_buf(),
        }
    }
}

/// The summary file of the store at `store`: `<store>.idx`, beside it.
pub fn summary_of(store: &Path) -> PathBuf {
    sibling(store, ".idx")
}

fn sibling(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    file.with_file_name(name)
}

/// A snapshot of the variables `defer` reads. Tests build one from a map.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

/// True for the settings of [`KNOWN_VARS`] that name a hook's program (`DEFER_ON_*`,
/// SPEC §14); `runner::hooks::Hook` has one hook for each.
pub fn is_hook_var(name: &str) -> bool {
    vars::find(name).is_some_and(|var| var.role == Role::Setting && var.kind == Kind::Hook)
}

impl Env {
    /// The process's environment. A variable whose name or value is not UTF-8 is
    /// skipped, unless `defer` reads it (`DEFER_*`, `TZ`, `HOME`, `PATH`, `COLUMNS`):
    /// then it is an error naming it.
    pub fn from_process() -> Result<Self> {
        Self::from_os_pairs(std::env::vars_os())
    }

    /// [`Env::from_process`] on any list of (name, value).
    pub fn from_os_pairs(
        pairs: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    ) -> Result<Self> {
        let mut vars = HashMap::new();
        let mut invalid = Vec::new();
        for (name, value) in pairs {
            match (name.into_string(), value.into_string()) {
                (Ok(name), Ok(value)) => {
                    vars.insert(name, value);
                }
                (Ok(name), Err(value)) if is_read(&name) => invalid.push((name, value)),
                _ => {}
            }
        }
        invalid.sort();
        match invalid.first() {
            None => Ok(Env { vars }),
            Some((name, value)) => bail!(
                "{name} is not valid UTF-8 ('{}') (accepted: UTF-8 text; fix or unset it)",
                crate::text::escape_os(value)
            ),
        }
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Every variable, as (name, value).
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A set, non-empty variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn home(&self) -> Option<PathBuf> {
        self.get("HOME").map(PathBuf::from)
    }

    fn path_or(&self, name: &str, default: impl FnOnce() -> PathBuf) -> PathBuf {
        self.get(name).map(PathBuf::from).unwrap_or_else(default)
    }

    /// Where state lives, made absolute (a relative value is read against the working
    /// directory) and with its existing directories resolved (symlinks, `..`), so that
    /// every spelling of a directory gives the same paths, stored paths work from any
    /// directory, and a cron job finds the same files. The file names themselves are
    /// kept: a store that is a symlink is refused (`trust`), not resolved.
    pub fn paths(&self) -> Result<Paths> {
        let spelled = self.spelled_paths()?;
        let cwd = if spelled.is_absolute() {
            PathBuf::new()
        } else {
            std::env::current_dir().map_err(|e| {
                anyhow!(
                    "a DEFER_* path or HOME is relative and the working directory is unknown: {e}"
                )
            })?
        };
        Ok(spelled.absolute_in(&cwd).resolved())
    }

    /// The paths as the variables spell them.
    fn spelled_paths(&self) -> Result<Paths> {
        let runtime_dir = match self.get("DEFER_RUNTIME_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => self
                .home()
                .ok_or_else(|| anyhow!("neither DEFER_RUNTIME_DIR nor HOME is set"))?
                .join("data/runtime"),
        };
        let log_dir = self.path_or("DEFER_LOG_DIR", || runtime_dir.join("logs"));
        Ok(Paths {
            tasks_file: self.path_or("DEFER_TASKS_FILE", || runtime_dir.join("deferred.jsonl")),
            archive_dir: self.path_or("DEFER_ARCHIVE_DIR", || runtime_dir.join("archive")),
            log_file: self.path_or("DEFER_LOG_FILE", || log_dir.join("deferred.log")),
            log_dir,
            runtime_dir,
        })
    }

    /// `DEFER_ALLOW_NETWORK_FS=1` lets the store live on NFS/CIFS (SPEC §11).
    pub fn allow_network_fs(&self) -> Result<bool> {
        match self.get("DEFER_ALLOW_NETWORK_FS").map(str::trim) {
            None | Some("0") => Ok(false),
            Some("1") => Ok(true),
            Some(other) => bail!(
                "invalid DEFER_ALLOW_NETWORK_FS '{other}' (accepted: 1 to allow a store on a network filesystem, 0 or unset to refuse)"
            ),
        }
    }

    /// `DEFER_TIMEZONE`, else `TZ`, else the system zone, else UTC.
    pub fn timezone(&self) -> Result<Tz> {
        if let Some(name) = self.get("DEFER_TIMEZONE") {
            return parse_zone(name, "DEFER_TIMEZONE");
        }
        if let Some(name) = self.get("TZ") {
            return parse_zone(name.trim_start_matches(':'), "TZ");
        }
        Ok(system_zone().unwrap_or(Tz::UTC))
    }

    /// `DEFER_EXECUTOR`, if set. Whether it is executable is checked per task.
    pub fn executor(&self) -> Option<PathBuf> {
        self.get("DEFER_EXECUTOR").map(PathBuf::from)
    }

    pub fn retry_delay(&self) -> Result<Duration> {
        self.seconds("DEFER_RETRY_DELAY_SECONDS")
    }

    /// `None` means no limit (`0`).
    pub fn executor_timeout(&self) -> Result<Option<Duration>> {
        let limit = self.seconds("DEFER_EXECUTOR_TIMEOUT_SECONDS")?;
        Ok((!limit.is_zero()).then_some(limit))
    }

    /// `DEFER_GRACE_SECONDS` (default 600, at most 10 years): lateness allowed before
    /// the missed-run policy applies (SPEC §12).
    pub fn grace_seconds(&self) -> Result<u64> {
        Ok(self.seconds("DEFER_GRACE_SECONDS")?.as_secs())
    }

    /// `DEFER_RUNNER_CHECK`: unset, empty or `1` → warn when no runner ran lately
    /// (`heartbeat::warning`); `0` → silent; anything else is an error naming the variable.
    pub fn runner_check(&self) -> Result<bool> {
        match self.get("DEFER_RUNNER_CHECK") {
            None | Some("1") => Ok(true),
            Some("0") => Ok(false),
            Some(other) => bail!(
                "invalid DEFER_RUNNER_CHECK '{}' (accepted: 1 to warn when no 'defer run' ran lately, 0 to silence it)",
                other.escape_debug()
            ),
        }
    }

    /// A hook variable's program (`DEFER_ON_*`, SPEC §14; see [`is_hook_var`]), as
    /// written. A value that could never name a program (control characters, only
    /// spaces) is an error naming the variable; whether the program exists and is
    /// executable is checked each time it would run (`runner::hooks`).
    pub fn hook_program(&self, var: &str) -> Result<Option<PathBuf>> {
        let Some(value) = self.get(var) else {
            return Ok(None);
        };
        if value.trim().is_empty() || value.chars().any(crate::text::is_unsafe) {
            bail!(
                "invalid {var} '{}' (accepted: the path of an executable file, or a program name on PATH)",
                crate::text::escape_control(value)
            );
        }
        Ok(Some(PathBuf::from(value)))
    }

    /// Every setting (SPEC §2: each `DEFER_*` variable, and `TZ` as the zone's
    /// fallback) read as the commands read it; the first bad one is an error naming the
    /// variable. The one check: the CLI runs it before every command that uses the
    /// store or writes settings elsewhere (`cron`, `mcp config`), the MCP server before
    /// each tool, and `doctor`'s `settings` row reports it, so they all agree.
    pub fn validate(&self) -> Result<()> {
        match self.problems().into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }

    /// Every bad setting, one error each (`validate` reports the first). Each variable
    /// that `vars::VARS` marks checked (`Var::checked`) has its check here, in this
    /// order; a test holds the two together.
    pub fn problems(&self) -> Vec<anyhow::Error> {
        [
            self.timezone().err(),
            self.retry_delay().err(),
            self.executor_timeout().err(),
            self.grace_seconds().err(),
            self.allow_network_fs().err(),
            self.runner_check().err(),
            self.lane_limits().err(),
            // The first bad hook, as the runner reads them (`Hooks::from_env`).
            KNOWN_VARS
                .iter()
                .filter(|var| is_hook_var(var))
                .find_map(|var| self.hook_program(var).err()),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// `DEFER_MAX_PARALLEL` and `DEFER_LANES` (SPEC §20); a bad value is an error naming
    /// its variable.
    pub fn lane_limits(&self) -> Result<crate::lanes::Limits> {
        crate::lanes::Limits::parse(self.get("DEFER_MAX_PARALLEL"), self.get("DEFER_LANES"))
    }

    pub fn context_file(&self) -> Option<PathBuf> {
        self.get("DEFER_CONTEXT_FILE").map(PathBuf::from)
    }

    /// A delay or timeout: whole seconds, its default and bound (`MAX_SECONDS`, SPEC
    /// §11, so no timestamp arithmetic on it can overflow) from [`vars::VARS`].
    fn seconds(&self, name: &str) -> Result<Duration> {
        let Kind::Seconds { default, max } = vars::get(name).kind else {
            unreachable!("{name} is not a setting in seconds")
        };
        match self.get(name) {
            None => Ok(Duration::from_secs(default)),
            Some(text) => match text.trim().parse::<u64>() {
                Ok(secs) if secs <= max => Ok(Duration::from_secs(secs)),
                _ => bail!("invalid {name} '{text}' (accepted: whole seconds from 0 to {max})"),
            },
        }
    }
}

/// `DEFER_*`, or a variable outside it that `defer` reads (`Role::System`).
fn is_read(name: &str) -> bool {
    name.starts_with("DEFER_") || vars::find(name).is_some_and(|var| var.role == Role::System)
}

fn parse_zone(name: &str, var: &str) -> Result<Tz> {
    if let Some(zone) = name.strip_prefix('/').and_then(zone_from_path) {
        return Ok(zone);
    }
    name.parse::<Tz>().map_err(|_| {
        anyhow!("invalid {var} '{name}' (accepted: an IANA zone name such as America/New_York, Europe/Paris or UTC)")
    })
}

/// `/usr/share/zoneinfo/Europe/Paris` → `Europe/Paris`.
fn zone_from_path(path: &str) -> Option<Tz> {
    let (_, name) = path.split_once("zoneinfo/")?;
    name.parse().ok()
}

fn system_zone() -> Option<Tz> {
    iana_time_zone::get_timezone().ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_hang_off_home() {
        let paths = Env::from_pairs([("HOME", "/h")]).paths().unwrap();
        assert_eq!(
            paths.tasks_file,
            Path::new("/h/data/runtime/deferred.jsonl")
        );
        assert_eq!(paths.archive_dir, Path::new("/h/data/runtime/archive"));
        assert_eq!(
            paths.log_file,
            Path::new("/h/data/runtime/logs/deferred.log")
        );
        assert_eq!(
            paths.store_lock(),
            Path::new("/h/data/runtime/deferred.jsonl.lock")
        );
    }

    #[test]
    fn each_path_can_be_moved() {
        let env = Env::from_pairs([
            ("DEFER_RUNTIME_DIR", "/r"),
            ("DEFER_LOG_DIR", "/l"),
            ("DEFER_TASKS_FILE", "/t/tasks.jsonl"),
        ]);
        let paths = env.paths().unwrap();
        assert_eq!(paths.log_file, Path::new("/l/deferred.log"));
        assert_eq!(paths.archive_dir, Path::new("/r/archive"));
        assert_eq!(paths.runner_lock(), Path::new("/t/tasks.jsonl.run.lock"));
    }

    #[test]
    fn relative_paths_are_read_against_the_working_directory() {
        let env = Env::from_pairs([
            ("DEFER_RUNTIME_DIR", "rt"),
            ("DEFER_TASKS_FILE", "../t/tasks.jsonl"),
            ("DEFER_LOG_FILE", "/abs/log"),
        ]);
        let paths = env
            .spelled_paths()
            .unwrap()
            .absolute_in(Path::new("/work/dir"));
        assert_eq!(paths.runtime_dir, Path::new("/work/dir/rt"));
        assert_eq!(paths.tasks_file, Path::new("/work/dir/../t/tasks.jsonl"));
        assert_eq!(paths.log_dir, Path::new("/work/dir/rt/logs"));
        assert_eq!(paths.archive_dir, Path::new("/work/dir/rt/archive"));
        assert_eq!(paths.log_file, Path::new("/abs/log"));
        let home = Env::from_pairs([("HOME", "h")]).spelled_paths().unwrap();
        assert!(!home.is_absolute());
        assert!(home.absolute_in(Path::new("/c")).is_absolute());
    }

    #[test]
    fn existing_directories_are_resolved_and_file_names_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(tmp.path()).unwrap().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        std::os::unix::fs::symlink("/nowhere", real.join("deferred.jsonl")).unwrap();
        let env = Env::from_pairs([("DEFER_RUNTIME_DIR", link.to_str().unwrap())]);
        let paths = env.paths().unwrap();
        assert_eq!(paths.runtime_dir, real);
        assert_eq!(paths.tasks_file, real.join("deferred.jsonl"));
        assert_eq!(paths.log_file, real.join("logs/deferred.log"));
        // Missing parts are appended to the resolved existing prefix.
        assert_eq!(resolve_dir(&link.join("a/b")), real.join("a/b"));
        let up = Env::from_pairs([("DEFER_RUNTIME_DIR", link.join("x/..").to_str().unwrap())]);
        assert!(up.paths().unwrap().runtime_dir.is_absolute());
    }

    #[test]
    fn allow_network_fs_is_0_or_1() {
        assert!(!Env::default().allow_network_fs().unwrap());
        let with = |v| Env::from_pairs([("DEFER_ALLOW_NETWORK_FS", v)]).allow_network_fs();
        assert!(with("1").unwrap());
        assert!(!with("0").unwrap());
        let err = with("true").unwrap_err().to_string();
        assert!(err.contains("DEFER_ALLOW_NETWORK_FS 'true'"), "{err}");
    }

    #[test]
    fn no_home_no_runtime_dir_is_an_error() {
        assert!(Env::default().paths().is_err());
    }

    #[test]
    fn timezone_precedence_and_errors() {
        let env = Env::from_pairs([("DEFER_TIMEZONE", "Asia/Kolkata"), ("TZ", "UTC")]);
        assert_eq!(env.timezone().unwrap(), Tz::Asia__Kolkata);
        let env = Env::from_pairs([("TZ", ":Europe/Paris")]);
        assert_eq!(env.timezone().unwrap(), Tz::Europe__Paris);
        let env = Env::from_pairs([("TZ", "/usr/share/zoneinfo/Asia/Tokyo")]);
        assert_eq!(env.timezone().unwrap(), Tz::Asia__Tokyo);
        let err = Env::from_pairs([("DEFER_TIMEZONE", "Mars/Base")])
            .timezone()
            .unwrap_err()
            .to_string();
        assert!(err.contains("DEFER_TIMEZONE 'Mars/Base'"), "{err}");
    }

    #[test]
    fn non_utf8_values_are_skipped_unless_defer_reads_them() {
        use std::ffi::OsString;
        use std::os::unix::ffi::OsStringExt;
        let bad = || OsString::from_vec(b"/tmp/\xff".to_vec());
        let ok = |text: &str| OsString::from(text);
        let env = Env::from_os_pairs([
            (ok("LANG_JUNK"), bad()),
            (OsString::from_vec(b"N\xff".to_vec()), ok("x")),
            (ok("HOME"), ok("/h")),
        ])
        .unwrap();
        assert_eq!(env.home(), Some(PathBuf::from("/h")));
        assert_eq!(env.vars().count(), 1);
        for name in ["DEFER_LOG_DIR", "DEFER_SOMETHING_NEW", "TZ", "HOME", "PATH"] {
            let err = Env::from_os_pairs([(ok(name), bad()), (ok("OTHER"), bad())])
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("{name} is not valid UTF-8 ('/tmp/\\xFF')")),
                "{err}"
            );
        }
    }

    #[test]
    fn runner_check_is_1_or_0() {
        let env = |v: &str| Env::from_pairs([("DEFER_RUNNER_CHECK", v)]);
        assert!(Env::default().runner_check().unwrap());
        assert!(env("").runner_check().unwrap());
        assert!(env("1").runner_check().unwrap());
        assert!(!env("0").runner_check().unwrap());
        let err = env("maybe").runner_check().unwrap_err().to_string();
        assert!(err.contains("DEFER_RUNNER_CHECK 'maybe'"), "{err}");
        assert!(env("\n0")
            .runner_check()
            .unwrap_err()
            .to_string()
            .contains("\\n0"));
    }

    #[test]
    fn hook_programs_are_checked_and_kept_as_written() {
        let env = Env::from_pairs([("DEFER_ON_MISSED", "notify-send")]);
        let program = env.hook_program("DEFER_ON_MISSED").unwrap();
        assert_eq!(program, Some(PathBuf::from("notify-send")));
        assert_eq!(env.hook_program("DEFER_ON_SUCCESS").unwrap(), None);
        let env = Env::from_pairs([("DEFER_ON_SUCCESS", " "), ("DEFER_ON_MISSED", "a\nb")]);
        let problems: Vec<String> = env.problems().iter().map(|e| e.to_string()).collect();
        // The first bad hook only, as the runner reads them.
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("invalid DEFER_ON_SUCCESS ' '"),
            "{problems:?}"
        );
        assert!(is_hook_var("DEFER_ON_FAILURE") && !is_hook_var("DEFER_EXECUTOR"));
    }

    #[test]
    fn the_summary_is_beside_the_store() {
        let paths = Env::from_pairs([("HOME", "/h"), ("DEFER_TASKS_FILE", "/t/tasks.jsonl")])
            .paths()
            .unwrap();
        assert_eq!(paths.summary_file(), Path::new("/t/tasks.jsonl.idx"));
    }

    #[test]
    fn numeric_settings() {
        let env = Env::from_pairs([("DEFER_EXECUTOR_TIMEOUT_SECONDS", "0")]);
        assert_eq!(env.executor_timeout().unwrap(), None);
        assert_eq!(env.retry_delay().unwrap(), Duration::from_secs(60));
        let err = Env::from_pairs([("DEFER_RETRY_DELAY_SECONDS", "soon")])
            .retry_delay()
            .unwrap_err()
            .to_string();
        assert!(err.contains("DEFER_RETRY_DELAY_SECONDS 'soon'"), "{err}");
        assert!(Env::from_pairs([("DEFER_RETRY_DELAY_SECONDS", "-5")])
            .retry_delay()
            .is_err());
    }

    #[test]
    fn numeric_settings_are_bounded_to_ten_years() {
        let at = |name: &str, value: &str| Env::from_pairs([(name, value)]);
        let delay = at("DEFER_RETRY_DELAY_SECONDS", "315360000").retry_delay();
        assert_eq!(delay.unwrap(), Duration::from_secs(315_360_000));
        let timeout = at("DEFER_EXECUTOR_TIMEOUT_SECONDS", "315360000").executor_timeout();
        assert_eq!(timeout.unwrap(), Some(Duration::from_secs(315_360_000)));
        for value in [
            "315360001",
            "10000000000000",
            "18446744073709551615",
            "18446744073709551616",
        ] {
            let err = at("DEFER_RETRY_DELAY_SECONDS", value)
                .retry_delay()
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                format!("invalid DEFER_RETRY_DELAY_SECONDS '{value}' (accepted: whole seconds from 0 to 315360000)")
            );
            let err = at("DEFER_EXECUTOR_TIMEOUT_SECONDS", value).executor_timeout();
            assert!(err
                .unwrap_err()
                .to_string()
                .contains("DEFER_EXECUTOR_TIMEOUT_SECONDS"));
        }
    }
}
