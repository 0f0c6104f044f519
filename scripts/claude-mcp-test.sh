#!/usr/bin/env bash
# `defer mcp` registered in a real MCP host this project did not write: the Claude Code
# CLI (npm package @anthropic-ai/claude-code, pinned in scripts/agent-clis.sh, which
# installs it into target/agent-clis). With HOME and the runtime dir in a temp dir, it runs the line
# `defer mcp config --client claude` prints, then `claude mcp list` and `claude mcp get
# defer` must show the server connected (they start it and speak MCP to it; no network
# or login needed). Needs npm; prints one line per check and `claude mcp: N passed, M
# failed`; exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/agent-clis.sh
claude="$PWD/target/agent-clis/node_modules/.bin/claude"
cargo build --quiet
bin="$PWD/target/debug/defer"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home"
passed=0
failed=0
check() { # name, then a command that must succeed
  local name=$1
  shift
  if "$@" >"$tmp/out" 2>&1; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name: $(tr '\n' ' ' <"$tmp/out")"
    failed=$((failed + 1))
  fi
}
# A clean environment: only this test's HOME, runtime dir and zone, and no auto-update
# or other traffic from the host.
run() {
  env -i PATH="$(dirname "$claude"):/usr/local/bin:/usr/bin:/bin" HOME="$tmp/home" \
    DEFER_RUNTIME_DIR="$tmp/runtime" DEFER_TIMEZONE=UTC DEFER_RUNNER_CHECK=0 \
    DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    timeout 120 "$@"
}

line=$(run "$bin" mcp config --client claude)
check "defer mcp config --client claude prints a 'claude mcp add' line" \
  grep -q "^claude mcp add --scope user defer .*-- $bin mcp\$" <<<"$line"
check "that line registers the server ($("$claude" --version))" run bash -c "$line"
check "the registration is in \$HOME/.claude.json with the runtime dir" \
  grep -q "$tmp/runtime" "$tmp/home/.claude.json"
check "claude mcp list: defer ... ✔ Connected" \
  bash -c "$(declare -f run); tmp='$tmp' claude='$claude'; run claude mcp list | tee /dev/stderr | grep -q '^defer: $bin mcp - ✔ Connected'"
check "claude mcp get defer: Status: ✔ Connected" \
  bash -c "$(declare -f run); tmp='$tmp' claude='$claude'; run claude mcp get defer | grep -q 'Status: ✔ Connected'"
check "nothing was written to the store by connecting" test ! -e "$tmp/runtime/deferred.jsonl"
echo "claude mcp: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
