#!/bin/sh
# agent-cli.sh — a defer executor that hands the task's prompt to an agent CLI.
#
# Use:   DEFER_EXECUTOR=/path/to/agent-cli.sh   (in the crontab line for `defer run`)
#
# The executor contract (see README.md):
#   stdin              the task as one line of JSON (status "executing"), then a newline
#   DEFER_TASK_ID      the task's id
#   DEFER_PROMPT_PATH  the prompt file defer wrote for this run (logs/<id>.prompt.txt)
#   exit 0             the task is completed; stdout+stderr become result.output
#   exit non-zero      a retry is scheduled while attempts < max_retries, else failed
#   DEFER_EXECUTOR_TIMEOUT_SECONDS bounds the run (SIGTERM to the group, SIGKILL 5 s later)
#
# Settings:
#   DEFER_AGENT_CMD    the agent command, split on spaces, the prompt text is appended
#                      as its last argument (default: "claude -p")

set -u

agent_cmd=${DEFER_AGENT_CMD:-claude -p}

if [ -z "${DEFER_PROMPT_PATH:-}" ] || [ ! -r "$DEFER_PROMPT_PATH" ]; then
    echo "agent-cli.sh: DEFER_PROMPT_PATH is not a readable file: ${DEFER_PROMPT_PATH:-<unset>}" >&2
    exit 2
fi

# Split the command on spaces (no globbing); the first word must be runnable.
set -f
# shellcheck disable=SC2086
set -- $agent_cmd
set +f
if [ $# -eq 0 ] || ! command -v "$1" >/dev/null 2>&1; then
    echo "agent-cli.sh: agent command not found: '${1:-}' (set DEFER_AGENT_CMD)" >&2
    exit 127
fi

# The task JSON on stdin is not needed: the prompt file carries the task.
exec "$@" "$(cat "$DEFER_PROMPT_PATH")" </dev/null
