#!/usr/bin/env bash
# Scale benchmark: the real control plane, the standalone emulator and the operator jar as separate
# processes. Creates N PolarDBBackups at once spread over C emulated clusters, waits for all to
# succeed, and prints (and writes to target/bench-N.json) time to the last Succeeded, latency from
# create to the CreateBackup call, PolarDB calls per backup, backups per resource, operator memory
# and CPU, and Kubernetes API requests. A measurement, not a test.
#   scripts/bench.sh [N=1000] [CLUSTERS=200] [DURATION=60s] [SHARDS=1]
# With SHARDS above 1, that many operator processes run, each one shard with leader election, and
# every figure is also printed per shard (PolarDB calls are counted per shard by their cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
CLUSTERS=${2:-200}
DURATION=${3:-60s}
SHARDS=${4:-1}
STATE=$(mktemp -d /tmp/polardb-bench.XXXXXX)
STACK_NAME=bench
# shellcheck source=scripts/lib/local-stack.sh
source scripts/lib/local-stack.sh
trap 'stack_cleanup; [ -n "${KEEP_STATE:-}" ] || rm -rf "$STATE"' EXIT
trap 'exit 130' INT TERM

stack_prerequisites
stack_control_plane
cluster_args=()
for i in $(seq 1 "$CLUSTERS"); do cluster_args+=(--cluster "pc-bench$i"); done
# The quota is far above N so that it does not interfere; the benchmark measures the operator.
stack_emulator --backup-duration "$DURATION" --quota 1000000 "${cluster_args[@]}"
EMULATOR_PID=${STACK_PIDS[-1]}
# The operator acts only where a PolarDBAccessGrant allows (deploy/base grants the examples'
# pc-demo clusters); the bench clusters need their own, in place before the operator starts.
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: polardbbackup.dev/v1alpha1
kind: PolarDBAccessGrant
metadata: {name: bench}
spec:
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: default}}
  actions: [Backup]
  clusters:
    - {regionId: cn-hangzhou, dbClusterId: "pc-bench*"}
YAML
# The JVM as the Deployment runs it: 31% of the 512 MiB limit as heap, the serial collector (what
# the JVM picks by itself in a container that small), the C1 compiler only (C2's compilations
# cost some 60 MiB of peak RSS here for no measurable CPU), small thread stacks, two malloc arenas.
# One process, or one per shard (each a shard with leader election, as the chart runs them).
OPERATOR_PIDS=()
HTTP_PORTS=()
for shard in $(seq 0 $((SHARDS - 1))); do
  shard_args=()
  [ "$SHARDS" -gt 1 ] && shard_args=(--leader-election --lease-namespace polardb-backup-system
    --shards "$SHARDS" --shard "$shard")
  # EXTRA_JAVA_OPTS adds flags to try (e.g. -XX:NativeMemoryTracking=summary, whose figures are then
  # kept in $STATE/nmt-N.txt).
  OPERATOR_LOG="operator-$shard.log" MALLOC_ARENA_MAX=2 \
    JAVA_OPTS="-Xmx159m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -XX:+ExitOnOutOfMemoryError ${EXTRA_JAVA_OPTS:-}" \
    stack_operator \
    "${shard_args[@]}"
  OPERATOR_PIDS+=("$OPERATOR_PID")
  HTTP_PORTS+=("$HTTP_PORT")
done

python3 - "$N" "$CLUSTERS" >"$STATE/backups.yaml" <<'PY'
import sys
n, clusters = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    print(f"---\napiVersion: polardbbackup.dev/v1alpha1\nkind: PolarDBBackup\n"
          f"metadata: {{name: bench-{i:05d}, namespace: default}}\n"
          f"spec: {{dbClusterId: pc-bench{i % clusters + 1}, regionId: cn-hangzhou}}")
PY
# CPU of every process of the stack and of the machine, snapshot at the first create, when kubectl
# is done creating, and when the figures are taken: the 2-core machine is shared by all of them,
# and how fast it creates decides how close together a cluster's backups start.
cpu_names=(etcd kube-apiserver kube-controller-manager emulator)
cpu_pids=("$ETCD_PID" "$APISERVER_PID" "$KCM_PID" "$EMULATOR_PID")
for i in "${!OPERATOR_PIDS[@]}"; do
  cpu_names+=("operator-$i")
  cpu_pids+=("${OPERATOR_PIDS[$i]}")
done
cpu_snapshot() {
  {
    for i in "${!cpu_pids[@]}"; do
      printf '%s\t%s\n' "${cpu_names[$i]}" "$(awk '{print $14 + $15}' "/proc/${cpu_pids[$i]}/stat")"
    done
    awk '/^cpu / {print "machine-busy\t" $2 + $3 + $4 + $7 + $8 + $9; print "machine-idle\t" $5 + $6}' /proc/stat
  } >"$STATE/cpu-$1.tsv"
}
stack_say "creating $N PolarDBBackups over $CLUSTERS clusters (backups take $DURATION)…"
cpu_snapshot start
FIRST_CREATE=$(date +%s.%N)
TIMEFORMAT='%U %S'
{ time kubectl create -f "$STATE/backups.yaml" >/dev/null 2>"$STATE/kubectl.err"; } 2>"$STATE/kubectl-cpu.txt" ||
  { cat "$STATE/kubectl.err"; exit 1; }
CREATED=$(date +%s.%N)
cpu_snapshot created
stack_say "created; waiting for all to succeed…"
while true; do
  # One list a round: listing N resources costs this 2-core machine about half a core for a
  # second or two, taken from the operator and the API server being measured.
  phases=$(kubectl get pdbb -n default -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}')
  counts=$(sort <<<"$phases" | uniq -c | tr '\n' ' ')
  succeeded=$(grep -c '^Succeeded$' <<<"$phases" || true)
  stack_say "phases: $counts"
  [ "$succeeded" -ge "$N" ] && break
  for pid in "${OPERATOR_PIDS[@]}"; do
    kill -0 "$pid" || { tail -20 "$STATE"/operator*.log; exit 1; }
  done
  sleep 5
done
DONE=$(date +%s.%N)
# The operator writes Events off the reconcile thread, at most 50 a second: wait until its request
# count stops moving (at most a minute), so that every backup's Events are in the figures.
for i in "${!OPERATOR_PIDS[@]}"; do
  before=-1
  for _ in $(seq 1 30); do
    now=$(curl -sf "http://127.0.0.1:${HTTP_PORTS[$i]}/metrics" | awk '/^kubernetes_api_requests_total/ {s += $2} END {print s}')
    [ "$now" = "$before" ] && break
    before=$now
    sleep 2
  done
done

# The CPU of every process (the operators' totals too), then the operators' memory, taken while
# they still run: one line per process (shard).
cpu_snapshot end
: >"$STATE/processes.txt"
for i in "${!OPERATOR_PIDS[@]}"; do
  pid=${OPERATOR_PIDS[$i]}
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  jcmd "$pid" VM.native_memory summary >"$STATE/nmt-$i.txt" 2>/dev/null || true
  jcmd "$pid" GC.run >/dev/null 2>&1 || true
  heap=$(jcmd "$pid" GC.heap_info 2>/dev/null | grep -E 'generation|heap' | tr '\n' ' ' || true)
  curl -sf "http://127.0.0.1:${HTTP_PORTS[$i]}/metrics" >"$STATE/metrics-$i.txt"
  printf '%s\t%s\n' "$rss" "$heap" >>"$STATE/processes.txt"
done
curl -sf "$EMULATOR_URL/_emulator/ledger?calls=true" >"$STATE/ledger.json"
kubectl get pdbb -n default -o json >"$STATE/backups.json"
mkdir -p target
python3 - "$N" "$CLUSTERS" "$DURATION" "$FIRST_CREATE" "$DONE" "$SHARDS" "$(getconf CLK_TCK)" \
  "$STATE" "$CREATED" >"target/bench-$N.json" <<'PY'
import json, re, statistics, sys, zlib
from datetime import datetime
n, clusters, duration, first, done, shards, hz, state, created = sys.argv[1:10]
shards = int(shards)
items = json.load(open(f"{state}/backups.json"))["items"]
ledger = json.load(open(f"{state}/ledger.json"))
processes = [line.rstrip("\n").split("\t") for line in open(f"{state}/processes.txt")]
metrics = [open(f"{state}/metrics-{i}.txt").read() for i in range(len(processes))]
ts = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
created_at = {b["clientToken"]: ts(b["createdAt"]) for b in ledger["backups"]}
by_uid = {}
for token, count in ledger["backupsByClientToken"].items():
    by_uid[token[:36]] = by_uid.get(token[:36], 0) + count
def shard_of_cluster(cluster_id):
    # The operator's own rule (Shard.bucket): CRC-32 of region/cluster into 64 buckets.
    return zlib.crc32(f"cn-hangzhou/{cluster_id}".encode()) % 64 % shards
def k8s_requests(text):
    return sum(float(v) for v in re.findall(r'^kubernetes_api_requests_total\{[^}]*\} (\S+)', text, re.M))
def pct(values, q):
    return round(values[min(len(values) - 1, int(len(values) * q))], 1)
lat, ready, ends = [], [], []
for it in items:
    st = it["status"]
    created = ts(it["metadata"]["creationTimestamp"])
    lat.append(created_at[st["clientToken"]] - created)
    cond = [c for c in st["conditions"] if c["type"] == "Ready"][0]
    ready.append(ts(cond["lastTransitionTime"]))
    ends.append(ts(st["completionTime"]))
lat.sort()
lag = sorted(r - e for r, e in zip(ready, ends))
calls = ledger["callsByAction"]
total_calls = sum(calls.values())
k8s = sum(k8s_requests(m) for m in metrics)
per_resource = [by_uid.get(it["metadata"]["uid"], 0) for it in items]
heap_used = sum(int(k) for p in processes for k in re.findall(r'used (\d+)K', p[1] if len(p) > 1 else ""))
def cpu(name):
    return {k: int(v) for k, v in (line.split("\t") for line in open(f"{state}/cpu-{name}.tsv").read().split("\n") if line)}
operator_ticks = [cpu("end")[f"operator-{i}"] for i in range(len(processes))]
per_shard = []
for s in range(shards if shards > 1 else 0):
    mine = [(r, e) for it, r, e in zip(items, ready, ends) if shard_of_cluster(it["spec"]["dbClusterId"]) == s]
    calls_s = sum(1 for c in ledger["calls"] if c.get("dbClusterId") and shard_of_cluster(c["dbClusterId"]) == s)
    lag_s = sorted(r - e for r, e in mine)
    per_shard.append({
        "shard": s, "resources": len(mine),
        "clusters": sum(1 for c in range(1, int(clusters) + 1) if shard_of_cluster(f"pc-bench{c}") == s),
        "polardbCallsPerBackup": round(calls_s / max(1, len(mine)), 3),
        "kubernetesApiRequestsPerBackup": round(k8s_requests(metrics[s]) / max(1, len(mine)), 2),
        "lastSucceededAfterLastEmulatedCompletionSeconds": round(max(r for r, _ in mine) - max(e for _, e in mine), 1) if mine else None,
        "succeededAfterOwnCompletionSeconds": {"p99": pct(lag_s, 0.99), "max": round(lag_s[-1], 1)} if lag_s else None,
        "operatorPeakRssMiB": round(int(processes[s][0]) / 1024, 1),
        "operatorCpuSeconds": round(operator_ticks[s] / int(hz), 1),
    })
def cpu_between(a, b, kubectl=None):
    before, after = cpu(a), cpu(b)
    used = {k: round((after[k] - before[k]) / int(hz), 1) for k in after if not k.startswith("machine-")}
    if kubectl is not None:
        used["kubectl"] = kubectl
    busy = after["machine-busy"] - before["machine-busy"]
    idle = after["machine-idle"] - before["machine-idle"]
    return {"processSeconds": used, "machineBusyShare": round(busy / max(1, busy + idle), 2)}
kubectl_cpu = round(sum(float(x) for x in open(f"{state}/kubectl-cpu.txt").read().split()[-2:]), 1)
# How close together each cluster's backups started (PolarDB's CreateBackup, from the ledger):
# the spread from a cluster's first start to its last, and the gap between two in a row.
starts = {}
for b in ledger["backups"]:
    starts.setdefault(b["dbClusterId"], []).append(ts(b["createdAt"]))
for v in starts.values():
    v.sort()
spreads = sorted(v[-1] - v[0] for v in starts.values())
gaps = sorted(y - x for v in starts.values() for x, y in zip(v, v[1:]))
out = {
    "resources": int(n), "clusters": int(clusters), "backupDuration": duration,
    "firstCreateToLastSucceededSeconds": round(max(ready) - float(first), 1),
    "lastSucceededAfterLastEmulatedCompletionSeconds": round(max(ready) - max(ends), 1),
    "succeededAfterOwnCompletionSeconds": {"p50": round(lag[len(lag) // 2], 1), "p99": round(lag[min(len(lag) - 1, int(len(lag) * 0.99))], 1), "max": round(lag[-1], 1)},
    "createToCreateBackupCallSeconds": {"p50": round(lat[len(lat) // 2], 2), "p99": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2)},
    "polardbCallsByAction": calls, "polardbCallsPerBackup": round(total_calls / int(n), 3),
    "backupsPerResource": {"min": min(per_resource), "max": max(per_resource), "mean": round(sum(per_resource) / len(per_resource), 3)},
    "shards": shards,
    "operatorPeakRssMiB": max(round(int(p[0]) / 1024, 1) for p in processes),
    "operatorHeapAfterGcMiB": round(heap_used / 1024, 1) if heap_used else None,
    "operatorCpuSeconds": round(sum(operator_ticks) / int(hz), 1),
    "perShard": per_shard,
    "kubernetesApiRequests": int(k8s), "kubernetesApiRequestsPerBackup": round(k8s / int(n), 2),
    "waitWallSeconds": round(float(done) - float(first), 1),
    "creation": {"seconds": round(float(created) - float(first), 1),
                 "perSecond": round(int(n) / max(0.001, float(created) - float(first)), 1),
                 **cpu_between("start", "created", kubectl_cpu)},
    "firstCreateToFigures": cpu_between("start", "end"),
    "clusterStarts": {"spreadMedianSeconds": round(statistics.median(spreads), 1),
                      "spreadP90Seconds": pct(spreads, 0.9),
                      "gapMedianSeconds": round(statistics.median(gaps), 1) if gaps else None},
}
print(json.dumps(out, indent=2))
PY
python3 - "target/bench-$N.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"\nscale benchmark: {r['resources']} backups over {r['clusters']} clusters, {r['backupDuration']} each, {r['shards']} shard(s)")
rows = [
    ("first create -> last Succeeded", f"{r['firstCreateToLastSucceededSeconds']} s"),
    ("last Succeeded after last emulated completion", f"{r['lastSucceededAfterLastEmulatedCompletionSeconds']} s"),
    ("Succeeded after its own backup ended p50/p99/max", f"{r['succeededAfterOwnCompletionSeconds']['p50']} / {r['succeededAfterOwnCompletionSeconds']['p99']} / {r['succeededAfterOwnCompletionSeconds']['max']} s"),
    ("create -> CreateBackup call p50 / p99", f"{r['createToCreateBackupCallSeconds']['p50']} s / {r['createToCreateBackupCallSeconds']['p99']} s"),
    ("PolarDB calls per backup", r['polardbCallsPerBackup']),
    ("PolarDB calls by action", ", ".join(f"{k} {v}" for k, v in sorted(r['polardbCallsByAction'].items()))),
    ("backups per resource (min/mean/max)", f"{r['backupsPerResource']['min']} / {r['backupsPerResource']['mean']} / {r['backupsPerResource']['max']}"),
    ("operator peak RSS (largest process)", f"{r['operatorPeakRssMiB']} MiB"),
    ("operator heap after GC (all processes)", f"{r['operatorHeapAfterGcMiB']} MiB"),
    ("operator CPU (all processes)", f"{r['operatorCpuSeconds']} s"),
    ("Kubernetes API requests (per backup)", f"{r['kubernetesApiRequests']} ({r['kubernetesApiRequestsPerBackup']})"),
]
c, w, shape = r["creation"], r["firstCreateToFigures"], r["clusterStarts"]
cpu_line = lambda d: ", ".join(f"{k} {v}" for k, v in d["processSeconds"].items())
rows += [
    ("kubectl created them in", f"{c['seconds']} s ({c['perSecond']} a second); the machine {round(c['machineBusyShare'] * 100)}% busy meanwhile"),
    ("CPU s while creating", cpu_line(c)),
    ("CPU s first create -> figures", f"{cpu_line(w)}; the machine {round(w['machineBusyShare'] * 100)}% busy"),
    ("a cluster's starts: spread median / p90, gap", f"{shape['spreadMedianSeconds']} / {shape['spreadP90Seconds']} s, {shape['gapMedianSeconds']} s"),
]
for k, v in rows:
    print(f"  {k:<48} {v}")
for s in r["perShard"]:
    lag = s["succeededAfterOwnCompletionSeconds"] or {}
    print(f"  shard {s['shard']}: {s['resources']} backups over {s['clusters']} clusters; "
          f"{s['polardbCallsPerBackup']} calls and {s['kubernetesApiRequestsPerBackup']} API requests per backup; "
          f"last Succeeded {s['lastSucceededAfterLastEmulatedCompletionSeconds']} s after the last completion; "
          f"lag p99/max {lag.get('p99')} / {lag.get('max')} s; peak RSS {s['operatorPeakRssMiB']} MiB; CPU {s['operatorCpuSeconds']} s")
print(f"  (JSON: {sys.argv[1]})")
PY
