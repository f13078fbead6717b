#!/usr/bin/env bash
# The main job on a fresh machine: a complete local setup.
#   - a real kube-apiserver + etcd on loopback (built from Debian's sources on the first run,
#     cached under ~/.cache afterwards; see scripts/control-plane.sh)
#   - the PolarDB emulator with demo clusters pc-demo1..3 (cn-hangzhou), quota 3
#   - the operator (this repo's jar), authenticated as the shipped ServiceAccount
# It applies the CRD, the RBAC from deploy/base and the examples (the fourth backup of pc-demo3
# runs into the quota and waits), prints phase changes, then keeps everything running until
# Ctrl-C, which stops every process it started and removes its state.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
JAR=target/polardb-backup-operator.jar
STATE=$(mktemp -d /tmp/polardb-sandbox.XXXXXX)
PIDS=()

say() { printf "sandbox [%3ds]: %s\n" "$SECONDS" "$*"; }

cleanup() {
  trap - EXIT INT TERM
  say "stopping…"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/control-plane.sh down "$STATE" >/dev/null 2>&1 || true
  rm -rf "$STATE"
  say "stopped; nothing left running"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if [ ! -f "$JAR" ]; then
  say "building the operator jar (mvn package)…"
  mvn -B -q -DskipTests package
fi

scripts/control-plane.sh up "$STATE"
# shellcheck disable=SC1091
source "$STATE/env"
export KUBECONFIG="$STATE/kubeconfig"

# --validate=false: this local API server is 1.20, which predates the CRD CEL rule (1.25+).
kubectl apply --validate=false -f crds/polardbbackups.polardbbackup.dev-v1.yml >/dev/null
kubectl wait --for=condition=Established crd/polardbbackups.polardbbackup.dev --timeout=60s >/dev/null
kubectl apply -k deploy/base >/dev/null
say "CRD and deploy/base RBAC applied"

TOKEN=$(kubectl create token polardb-backup-operator -n polardb-backup-system --duration=24h)
cat >"$STATE/operator-kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: sandbox, cluster: {server: "$APISERVER_URL", certificate-authority: "$STATE/ca.crt"}}]
users: [{name: operator, user: {token: "$TOKEN"}}]
contexts: [{name: operator, context: {cluster: sandbox, user: operator}}]
current-context: operator
KC

java -jar "$JAR" emulator --port 0 --backup-duration "${BACKUP_DURATION:-20s}" --quota 3 >"$STATE/emulator.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 150); do grep -q "listening on" "$STATE/emulator.log" && break; sleep 0.2; done
EMULATOR_URL=$(grep -o 'http://[0-9.:]*' "$STATE/emulator.log" | head -1)
[ -n "$EMULATOR_URL" ] || { cat "$STATE/emulator.log"; say "error: the emulator did not start"; exit 1; }
say "PolarDB emulator on $EMULATOR_URL"

HTTP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KUBECONFIG="$STATE/operator-kubeconfig" ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tEmulatorDemoKey \
  ALIBABA_CLOUD_ACCESS_KEY_SECRET=emulator-demo-secret \
  java -jar "$JAR" run --polardb-endpoint "$EMULATOR_URL" --http-port "$HTTP_PORT" --http-bind 127.0.0.1 \
    --poll-min 2s --quota-backoff-initial 5s --quota-backoff-max 30s >"$STATE/operator.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "${PIDS[-1]}" 2>/dev/null || { tail -20 "$STATE/operator.log"; say "error: the operator exited"; exit 1; }
  sleep 0.2
done
say "operator ready (metrics on http://127.0.0.1:$HTTP_PORT/metrics)"

kubectl apply -f deploy/examples/backup-basic.yaml -f deploy/examples/backup-with-secret.yaml >/dev/null
for f in deploy/examples/sandbox/backup-*.yaml; do kubectl apply -f "$f" >/dev/null; sleep 1; done
say "examples applied; following phases (the 4th backup of pc-demo3 waits for quota)…"

declare -A seen
deadline=$((SECONDS + ${SANDBOX_FOLLOW_SECONDS:-90}))
while [ $SECONDS -lt $deadline ]; do
  while read -r name phase reason; do
    [ -n "$name" ] || continue
    if [ "${seen[$name]:-}" != "$phase/$reason" ]; then
      seen[$name]="$phase/$reason"
      printf '  %-30s %-16s %s\n' "$name" "${phase:-<none>}" "$reason"
    fi
  done < <(kubectl get pdbb -n default -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase} {.status.reason}{"\n"}{end}')
  done_count=$(kubectl get pdbb -n default -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -cE 'Succeeded|WaitingForQuota' || true)
  [ "$done_count" -ge 6 ] && break
  sleep 2
done

cat <<MSG

Everything is running. In another shell:
  export KUBECONFIG=$STATE/kubeconfig
  kubectl get pdbb -A
  kubectl describe pdbb demo3-backup-4 -n default            # waiting for a quota slot
  kubectl delete pdbb demo3-backup-1 -n default              # Delete policy frees a slot; backup-4 then runs
  kubectl wait --for=condition=Ready pdbb/demo3-backup-4 -n default --timeout=120s
  curl -s $EMULATOR_URL/_emulator/ledger                      # what the emulated PolarDB saw
  curl -s http://127.0.0.1:$HTTP_PORT/metrics | grep polardb_
Logs: $STATE/operator.log, $STATE/emulator.log. Ctrl-C stops everything.
MSG
wait "${PIDS[@]}"
