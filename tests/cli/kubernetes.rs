//! Kubernetes without a cluster: `examples/executors/kubernetes-job.sh` run by `defer run`
//! against a fake `kubectl` on `PATH` (a Job that completes, fails, or never finishes),
//! and the manifests of `examples/kubernetes/` parsed as YAML and checked field by field.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::runner::archived;
use crate::support::{schedule_due, Env};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A `kubectl` that keeps its state in `$FAKE_K8S_DIR`: each call is logged to `calls`;
/// `create configmap` copies the file, `apply -f -` saves the manifest, `get job`
/// answers the condition in `$FAKE_K8S_OUTCOME` (Complete, Failed or nothing), `logs`
/// prints a line naming the job, `delete` records what it deleted.
const FAKE_KUBECTL: &str = r#"#!/bin/sh
dir=$FAKE_K8S_DIR
printf '%s\n' "$*" >>"$dir/calls"
while [ $# -gt 0 ]; do case $1 in --namespace=*) shift ;; *) break ;; esac; done
case "$1 $2" in
"create configmap")
    name=$3
    file=${4#--from-file=task.json=}
    cp "$file" "$dir/configmap-$name.json" ;;
"apply -f")
    cat >"$dir/job.json" ;;
"get job")
    [ "$FAKE_K8S_OUTCOME" = pending ] || printf '%s ' "$FAKE_K8S_OUTCOME" ;;
"logs job/"*)
    echo "pod output for ${2#job/}" ;;
"delete configmap")
    echo "$3" >>"$dir/deleted-configmaps" ;;
"delete job")
    echo "$3" >>"$dir/deleted-jobs" ;;
*)
    echo "fake kubectl: unexpected: $*" >&2; exit 2 ;;
esac
"#;

struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
}

fn fake_cluster(env: &Env) -> Cluster {
    let dir = env.root().join("cluster");
    let bin = env.root().join("bin");
    fs::create_dir_all(&dir).unwrap();
    fs::create_dir_all(&bin).unwrap();
    let kubectl = bin.join("kubectl");
    fs::write(&kubectl, FAKE_KUBECTL).unwrap();
    fs::set_permissions(&kubectl, fs::Permissions::from_mode(0o755)).unwrap();
    Cluster { dir, bin }
}

fn run_with(env: &Env, cluster: &Cluster, outcome: &str, timeout: &str) -> crate::support::Output {
    let path = format!(
        "{}:{}",
        cluster.bin.display(),
        std::env::var("PATH").unwrap()
    );
    env.cmd(&["run"])
        .env("PATH", path)
        .env(
            "DEFER_EXECUTOR",
            repo("examples/executors/kubernetes-job.sh")
                .to_str()
                .unwrap(),
        )
        .env("DEFER_K8S_IMAGE", "registry.example/worker:1")
        .env("DEFER_K8S_TIMEOUT_SECONDS", timeout)
        .env("DEFER_K8S_POLL_SECONDS", "1")
        .env("FAKE_K8S_DIR", cluster.dir.to_str().unwrap())
        .env("FAKE_K8S_OUTCOME", outcome)
        .run()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// The one ConfigMap the script created: its name and the task it held.
fn configmap(cluster: &Cluster) -> (String, Value) {
    let found: Vec<_> = fs::read_dir(&cluster.dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_prefix("configmap-")
                .and_then(|n| n.strip_suffix(".json"))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    let text = read(&cluster.dir.join(format!("configmap-{}.json", found[0])));
    (found[0].clone(), serde_json::from_str(text.trim()).unwrap())
}

#[test]
fn a_job_that_completes_completes_the_task_with_the_pods_logs() {
    let env = Env::new();
    let cluster = fake_cluster(&env);
    schedule_due(&env, "Report_1", &[]);
    run_with(&env, &cluster, "Complete", "30");
    let task = archived(&env, "Report_1");
    assert_eq!(task["status"], "completed", "{task}");
    let (name, held) = configmap(&cluster);
    assert!(name.starts_with("defer-report-1-"), "{name}");
    assert_eq!(held["id"], "Report_1");
    assert_eq!(held["status"], "executing");
    let output = task["result"]["output"].as_str().unwrap();
    assert!(
        output.contains(&format!("pod output for {name}")),
        "{output}"
    );
    // The Job: parsed as YAML (JSON is YAML), field by field.
    let job: serde_norway::Value =
        serde_norway::from_str(&read(&cluster.dir.join("job.json"))).unwrap();
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["apiVersion"], "batch/v1");
    assert_eq!(job["metadata"]["name"], name.as_str());
    assert_eq!(job["spec"]["backoffLimit"], 0);
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(pod["containers"][0]["image"], "registry.example/worker:1");
    assert_eq!(
        pod["containers"][0]["command"][2],
        "exec defer execute --compact < /etc/defer/task.json"
    );
    assert_eq!(pod["volumes"][0]["configMap"]["name"], name.as_str());
    // Cleaned up: the ConfigMap deleted, the finished Job left to its TTL.
    assert_eq!(read(&cluster.dir.join("deleted-configmaps")).trim(), name);
    assert_eq!(read(&cluster.dir.join("deleted-jobs")), "");
}

#[test]
fn a_job_that_fails_fails_the_task() {
    let env = Env::new();
    let cluster = fake_cluster(&env);
    schedule_due(&env, "r2", &[]);
    run_with(&env, &cluster, "Failed", "30");
    let task = archived(&env, "r2");
    assert_eq!(task["status"], "failed", "{task}");
    let output = task["result"]["output"].as_str().unwrap();
    assert!(output.contains("pod output for defer-r2-"), "{output}");
    assert!(
        output.contains("kubernetes-job.sh: job defer-r2-"),
        "{output}"
    );
    assert!(output.contains(" failed"), "{output}");
    let (name, _) = configmap(&cluster);
    assert_eq!(read(&cluster.dir.join("deleted-configmaps")).trim(), name);
}

#[test]
fn a_job_that_never_finishes_times_out_and_is_deleted() {
    let env = Env::new();
    let cluster = fake_cluster(&env);
    schedule_due(&env, "r3", &[]);
    let started = std::time::Instant::now();
    run_with(&env, &cluster, "pending", "2");
    assert!(started.elapsed().as_secs() < 30);
    let task = archived(&env, "r3");
    assert_eq!(task["status"], "failed", "{task}");
    assert!(task["error"].as_str().unwrap().contains("124"), "{task}");
    let output = task["result"]["output"].as_str().unwrap();
    assert!(output.contains("did not finish within 2s"), "{output}");
    let (name, _) = configmap(&cluster);
    assert_eq!(read(&cluster.dir.join("deleted-jobs")).trim(), name);
    assert_eq!(read(&cluster.dir.join("deleted-configmaps")).trim(), name);
    // It looked more than once before giving up.
    let gets = read(&cluster.dir.join("calls"))
        .lines()
        .filter(|l| l.starts_with("get job"))
        .count();
    assert!(gets >= 2, "{gets}");
}

#[test]
fn stopped_by_the_runners_timeout_it_deletes_the_job_and_its_configmap() {
    let env = Env::new();
    let cluster = fake_cluster(&env);
    schedule_due(&env, "r5", &[]);
    let path = format!(
        "{}:{}",
        cluster.bin.display(),
        std::env::var("PATH").unwrap()
    );
    env.cmd(&["run"])
        .env("PATH", path)
        .env(
            "DEFER_EXECUTOR",
            repo("examples/executors/kubernetes-job.sh")
                .to_str()
                .unwrap(),
        )
        .env("DEFER_EXECUTOR_TIMEOUT_SECONDS", "2")
        .env("DEFER_K8S_IMAGE", "registry.example/worker:1")
        .env("DEFER_K8S_TIMEOUT_SECONDS", "60")
        .env("DEFER_K8S_POLL_SECONDS", "1")
        .env("FAKE_K8S_DIR", cluster.dir.to_str().unwrap())
        .env("FAKE_K8S_OUTCOME", "pending")
        .run();
    let task = archived(&env, "r5");
    assert_eq!(task["status"], "failed", "{task}");
    let (name, _) = configmap(&cluster);
    assert_eq!(read(&cluster.dir.join("deleted-jobs")).trim(), name);
    assert_eq!(read(&cluster.dir.join("deleted-configmaps")).trim(), name);
}

#[test]
fn without_an_image_it_fails_before_touching_the_cluster() {
    let env = Env::new();
    let cluster = fake_cluster(&env);
    schedule_due(&env, "r4", &[]);
    let path = format!(
        "{}:{}",
        cluster.bin.display(),
        std::env::var("PATH").unwrap()
    );
    env.cmd(&["run"])
        .env("PATH", path)
        .env(
            "DEFER_EXECUTOR",
            repo("examples/executors/kubernetes-job.sh")
                .to_str()
                .unwrap(),
        )
        .env("FAKE_K8S_DIR", cluster.dir.to_str().unwrap())
        .run();
    let task = archived(&env, "r4");
    assert_eq!(task["status"], "failed");
    assert!(task["result"]["output"]
        .as_str()
        .unwrap()
        .contains("set DEFER_K8S_IMAGE"));
    assert_eq!(read(&cluster.dir.join("calls")), "");
}

/// Every document of a YAML file.
fn documents(path: &str) -> Vec<serde_norway::Value> {
    let text = fs::read_to_string(repo(path)).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|d| serde_norway::Value::deserialize(d).unwrap())
        .filter(|d| !d.is_null())
        .collect()
}

fn by_kind<'a>(docs: &'a [serde_norway::Value], kind: &str) -> &'a serde_norway::Value {
    let found: Vec<_> = docs.iter().filter(|d| d["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "{kind}");
    found[0]
}

#[test]
fn the_example_runner_cronjob_runs_defer_run_every_minute_alone() {
    let docs = documents("examples/kubernetes/defer-runner.yaml");
    let claim = by_kind(&docs, "PersistentVolumeClaim");
    assert_eq!(claim["spec"]["accessModes"][0], "ReadWriteOnce");
    let job = by_kind(&docs, "CronJob");
    assert_eq!(job["apiVersion"], "batch/v1");
    let spec = &job["spec"];
    assert_eq!(spec["schedule"], "* * * * *");
    assert_eq!(spec["concurrencyPolicy"], "Forbid");
    let pod = &spec["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], job["metadata"]["name"]);
    let container = &pod["containers"][0];
    assert_eq!(container["command"][0], "defer");
    assert_eq!(container["command"][1], "run");
    let env: Vec<(String, String)> = container["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_string(),
                e["value"].as_str()?.to_string(),
            ))
        })
        .collect();
    let runtime = env
        .iter()
        .find(|(k, _)| k == "DEFER_RUNTIME_DIR")
        .unwrap()
        .1
        .clone();
    let mount = &container["volumeMounts"][0];
    // The runtime dir is one defer creates inside the volume (0700, whatever the
    // volume root's mode).
    let inside = format!("{}/", mount["mountPath"].as_str().unwrap());
    assert!(
        runtime.starts_with(&inside) && runtime.len() > inside.len(),
        "{runtime}"
    );
    let volume = &pod["volumes"][0];
    assert_eq!(volume["name"], mount["name"]);
    assert_eq!(
        volume["persistentVolumeClaim"]["claimName"],
        claim["metadata"]["name"]
    );
    assert!(env
        .iter()
        .any(|(k, v)| k == "DEFER_EXECUTOR" && v.ends_with("kubernetes-job.sh")));
}

#[test]
fn the_example_role_lets_the_executor_do_what_it_does_and_no_more() {
    let docs = documents("examples/kubernetes/rbac.yaml");
    let account = by_kind(&docs, "ServiceAccount");
    let role = by_kind(&docs, "Role");
    let binding = by_kind(&docs, "RoleBinding");
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    assert_eq!(binding["subjects"][0]["name"], account["metadata"]["name"]);
    let mut granted: Vec<String> = Vec::new();
    for rule in role["rules"].as_sequence().unwrap() {
        for resource in rule["resources"].as_sequence().unwrap() {
            for verb in rule["verbs"].as_sequence().unwrap() {
                granted.push(format!(
                    "{} {}",
                    verb.as_str().unwrap(),
                    resource.as_str().unwrap()
                ));
            }
        }
    }
    granted.sort();
    // kubernetes-job.sh: create/delete configmaps; create (apply: get, patch), get,
    // delete jobs; read pod logs (kubectl logs job/NAME lists the job's pods).
    for needed in [
        "create configmaps",
        "delete configmaps",
        "create jobs",
        "get jobs",
        "patch jobs",
        "delete jobs",
        "get pods",
        "list pods",
        "get pods/log",
    ] {
        assert!(
            granted.contains(&needed.to_string()),
            "missing {needed}: {granted:?}"
        );
    }
    assert!(!granted.iter().any(|g| g.contains('*')), "{granted:?}");
}
