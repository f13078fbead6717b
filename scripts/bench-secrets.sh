#!/usr/bin/env bash
# Memory benchmark for unrelated Secrets: does the operator's memory depend on the Secrets of the
# cluster, or only on the ones its backups name? The real control plane, the standalone emulator
# and the operator jar as separate processes (the operator as the shipped ServiceAccount, with the
# Deployment's JVM options). The operator first manages a few PolarDBBackups (some with a
# credentialsSecretRef) to a steady state; then COUNT Secrets of SIZE_KIB KiB each are created in
# NAMESPACES other namespaces, and a few more backups are made while they exist. The operator's RSS
# (VmRSS, the median of several samples, and the peak VmHWM, from /proc/PID/status) is printed
# before and after, and written to target/bench-secrets.json. A measurement, not a test.
#   scripts/bench-secrets.sh [COUNT=2000] [SIZE_KIB=500] [NAMESPACES=20]
# JAR=path runs another build of the operator (e.g. an older commit's jar) against the same setup.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-2000}
SIZE_KIB=${2:-500}
NAMESPACES=${3:-20}
SETTLE=${SETTLE:-30}
STATE=$(mktemp -d /tmp/polardb-bench-secrets.XXXXXX)
STACK_NAME=bench-secrets
# shellcheck source=scripts/lib/local-stack.sh
source scripts/lib/local-stack.sh
trap 'stack_cleanup; [ -n "${KEEP_STATE:-}" ] || rm -rf "$STATE"' EXIT
trap 'exit 130' INT TERM

stack_prerequisites
stack_control_plane
stack_emulator --backup-duration 5s --quota 1000
JAVA_OPTS="-Xmx358m -XX:+UseSerialGC" stack_operator

# The emulator's demo key, as a team would bring it in its own Secret.
kubectl create secret generic demo-creds -n default \
  --from-literal=accessKeyId=LTAI5tEmulatorDemoKey \
  --from-literal=accessKeySecret=emulator-demo-secret >/dev/null

# backups PREFIX: two with the operator's credentials, two with the Secret (deletionPolicy Delete);
# waits until all four have succeeded.
backups() {
  local prefix=$1 i
  for i in 1 2 3 4; do
    local creds='' policy=Retain
    if [ "$i" -gt 2 ]; then creds=', credentialsSecretRef: {name: demo-creds}' policy=Delete; fi
    printf -- "---\napiVersion: polardbbackup.dev/v1alpha1\nkind: PolarDBBackup\nmetadata: {name: %s-%d, namespace: default}\nspec: {dbClusterId: pc-demo%d, regionId: cn-hangzhou, deletionPolicy: %s%s}\n" \
      "$prefix" "$i" $(((i - 1) % 3 + 1)) "$policy" "$creds"
  done | kubectl create -f - >/dev/null
  for _ in $(seq 120); do
    local done
    done=$(kubectl get pdbb -n default -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase}{"\n"}{end}' |
      grep -c "^$prefix-[0-9]* Succeeded$" || true)
    [ "$done" -ge 4 ] && return 0
    kill -0 "$OPERATOR_PID" 2>/dev/null || return 1
    sleep 1
  done
  return 1
}

# rss: "VmRSS-median-KiB VmHWM-KiB", from SAMPLES samples a second apart.
rss() {
  local samples=() i
  for i in $(seq 5); do
    kill -0 "$OPERATOR_PID" 2>/dev/null || { echo "dead dead"; return; }
    samples+=("$(awk '/VmRSS/ {print $2}' "/proc/$OPERATOR_PID/status")")
    sleep 1
  done
  printf '%s %s\n' "$(printf '%s\n' "${samples[@]}" | sort -n | sed -n 3p)" \
    "$(awk '/VmHWM/ {print $2}' "/proc/$OPERATOR_PID/status")"
}

stack_say "four backups (two with a Secret) before the Secrets exist…"
backups before || { tail -20 "$STATE/operator.log"; stack_say "error: the first backups did not succeed"; exit 1; }
stack_say "settling ${SETTLE}s…"
sleep "$SETTLE"
read -r RSS_BEFORE HWM_BEFORE < <(rss)
stack_say "operator RSS before: $((RSS_BEFORE / 1024)) MiB (peak $((HWM_BEFORE / 1024)) MiB)"

stack_say "creating $COUNT Secrets of $SIZE_KIB KiB in $NAMESPACES other namespaces…"
SECRETS_START=$SECONDS
python3 - "$APISERVER_URL" "$ADMIN_TOKEN" "$STATE/ca.crt" "$COUNT" "$SIZE_KIB" "$NAMESPACES" <<'PY'
import base64, json, os, ssl, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
url, token, ca, count, size_kib, namespaces = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7])
ctx = ssl.create_default_context(cafile=ca) if os.path.exists(ca) else ssl._create_unverified_context()
def post(path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(req, context=ctx, timeout=120).read()
names = [f"unrelated-{i:02d}" for i in range(1, namespaces + 1)]
for ns in names:
    post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
def secret(i):
    # Random bytes: what a Helm release Secret (gzip inside base64) looks like to etcd and to a cache.
    blob = base64.b64encode(os.urandom(size_kib * 1024)).decode()
    ns = names[i % namespaces]
    post(f"/api/v1/namespaces/{ns}/secrets", {"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": f"release-{i:05d}"}, "type": "Opaque", "data": {"release": blob}})
with ThreadPoolExecutor(4) as pool:
    for n, _ in enumerate(pool.map(secret, range(count)), 1):
        if n % 250 == 0:
            print(f"  {n} Secrets", flush=True)
PY
SECRETS_SECONDS=$((SECONDS - SECRETS_START))
stack_say "created in ${SECRETS_SECONDS}s"

AFTER_OK=true
stack_say "four more backups while the Secrets exist…"
backups after || AFTER_OK=false
stack_say "settling ${SETTLE}s…"
sleep "$SETTLE"
read -r RSS_AFTER HWM_AFTER < <(rss)
OOM=$(grep -c OutOfMemoryError "$STATE/operator.log" || true)
ALIVE=true
kill -0 "$OPERATOR_PID" 2>/dev/null || ALIVE=false

mkdir -p target
python3 - "$COUNT" "$SIZE_KIB" "$NAMESPACES" "$JAR" "$RSS_BEFORE" "$HWM_BEFORE" "$RSS_AFTER" "$HWM_AFTER" \
  "$SECRETS_SECONDS" "$AFTER_OK" "$OOM" "$ALIVE" >target/bench-secrets.json <<'PY'
import json, sys
count, size, ns, jar, rb, hb, ra, ha, secs, after_ok, oom, alive = sys.argv[1:13]
mib = lambda kb: None if kb == "dead" else round(int(kb) / 1024, 1)
print(json.dumps({
    "secrets": int(count), "secretKiB": int(size), "namespaces": int(ns), "jar": jar,
    "rssBeforeMiB": mib(rb), "peakRssBeforeMiB": mib(hb),
    "rssAfterMiB": mib(ra), "peakRssAfterMiB": mib(ha),
    "secretsCreatedSeconds": int(secs), "backupsAfterSucceeded": after_ok == "true",
    "outOfMemoryErrorsInLog": int(oom), "operatorAlive": alive == "true"}, indent=2))
PY
cat target/bench-secrets.json
printf '\nunrelated Secrets: %s x %s KiB in %s namespaces (%s)\n' "$COUNT" "$SIZE_KIB" "$NAMESPACES" "$JAR"
python3 - target/bench-secrets.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"  operator RSS before / after      {r['rssBeforeMiB']} / {r['rssAfterMiB']} MiB")
print(f"  operator peak RSS before / after {r['peakRssBeforeMiB']} / {r['peakRssAfterMiB']} MiB")
print(f"  backups made while they existed  {'all succeeded' if r['backupsAfterSucceeded'] else 'NOT all succeeded'}")
print(f"  OutOfMemoryError in the log      {r['outOfMemoryErrorsInLog']}; operator alive: {r['operatorAlive']}")
PY
