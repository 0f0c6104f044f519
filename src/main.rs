//! The `defer` binary: all work happens in `defer::cli`.

fn main() -> std::process::ExitCode {
    defer::cli::main()
}
