#!/usr/bin/env bash
# Runs the operator against the current kubeconfig with the PolarDB emulator standing in for
# Alibaba Cloud (demo clusters pc-demo1..3 in cn-hangzhou, demo AccessKey), applies the CRD and
# prints what to try next. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/polardb-backup-operator.jar
[ -f "$JAR" ] || mvn -B -q -DskipTests package
if ! kubectl version --request-timeout=5s >/dev/null 2>&1; then
  echo "error: no Kubernetes API server reachable through the current kubeconfig (kubectl version failed)" >&2
  exit 1
fi
kubectl apply -f crds/
PORT=${EMULATOR_PORT:-8700}
java -jar "$JAR" emulator --port "$PORT" --backup-duration "${BACKUP_DURATION:-20s}" &
EMU=$!
trap 'kill $EMU $OP 2>/dev/null || true' EXIT INT TERM
ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tEmulatorDemoKey ALIBABA_CLOUD_ACCESS_KEY_SECRET=emulator-demo-secret \
  java -jar "$JAR" run --polardb-endpoint "http://127.0.0.1:$PORT" --poll-min 2s &
OP=$!
cat <<MSG

Operator and emulator are running. Try:
  kubectl apply -f deploy/examples/backup-basic.yaml
  kubectl get pdbb -A -w
  kubectl wait --for=condition=Ready pdbb/orders-before-migration --timeout=120s
  curl -s http://127.0.0.1:$PORT/_emulator/ledger
MSG
wait $OP
