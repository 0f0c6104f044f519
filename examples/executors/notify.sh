#!/bin/sh
# notify.sh — a defer executor that records a one-line notification for a due task.
#
# Use:   DEFER_EXECUTOR=/path/to/notify.sh   (in the crontab line for `defer run`)
#
# The executor contract (see README.md):
#   stdin              the task as one line of JSON (status "executing"), then a newline
#   DEFER_TASK_ID      the task's id
#   DEFER_PROMPT_PATH  the prompt file defer wrote for this run (logs/<id>.prompt.txt)
#   exit 0             the task is completed; stdout+stderr become result.output
#   exit non-zero      a retry is scheduled while attempts < max_retries, else failed
#
# What it does: appends "<UTC time> <id> <summary>" to
# ${DEFER_NOTIFY_FILE:-$HOME/defer-notifications.log} (the summary is read with jq when
# jq is installed, else the id stands in for it), prints the same line, and shows a
# desktop notification with notify-send when that exists (its failure is ignored).

set -u

task=$(cat)
id=${DEFER_TASK_ID:-unknown}
summary=$id
if command -v jq >/dev/null 2>&1; then
    summary=$(printf '%s\n' "$task" | jq -r '.context.summary // empty' 2>/dev/null | head -n 1)
    [ -n "$summary" ] || summary=$id
fi

file=${DEFER_NOTIFY_FILE:-$HOME/defer-notifications.log}
line="$(date -u +%Y-%m-%dT%H:%M:%SZ) $id $summary"
printf '%s\n' "$line" >>"$file" || {
    echo "notify.sh: cannot append to $file" >&2
    exit 1
}
printf '%s\n' "$line"

if command -v notify-send >/dev/null 2>&1; then
    notify-send "defer: $id" "$summary" >/dev/null 2>&1 || true
fi
exit 0
