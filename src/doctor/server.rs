//! Doctor over MCP: the checks ran in the server's own environment (what the host
//! started it with), which may not be cron's; this row says so and compares the two.

use std::path::{Path, PathBuf};

use super::{Crontab, Row};
use crate::config::Env;
use crate::cron;
use crate::cron::readback;

const CHECK: &str = "mcp_server";

/// What the crontab line's runner and this server use.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Setup {
    runtime_dir: Option<PathBuf>,
    executor: Option<PathBuf>,
}

/// The `mcp_server` row: `ok` when the crontab line's runtime dir and executor are the
/// server's (or there is no line to compare with: the crontab row says so), else `warn`
/// naming both.
pub(super) fn environment(env: &Env, crontab: &Crontab) -> Row {
    let here = Setup {
        runtime_dir: env.paths().ok().map(|p| p.runtime_dir),
        executor: env.executor(),
    };
    let checked = format!(
        "these checks read this MCP server's own environment (runtime dir {}, executor {})",
        shown(here.runtime_dir.as_deref()),
        shown(here.executor.as_deref())
    );
    let Some(cron) = cron_setup(env, crontab) else {
        return Row::ok(
            CHECK,
            format!("{checked}; no crontab line to compare it with (see the crontab check)"),
        );
    };
    let mut differences = Vec::new();
    if !same(cron.runtime_dir.as_deref(), here.runtime_dir.as_deref()) {
        differences.push(format!(
            "runtime dir {} for cron",
            shown(cron.runtime_dir.as_deref())
        ));
    }
    if !same(cron.executor.as_deref(), here.executor.as_deref()) {
        differences.push(format!(
            "executor {} for cron",
            shown(cron.executor.as_deref())
        ));
    }
    match differences.is_empty() {
        true => Row::ok(
            CHECK,
            format!("{checked}; the crontab line's runner uses the same"),
        ),
        false => Row::warn(
            CHECK,
            format!(
                "{checked}, but the crontab line's runner differs: {}",
                differences.join(", ")
            ),
            "register the server and install the crontab line from the same settings: \
             'defer mcp config' and 'defer cron --install' in one shell",
        ),
    }
}

/// The runtime dir and executor of the defer line in `crontab`, with the server's HOME
/// (cron sets HOME); `None` when there is no readable defer line.
fn cron_setup(env: &Env, crontab: &Crontab) -> Option<Setup> {
    let Crontab::Text(text) = crontab else {
        return None;
    };
    let line = readback::parse(text.lines().find(|l| cron::is_ours(l))?)?;
    let mut vars: Vec<(&str, &str)> = line
        .assignments
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Some(home) = env.get("HOME") {
        vars.push(("HOME", home));
    }
    let cron_env = Env::from_pairs(vars);
    Some(Setup {
        runtime_dir: cron_env.paths().ok().map(|p| p.runtime_dir),
        executor: cron_env.executor(),
    })
}

fn same(a: Option<&Path>, b: Option<&Path>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        },
        (a, b) => a == b,
    }
}

fn shown(path: Option<&Path>) -> String {
    path.map_or("none".to_string(), |p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::super::Level;
    use super::*;

    fn line(vars: &str) -> Crontab {
        Crontab::Text(format!(
            "MAILTO=me\n* * * * * {vars} /usr/bin/defer run {}\n",
            cron::MARKER
        ))
    }

    #[test]
    fn the_row_compares_runtime_dir_and_executor_with_the_crontab_line() {
        let env = Env::from_pairs([
            ("HOME", "/h"),
            ("DEFER_RUNTIME_DIR", "/rt"),
            ("DEFER_EXECUTOR", "/bin/exec"),
        ]);
        let row = environment(
            &env,
            &line("DEFER_RUNTIME_DIR=/rt DEFER_EXECUTOR=/bin/exec"),
        );
        assert_eq!(row.status, Level::Ok, "{row:?}");
        assert!(row.detail.contains("this MCP server's own environment"));

        let row = environment(&env, &line("DEFER_RUNTIME_DIR=/other"));
        assert_eq!(row.status, Level::Warn, "{row:?}");
        assert!(
            row.detail.contains("runtime dir /other for cron")
                && row.detail.contains("executor none for cron"),
            "{}",
            row.detail
        );

        let row = environment(&env, &Crontab::Text("0 3 * * * backup\n".into()));
        assert_eq!(row.status, Level::Ok);
        assert!(row.detail.contains("no crontab line"), "{}", row.detail);
    }
}
