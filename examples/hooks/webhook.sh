#!/bin/sh
# webhook.sh — a defer hook that POSTs a task's outcome as JSON to a URL: a chat
# incoming webhook (Slack, Mattermost, Discord's /slack endpoint), ntfy, or your own.
#
# Use:   DEFER_ON_FAILURE=/path/to/examples/hooks/webhook.sh   (and/or DEFER_ON_SUCCESS,
#        DEFER_ON_MISSED)
#        DEFER_WEBHOOK_URL=https://hooks.example.com/services/T000/B000/XXXX
#        or the URL alone on the first line of ~/.config/defer/webhook-url (chmod 600):
#        cron does not get DEFER_WEBHOOK_URL unless you add it to the crontab line.
#
# The hook contract (see README.md): the task's final record as one line of JSON on
# stdin; DEFER_TASK_ID and DEFER_STATUS (completed, failed, missed) in the environment;
# a non-zero exit is reported by defer ("defer: hook ... failed for task <id>: ...").
#
# Body: with jq, {"text": "defer: task <id> <status>: <summary> (<error>)", "task_id",
# "status", "summary", "error", "record": <the whole record>}; without jq, the record.
# Needs curl; an HTTP error (curl -f), a timeout (20 s) or no URL is a non-zero exit.

set -u

url=${DEFER_WEBHOOK_URL:-}
file=${XDG_CONFIG_HOME:-${HOME:-}/.config}/defer/webhook-url
if [ -z "$url" ] && [ -r "$file" ]; then
    url=$(head -n 1 "$file")
fi
if [ -z "$url" ]; then
    echo "webhook.sh: no URL: set DEFER_WEBHOOK_URL or write it to $file" >&2
    exit 2
fi
command -v curl >/dev/null 2>&1 || {
    echo "webhook.sh: curl not found on PATH" >&2
    exit 127
}

record=$(cat)
body=$record
if command -v jq >/dev/null 2>&1; then
    body=$(printf '%s\n' "$record" | jq -c '{
        text: ("defer: task \(.id) \(.status): \(.context.summary)"
               + (if .error then " (\(.error))" else "" end)),
        task_id: .id, status: .status, summary: .context.summary,
        error: (.error // null), record: .}') || exit 1
fi

printf '%s\n' "$body" |
    curl -fsS --max-time 20 -X POST -H 'Content-Type: application/json' \
        --data-binary @- "$url"
