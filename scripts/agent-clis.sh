#!/usr/bin/env bash
# Installs the agent CLIs the tests use (pinned versions, from npm) into
# target/agent-clis: the example executors are checked against their argument parsing
# and offline behaviour, and `defer mcp` is registered in Claude Code
# (scripts/claude-mcp-test.sh). No network is needed to use them in tests.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/agent-clis
want="@anthropic-ai/claude-code@2.1.328 @openai/codex@0.171.0"
stamp="$dir/.installed"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
  [ -x "$dir/node_modules/.bin/claude" ] && [ -x "$dir/node_modules/.bin/codex" ]; then
  exit 0
fi
command -v npm >/dev/null 2>&1 || scripts/need.sh npm
mkdir -p "$dir"
echo "agent-clis: installing $want into $dir" >&2
# shellcheck disable=SC2086
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error $want >&2
echo "$want" >"$stamp"
