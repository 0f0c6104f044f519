#!/usr/bin/env bash
# Makes sure each named command exists, installing its Debian package if it does not.
# Usage: scripts/need.sh jq [hyperfine ...] [/usr/bin/time:time ...]
# An argument `cmd:package` checks `cmd` (a name or a path) and installs `package`.
set -euo pipefail
missing=()
for tool in "$@"; do
  cmd="${tool%%:*}"
  pkg="${tool#*:}"
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if command -v apt-get >/dev/null 2>&1; then
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
elif command -v brew >/dev/null 2>&1; then
  brew install "${missing[@]}"
else
  echo "please install: ${missing[*]}" >&2
  exit 1
fi
