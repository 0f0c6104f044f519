//! The start gate (SPEC §19): the program is spawned behind `/bin/sh`, which waits for
//! one `go` line on stdin before it `exec`s the program (same pid, same start time),
//! so the runner can record the process before anything of the task runs. A runner
//! that dies before it opens the gate closes the pipe: the shell reads EOF and exits
//! 111, and the program never starts.

use std::path::Path;

use super::Invocation;

/// The shell's script. Program and arguments are positional parameters (`$0`, `$@`),
/// never parsed as shell text; `read` on a pipe consumes exactly the one line.
const SCRIPT: &str = r#"IFS= read -r gate && [ "$gate" = go ] || exit 111; exec "$0" "$@""#;

/// What opens the gate, before the task's stdin.
const OPEN: &[u8] = b"go\n";

/// The invocation of the gate in front of `inv`'s program: `/bin/sh -c SCRIPT PROGRAM
/// ARGS...`. The program path always holds a `/` (`executor::resolve`), so `exec`
/// does no `PATH` search of its own.
pub(super) fn wrap<'a>(inv: &Invocation<'a>) -> Gated<'a> {
    let mut args = vec!["-c".to_string(), SCRIPT.to_string()];
    args.push(inv.program.display().to_string());
    args.extend(inv.args.iter().cloned());
    Gated {
        args,
        inner: Invocation {
            program: Path::new("/bin/sh"),
            args: &[],
            stdin: inv.stdin,
            env: inv.env,
            output_file: inv.output_file,
        },
    }
}

/// The gate's invocation, owning its arguments.
pub(super) struct Gated<'a> {
    args: Vec<String>,
    inner: Invocation<'a>,
}

impl<'a> Gated<'a> {
    pub(super) fn invocation(&'a self) -> Invocation<'a> {
        Invocation {
            args: &self.args,
            ..self.inner
        }
    }
}

/// The gate's stdin: the `go` line, then the task's own.
pub(super) fn open(stdin: &[u8]) -> Vec<u8> {
    [OPEN, stdin].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_and_its_arguments_stay_parameters() {
        let program = Path::new("/opt/x/agent; rm -rf ~");
        let args = vec!["$(id)".to_string(), "a b".to_string()];
        let inv = Invocation {
            program,
            args: &args,
            stdin: b"{}\n",
            env: &[],
            output_file: Path::new("/tmp/out"),
        };
        let gated = wrap(&inv);
        let inner = gated.invocation();
        assert_eq!(inner.program, Path::new("/bin/sh"));
        assert_eq!(
            inner.args,
            ["-c", SCRIPT, "/opt/x/agent; rm -rf ~", "$(id)", "a b"]
        );
        assert_eq!(open(b"{}\n"), b"go\n{}\n");
    }
}
