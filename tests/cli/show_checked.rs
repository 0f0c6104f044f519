//! `show --output|--prompt` read through the checked opens (SPEC §11): never through a
//! symlink, never blocking on a FIFO, a large output streamed whole; `--follow` across
//! a file renamed over the output.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{schedule_due, wait_until, Env};

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a path in the test's own temp dir, with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

fn logs(env: &Env) -> std::path::PathBuf {
    let dir = env.log_dir();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn output_and_prompt_are_not_read_through_a_symlink() {
    let env = Env::new();
    let secret = env.root().join("secret.txt");
    std::fs::write(&secret, "sk-live-secret\n").unwrap();
    env.schedule("t1", "s");
    let output = logs(&env).join("t1.output.txt");
    std::os::unix::fs::symlink(&secret, &output).unwrap();
    let out = env.cmd(&["show", "t1", "--output"]).failure(1);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.error_line().contains(&output.display().to_string()),
        "{}",
        out.error_line()
    );

    schedule_due(&env, "t2", &[]);
    env.cmd(&["run"]).success();
    let prompt = env.log_dir().join("t2.prompt.txt");
    assert!(prompt.is_file(), "the run wrote the prompt");
    std::fs::remove_file(&prompt).unwrap();
    std::os::unix::fs::symlink(&secret, &prompt).unwrap();
    let out = env.cmd(&["show", "t2", "--prompt"]).failure(1);
    assert!(!out.stdout.contains("sk-live") && !out.stderr.contains("sk-live"));
    assert!(
        out.error_line().contains(&prompt.display().to_string()),
        "{}",
        out.error_line()
    );
}

#[test]
fn a_fifo_as_output_is_an_error_at_once() {
    let env = Env::new();
    env.schedule("t1", "s");
    mkfifo(&logs(&env).join("t1.output.txt"));
    let started = Instant::now();
    let out = env
        .cmd(&["show", "t1", "--output"])
        .timeout(Duration::from_secs(10))
        .failure(1);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        out.error_line().starts_with("defer: "),
        "{}",
        out.error_line()
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_large_output_is_streamed_whole() {
    let env = Env::new();
    env.schedule("t1", "s");
    let text: String = (0..200_000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(logs(&env).join("t1.output.txt"), &text).unwrap();
    let out = env.cmd(&["show", "t1", "--output"]).success();
    assert_eq!(out.stdout.len(), text.len());
    assert!(out.stdout == text, "byte for byte");
}

#[test]
fn follow_continues_into_a_file_renamed_over_the_output() {
    let env = Env::new();
    let go = env.root().join("go");
    let executor = env.write_executor(
        "renames",
        r#"out="$(dirname "$DEFER_PROMPT_PATH")/$DEFER_TASK_ID.output.txt"
echo one; echo two
while [ ! -e "$GO" ]; do sleep 0.05; done
printf 'a new attempt, longer than what was copied\n' > "$out.new"
mv "$out.new" "$out"
sleep 0.5
echo tail >> "$out""#,
    );
    schedule_due(&env, "re", &[]);
    let mut runner = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", executor.to_str().unwrap())
        .env("GO", go.to_str().unwrap())
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the task executes", Duration::from_secs(20), || {
        env.latest()
            .get("re")
            .is_some_and(|t| t["status"] == "executing")
    });
    let mut follow = env
        .cmd(&["show", "re", "--output", "--follow"])
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(follow.stdout.take().unwrap());
    let mut line = String::new();
    for expected in ["one\n", "two\n"] {
        line.clear();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line, expected);
    }
    std::fs::write(&go, "").unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "a new attempt, longer than what was copied\ntail\n");
    assert!(follow.wait().unwrap().success());
    assert!(runner.wait().unwrap().success());
}
