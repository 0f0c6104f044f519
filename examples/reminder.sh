#!/usr/bin/env bash
# A reminder for a person: schedule a notify task in 10 minutes, preview when that is
# in local time, and see it in the human table.
set -euo pipefail
defer=${DEFER_BIN:-defer}

task=$("$defer" schedule --when 10m --intent notify \
  --summary "Stretch, drink water, check the build" --compact)
id=$(printf '%s\n' "$task" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
echo "scheduled $id"

# What "10m" means right now, in UTC, local time and relative form.
"$defer" when 10m

# The pending tasks, for people.
"$defer" list --format table | tee /dev/stderr | grep -q "$id"
