# shellcheck shell=bash
# The local stack shared by scripts/sandbox.sh and scripts/bench.sh: a real control plane with the
# CRD and deploy/base RBAC, the PolarDB emulator and the operator, each a separate process.
# Source it, set STATE (a fresh directory) and call the functions in order; stack_cleanup stops
# everything they started.

# JAR may name another build (for example an older commit's jar, to compare); it is then used as is.
JAR=${JAR:-target/polardb-backup-operator.jar}
STACK_PIDS=()

stack_say() { printf '%s [%3ds]: %s\n' "${STACK_NAME:-stack}" "$SECONDS" "$*"; }

stack_cleanup() {
  for pid in "${STACK_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${STACK_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/control-plane.sh down "$STATE" >/dev/null 2>&1 || true
}

stack_prerequisites() {
  local need=()
  command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || need+=(maven)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  if [ ${#need[@]} -gt 0 ]; then
    stack_say "installing ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
  # Build when there is no jar, or when a source is newer than it (a stale jar runs old code).
  if [ "$JAR" = target/polardb-backup-operator.jar ] &&
    { [ ! -f "$JAR" ] || [ -n "$(find src/main pom.xml -newer "$JAR" -print -quit)" ]; }; then
    stack_say "building the operator jar (mvn package)…"
    mvn -B -q -DskipTests package
  fi
}

# Control plane, CRD, deploy/base RBAC, and $STATE/operator-kubeconfig for the shipped
# ServiceAccount. Exports KUBECONFIG (admin) for the caller.
stack_control_plane() {
  scripts/control-plane.sh up "$STATE"
  # shellcheck disable=SC1091
  source "$STATE/env"
  export KUBECONFIG="$STATE/kubeconfig"
  # --validate=false: this local API server is 1.20, which predates the CRD's CEL rule (1.25+).
  kubectl apply --validate=false -k crds >/dev/null
  kubectl wait --for=condition=Established crd/polardbbackups.polardbbackup.dev \
    crd/polardbbackupschedules.polardbbackup.dev crd/polardbaccessgrants.polardbbackup.dev \
    --timeout=60s >/dev/null
  kubectl apply -k deploy/base >/dev/null
  local token
  token=$(kubectl create token polardb-backup-operator -n polardb-backup-system --duration=24h)
  cat >"$STATE/operator-kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "$APISERVER_URL", certificate-authority: "$STATE/ca.crt"}}]
users: [{name: operator, user: {token: "$token"}}]
contexts: [{name: operator, context: {cluster: local, user: operator}}]
current-context: operator
KC
  stack_say "CRDs, deploy/base RBAC and its example PolarDBAccessGrant applied"
}

# stack_emulator [emulator options…]: sets EMULATOR_URL.
stack_emulator() {
  java -jar "$JAR" emulator --port 0 "$@" >"$STATE/emulator.log" 2>&1 &
  STACK_PIDS+=($!)
  for _ in $(seq 150); do grep -q "listening on" "$STATE/emulator.log" && break; sleep 0.2; done
  EMULATOR_URL=$(grep -o 'http://[0-9.:]*' "$STATE/emulator.log" | head -1)
  [ -n "$EMULATOR_URL" ] || { cat "$STATE/emulator.log"; stack_say "error: the emulator did not start"; exit 1; }
  stack_say "PolarDB emulator on $EMULATOR_URL"
}

# stack_operator [run options…]: runs the operator as the ServiceAccount against the emulator with
# the emulator's demo key; sets HTTP_PORT and OPERATOR_PID. JAVA_OPTS adds JVM options;
# OPERATOR_LOG names its log in $STATE (default operator.log).
stack_operator() {
  HTTP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # shellcheck disable=SC2086
  KUBECONFIG="$STATE/operator-kubeconfig" ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tEmulatorDemoKey \
    ALIBABA_CLOUD_ACCESS_KEY_SECRET=emulator-demo-secret \
    java ${JAVA_OPTS:-} -jar "$JAR" run --polardb-endpoint "$EMULATOR_URL" --http-port "$HTTP_PORT" \
      --http-bind 127.0.0.1 "$@" >"$STATE/${OPERATOR_LOG:-operator.log}" 2>&1 &
  OPERATOR_PID=$!
  STACK_PIDS+=("$OPERATOR_PID")
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 && break
    kill -0 "$OPERATOR_PID" 2>/dev/null || { tail -20 "$STATE/${OPERATOR_LOG:-operator.log}"; stack_say "error: the operator exited"; exit 1; }
    sleep 0.2
  done
  stack_say "operator ready (metrics on http://127.0.0.1:$HTTP_PORT/metrics)"
}
