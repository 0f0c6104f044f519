#!/bin/sh
# kubernetes-job.sh — a defer executor that runs each due task as a Kubernetes Job.
#
# Use:   DEFER_EXECUTOR=/path/to/kubernetes-job.sh  DEFER_K8S_IMAGE=registry/worker:tag
#
# The task JSON (stdin) goes into a ConfigMap, mounted in the Job's pod at
# /etc/defer/task.json; the pod runs DEFER_K8S_COMMAND (default: `defer execute` on that
# file, so the image needs sh, defer and the executor it is configured with). The
# script waits until the Job is Complete *or* Failed (`kubectl wait` on one condition
# alone keeps waiting when the other happens), prints the pod's logs, and exits:
#   0    the Job completed
#   1    the Job failed, or kubectl could not create it
#   124  DEFER_K8S_TIMEOUT_SECONDS passed first (the Job is deleted, stopping its pod)
# Its ConfigMap is deleted in every case (the Job itself expires after an hour,
# ttlSecondsAfterFinished, so its logs stay readable for a while).
#
# Settings (environment):
#   DEFER_K8S_IMAGE            required: the image the Job runs
#   DEFER_K8S_NAMESPACE        namespace (default: kubectl's current one)
#   DEFER_K8S_COMMAND          shell command run in the pod
#                              (default: exec defer execute --compact < /etc/defer/task.json)
#   DEFER_K8S_TIMEOUT_SECONDS  how long to wait for the Job (default 3000; keep it under
#                              DEFER_EXECUTOR_TIMEOUT_SECONDS, default 3600)
#   DEFER_K8S_POLL_SECONDS     how often to look (default 5)
#   KUBECTL                    the kubectl to run (default: kubectl on PATH)

set -u

say() { printf 'kubernetes-job.sh: %s\n' "$*" >&2; }

image=${DEFER_K8S_IMAGE:-}
command=${DEFER_K8S_COMMAND:-exec defer execute --compact < /etc/defer/task.json}
timeout=${DEFER_K8S_TIMEOUT_SECONDS:-3000}
poll=${DEFER_K8S_POLL_SECONDS:-5}
kubectl=${KUBECTL:-kubectl}

[ -n "$image" ] || { say "set DEFER_K8S_IMAGE to the image the Job runs"; exit 1; }
case $timeout$poll in *[!0-9]*) say "DEFER_K8S_TIMEOUT_SECONDS and DEFER_K8S_POLL_SECONDS must be whole numbers"; exit 1 ;; esac
[ "$poll" -gt 0 ] || poll=1

# Values that go into the manifest are JSON strings there; refuse what would need escaping
# beyond what this script does (quotes and backslashes are escaped below).
for value in "$image" "$command" "${DEFER_K8S_NAMESPACE:-}"; do
    case $value in *[[:cntrl:]]*) say "DEFER_K8S_IMAGE, DEFER_K8S_COMMAND and DEFER_K8S_NAMESPACE must be one line"; exit 1 ;; esac
done
json_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

ns=""
[ -n "${DEFER_K8S_NAMESPACE:-}" ] && ns="--namespace=$DEFER_K8S_NAMESPACE"

# A DNS-1123 name from the task id, unique per run: defer-<id>-<time>-<pid>.
id=${DEFER_TASK_ID:-task}
slug=$(printf '%s' "$id" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9' '-' | cut -c1-30 | sed 's/-*$//')
name="defer-${slug:-task}-$(date +%s)-$$"

tmp=$(mktemp) || exit 1
job_created=""
cleanup() {
    rm -f "$tmp"
    # shellcheck disable=SC2086 # $ns is one word or none
    "$kubectl" $ns delete configmap "$name" --ignore-not-found >/dev/null 2>&1 || say "could not delete configmap $name"
}
stop_job() {
    [ -n "$job_created" ] || return 0
    # shellcheck disable=SC2086
    "$kubectl" $ns delete job "$name" --ignore-not-found --wait=false >/dev/null 2>&1 || say "could not delete job $name"
}
trap cleanup EXIT
trap 'stop_job; exit 143' TERM
trap 'stop_job; exit 130' INT

cat >"$tmp" || { say "cannot read the task from stdin"; exit 1; }

# shellcheck disable=SC2086
"$kubectl" $ns create configmap "$name" --from-file=task.json="$tmp" >/dev/null || {
    say "kubectl could not create configmap $name"
    exit 1
}

# shellcheck disable=SC2086
"$kubectl" $ns apply -f - >/dev/null <<EOF || { say "kubectl could not create job $name"; exit 1; }
{
  "apiVersion": "batch/v1",
  "kind": "Job",
  "metadata": {"name": "$name", "labels": {"app.kubernetes.io/managed-by": "defer"}},
  "spec": {
    "backoffLimit": 0,
    "ttlSecondsAfterFinished": 3600,
    "template": {
      "spec": {
        "restartPolicy": "Never",
        "containers": [{
          "name": "task",
          "image": $(json_string "$image"),
          "command": ["sh", "-c", $(json_string "$command")],
          "env": [{"name": "DEFER_TASK_ID", "value": $(json_string "$id")}],
          "volumeMounts": [{"name": "task", "mountPath": "/etc/defer", "readOnly": true}]
        }],
        "volumes": [{"name": "task", "configMap": {"name": "$name"}}]
      }
    }
  }
}
EOF
job_created=1

# Poll the Job's conditions until it is Complete or Failed, or the time is up.
waited=0
state=""
while :; do
    # shellcheck disable=SC2086
    conditions=$("$kubectl" $ns get job "$name" -o 'jsonpath={range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}' 2>/dev/null)
    case " $conditions " in
        *" Complete "*) state=complete; break ;;
        *" Failed "*) state=failed; break ;;
    esac
    if [ "$waited" -ge "$timeout" ]; then
        state=timeout
        break
    fi
    sleep "$poll"
    waited=$((waited + poll))
done

# shellcheck disable=SC2086
"$kubectl" $ns logs "job/$name" --all-containers=true 2>&1 || say "no logs for job $name"

case $state in
    complete) exit 0 ;;
    failed) say "job $name failed"; exit 1 ;;
    *) say "job $name did not finish within ${timeout}s; deleting it"; stop_job; exit 124 ;;
esac
