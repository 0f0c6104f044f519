#!/usr/bin/env bash
# A recurring task: preview its fires, run the first occurrence, see the next one the
# claim linked, skip that one with --occurrence, then end the series with a cancel.
set -euo pipefail
defer=${DEFER_BIN:-defer}

"$defer" when --every 1h --next 3 --compact | jq -r '.[].utc'

series=$("$defer" schedule --every 1h --when now --count 3 --summary "Poll the export" \
  --key export-poll --compact | jq -r .id)
"$defer" run

next=$("$defer" list --compact | jq -r '.[0].id')
[ "$("$defer" show "$next" --compact | jq -r .series.id)" = "$series" ]
[ "$("$defer" show "$next" --compact | jq -r .series.occurrence)" = 2 ]
echo "occurrence 2 is $next at $("$defer" show "$next" --compact | jq -r .run_at)"

"$defer" cancel "$next" --occurrence --compact >/dev/null
third=$("$defer" list --compact | jq -r '.[0].id')
[ "$("$defer" show "$third" --compact | jq -r .series.occurrence)" = 3 ]

# Cancelling the pending occurrence ends the series: nothing is left.
"$defer" cancel "$third" --compact >/dev/null
[ "$("$defer" list --compact | jq length)" -eq 0 ]
echo "series $series ended after 3 occurrences"
