#!/usr/bin/env bash
# Schedule a follow-up that starts from a project's CONTEXT.md rather than from stale
# chat memory: `defer reorient` shows the snapshot, `schedule --reorient` stores it
# (explicit flags on top), and the due run's prompt carries it.
#
# Runs against DEFER_RUNTIME_DIR (set it to a scratch dir to try it out).
set -euo pipefail
defer=${DEFER_BIN:-defer}
here=$(cd "$(dirname "$0")" && pwd)

# A project under ~/data/research/projects/<name>/ is found by --project.
project_dir="$HOME/data/research/projects/billing"
mkdir -p "$project_dir"
cp "$here/context/CONTEXT.md" "$project_dir/CONTEXT.md"

echo "== the snapshot an agent would restate before acting"
"$defer" reorient --project billing

echo "== schedule a follow-up due now, reoriented from that project"
task=$("$defer" schedule --when now --reorient --project billing \
  --key-point "Ramp to 10% if the error rate is still flat" \
  --prompt-template "Check the billing error dashboard, then decide on the next ramp step." \
  --compact)
id=$(jq -r .id <<<"$task")
jq -r '"scheduled \(.id): \(.context.summary)"' <<<"$task"

# The snapshot came first, the explicit key point after it.
[ "$(jq -r '.context.key_points[-1]' <<<"$task")" = "Ramp to 10% if the error rate is still flat" ]
[ "$(jq -r '.context.reoriented_from' <<<"$task")" = "$project_dir/CONTEXT.md" ]

echo "== run it (cron does this every minute)"
"$defer" run
prompt="${DEFER_RUNTIME_DIR}/logs/$id.prompt.txt"
cat "$prompt"
grep -q "Avoid: Do not migrate historical invoices in this phase" "$prompt"
