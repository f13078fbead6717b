#!/usr/bin/env bash
# The main job on a fresh machine: a complete local setup.
#   - a real kube-apiserver, kube-controller-manager and etcd on loopback (built from Debian's
#     sources on the first run, cached under ~/.cache afterwards; see scripts/control-plane.sh)
#   - the PolarDB emulator with demo clusters pc-demo1..3 (cn-hangzhou), quota 3
#   - the operator (this repo's jar), authenticated as the shipped ServiceAccount
# It applies the CRDs, the RBAC from deploy/base and the examples (the fourth backup of pc-demo3
# runs into the quota and waits; a schedule backs up pc-demo1 every minute and rotates its
# backups), prints phase changes, then keeps everything running until Ctrl-C, which stops every
# process it started and removes its state.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=$(mktemp -d /tmp/polardb-sandbox.XXXXXX)
STACK_NAME=sandbox
# shellcheck source=scripts/lib/local-stack.sh
source scripts/lib/local-stack.sh
say() { stack_say "$@"; }

cleanup() {
  trap - EXIT INT TERM
  say "stopping…"
  stack_cleanup
  rm -rf "$STATE"
  say "stopped; nothing left running"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stack_prerequisites
stack_control_plane
stack_emulator --backup-duration "${BACKUP_DURATION:-20s}" --quota 3
stack_operator --poll-min 2s --quota-backoff-initial 5s --quota-backoff-max 30s

kubectl apply -f deploy/examples/backup-basic.yaml -f deploy/examples/backup-with-secret.yaml >/dev/null
for f in deploy/examples/sandbox/backup-*.yaml; do kubectl apply -f "$f" >/dev/null; sleep 1; done
kubectl apply -f deploy/examples/sandbox/schedule-every-minute.yaml >/dev/null
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
  [ "$done_count" -ge 7 ] && break
  sleep 2
done

cat <<MSG

Everything is running. In another shell:
  export KUBECONFIG=$STATE/kubeconfig
  kubectl get pdbb -A
  kubectl get pdbbs -n default -o wide                       # the every-minute schedule
  kubectl get pdbb -n default -l polardbbackup.dev/schedule=every-minute
  kubectl describe pdbbs every-minute -n default             # ticks, retention, RotatedForQuota
  kubectl describe pdbb demo3-backup-4 -n default            # waiting for a quota slot
  kubectl delete pdbb demo3-backup-1 -n default              # Delete policy frees a slot; backup-4 then runs
  kubectl wait --for=condition=Ready pdbb/demo3-backup-4 -n default --timeout=120s
  curl -s $EMULATOR_URL/_emulator/ledger                      # what the emulated PolarDB saw
  curl -s http://127.0.0.1:$HTTP_PORT/metrics | grep polardb_
Logs: $STATE/operator.log, $STATE/emulator.log. Ctrl-C stops everything.
MSG
wait "${STACK_PIDS[@]}"
