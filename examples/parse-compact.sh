#!/usr/bin/env bash
# Scripts read `--compact` output (one JSON line) with jq: capture an id, list ids,
# cancel one, and check its status.
set -euo pipefail
defer=${DEFER_BIN:-defer}

keep=$("$defer" schedule --when 1h --summary "Rotate the logs" --compact | jq -r .id)
drop=$("$defer" schedule --when 2h --summary "Obsolete cleanup" --compact | jq -r .id)

echo "pending:"
"$defer" list --compact | jq -r '.[].id'
[ "$("$defer" list --compact | jq length)" -eq 2 ]

"$defer" cancel "$drop" --reason "no longer needed" --compact | jq -r '"cancelled " + .id'

status=$("$defer" show "$drop" --compact | jq -r .status)
[ "$status" = cancelled ] || { echo "expected cancelled, got $status" >&2; exit 1; }
[ "$("$defer" list --compact | jq -r '.[].id')" = "$keep" ]
echo "$drop is $status; still pending: $keep"
