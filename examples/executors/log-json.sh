#!/bin/sh
# log-json.sh — a defer executor that keeps each executed task's JSON.
#
# Use:   DEFER_EXECUTOR=/path/to/log-json.sh
#
# The executor contract (see README.md): the task JSON arrives on stdin, its id in
# DEFER_TASK_ID, the prompt file in DEFER_PROMPT_PATH; exit 0 completes the task.
#
# What it does: writes stdin to $DEFER_RUNTIME_DIR/executed/<id>.json (directory created
# 0700; DEFER_RUNTIME_DIR defaults to ~/data/runtime as in defer) and prints the path.
# Useful as a dry run of a new setup, or to feed another tool later.

set -eu

id=${DEFER_TASK_ID:?DEFER_TASK_ID is not set (run me through defer)}
dir=${DEFER_RUNTIME_DIR:-$HOME/data/runtime}/executed
umask 077
mkdir -p "$dir"
cat >"$dir/$id.json.tmp"
mv "$dir/$id.json.tmp" "$dir/$id.json"
printf '%s\n' "$dir/$id.json"
