#!/usr/bin/env bash
# `defer mcp` end to end with the official MCP Python SDK (tests/mcp/test_sdk.py): makes
# a virtual environment in target/mcp-venv, installs the pinned SDK into it once, and
# runs the test against the debug build. Needs python3 (3.10+) with venv and pip.
set -euo pipefail
cd "$(dirname "$0")/.."
MCP_SDK_VERSION=2.3.0
venv=target/mcp-venv
cargo build --quiet
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  # Debian and Ubuntu ship venv's pip bootstrap separately.
  scripts/need.sh ensurepip:python3-venv
fi
if ! "$venv/bin/python" -c "import mcp, importlib.metadata as m; assert m.version('mcp') == '$MCP_SDK_VERSION'" >/dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "mcp==$MCP_SDK_VERSION"
fi
exec env -u DEFER_TASKS_FILE -u DEFER_ARCHIVE_DIR -u DEFER_LOG_DIR -u DEFER_LOG_FILE \
  -u DEFER_EXECUTOR -u DEFER_CONTEXT_FILE \
  "$venv/bin/python" tests/mcp/test_sdk.py "$PWD/target/debug/defer"
