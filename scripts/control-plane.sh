#!/usr/bin/env bash
# A real, local Kubernetes control plane (etcd + kube-apiserver + kube-controller-manager v1.20.2)
# on 127.0.0.1, for the end-to-end tests and for trying the operator by hand.
#
#   scripts/control-plane.sh ensure                  build/install what is missing (cached per machine)
#   scripts/control-plane.sh up DIR                  ensure, start etcd, kube-apiserver, kube-controller-manager
#   scripts/control-plane.sh restart-apiserver DIR   restart only kube-apiserver (same flags, port, data)
#   scripts/control-plane.sh down DIR                stop kube-controller-manager, kube-apiserver, etcd
#   scripts/control-plane.sh paths                   print KUBE_APISERVER=, KUBE_CONTROLLER_MANAGER=, ETCD=, KUBECTL=
#
# Why it builds from source: these machines reach only Debian's, Maven Central's and npm's
# registries, and none of them ships a kube-apiserver binary. Debian bookworm ships the full
# Kubernetes v1.20.2 source tree (package `kubernetes`), Go 1.19 and etcd 3.4, so we build
# kube-apiserver and kube-controller-manager once per machine, in one `make` (10-20 minutes on 2
# cores), and cache them; `ensure` builds only what the cache lacks. See
# shared/docs/real-apiserver.md for how this route was found and checked.
#
# kube-controller-manager runs the controllers the operator relies on in a real cluster and
# nothing more: namespace (`kubectl delete namespace`), garbagecollector (ownerReferences: a
# schedule's backups go with it), serviceaccount and serviceaccount-token. No cloud, no nodes, no
# leader election. restart-apiserver leaves it running; it reconnects.
#
# After `up DIR`, DIR holds: kubeconfig (admin, token auth), env (APISERVER_URL, APISERVER_PORT,
# ETCD_PORT, ETCD_PID, APISERVER_PID, KCM_PORT, KCM_PID, KUBECONFIG, ADMIN_TOKEN, ...:
# `set -a; . DIR/env`), etcd.log, apiserver.log, controller-manager.log,
# controller-manager.kubeconfig (user system:kube-controller-manager), etcd-data/, pki/, ca.crt,
# sa.key, tokens.csv.
#
# Environment: POLARDB_CP_CACHE (cache root, default ~/.cache/polardb-backup-operator),
# POLARDB_CP_KEEP_BUILD=1 (keep the build tree and Go build cache after a build, about 2 GB),
# POLARDB_CP_DEBIAN_MIRROR / POLARDB_CP_DEBIAN_SECURITY_MIRROR (override the mirror URLs that are
# otherwise read from the machine's apt sources).
set -euo pipefail
# Also stop on failures inside $(...). Note: bash ignores `set -e` inside functions called from
# `if`, `&&` or `||`, so build steps are called as plain statements and fail through `die`.
shopt -s inherit_errexit

readonly K8S_VERSION=1.20.2
readonly DEBIAN_SUITE=bookworm
readonly GO_PKG=golang-1.19
readonly CACHE_ROOT=${POLARDB_CP_CACHE:-$HOME/.cache/polardb-backup-operator}
readonly BIN_DIR=$CACHE_ROOT/k8s/v$K8S_VERSION
readonly WORK_DIR=$CACHE_ROOT/k8s/build-v$K8S_VERSION
readonly LOG=$CACHE_ROOT/k8s/ensure.log
readonly LOCK_FILE=$CACHE_ROOT/k8s/.ensure.lock
# Not readonly: `load_env` sources DIR/env, which repeats them.
KUBE_APISERVER=$BIN_DIR/kube-apiserver
KUBE_CONTROLLER_MANAGER=$BIN_DIR/kube-controller-manager
ETCD=$BIN_DIR/etcd
# Disk the build needs at its peak: Go toolchain, unpacked source, Go build cache, binaries.
readonly BUILD_DISK_KB=$((4 * 1024 * 1024))

# ---------------------------------------------------------------------------------------------
# Messages and failures
# ---------------------------------------------------------------------------------------------

# Progress goes to stderr so that stdout carries only results (`paths`, the "ready" line).
say() { printf 'control plane: %s\n' "$*" >&2; }

# One readable line naming what failed, then exit non-zero.
die() {
  printf 'control-plane.sh: error: %s\n' "$*" >&2
  exit 1
}

# A failed build step: name it, point at the log and show its tail.
die_with_log() {
  local what=$1 log=${2:-$LOG}
  if [ -s "$log" ]; then
    printf -- '----- last 30 lines of %s -----\n' "$log" >&2
    tail -n 30 "$log" >&2
    printf -- '-----\n' >&2
  fi
  die "$what failed (full log: $log)"
}

# Runs a command with its output appended to the ensure log; on failure names the step.
run_logged() {
  local what=$1
  shift
  printf '\n### %s\n### $ %s\n' "$what" "$*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 || die_with_log "$what"
}

# The same, in directory DIR (apt-get download/source write into the current directory).
run_logged_in() {
  local dir=$1 what=$2
  shift 2
  printf '\n### %s\n### $ (cd %s && %s)\n' "$what" "$dir" "$*" >>"$LOG"
  (cd "$dir" && "$@") >>"$LOG" 2>&1 || die_with_log "$what"
}

# ---------------------------------------------------------------------------------------------
# Binaries and the build (ensure)
# ---------------------------------------------------------------------------------------------

# kubectl: the machine's own if it has one, else the one we build from the same tree.
system_kubectl() { command -v kubectl 2>/dev/null || true; }
kubectl_path() {
  local k
  k=$(system_kubectl)
  if [ -n "$k" ]; then echo "$k"; else echo "$BIN_DIR/kubectl"; fi
}
need_kubectl_build() { [ -z "$(system_kubectl)" ] && [ ! -x "$BIN_DIR/kubectl" ]; }
need_apiserver_build() { [ ! -x "$KUBE_APISERVER" ]; }
need_controller_manager_build() { [ ! -x "$KUBE_CONTROLLER_MANAGER" ]; }
all_cached() {
  [ -x "$KUBE_APISERVER" ] && [ -x "$KUBE_CONTROLLER_MANAGER" ] && [ -x "$ETCD" ] && ! need_kubectl_build
}

# Installs small build tools with the system's apt (the ordinary way); refreshes the package
# lists only when the install cannot find them.
apt_install_system() {
  say "installing $* with apt-get…"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "$@" >>"$LOG" 2>&1; then
    run_logged "apt-get update" apt-get update -q
    run_logged "apt-get install $*" apt-get install -y -q --no-install-recommends "$@"
  fi
}

# Mirror URLs as the machine's own apt sources name them (deb822 `URIs:` or one-line `deb URI`),
# so that the private sources list below uses the same, reachable, mirror.
system_apt_uris() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    grep -hE '^[[:space:]]*(URIs:|deb[[:space:]])' "$f" 2>/dev/null |
      grep -oE '(https?|file)://[^[:space:]]+' || true
  done
}
debian_mirror() {
  if [ -n "${POLARDB_CP_DEBIAN_MIRROR:-}" ]; then echo "$POLARDB_CP_DEBIAN_MIRROR"; return; fi
  local u
  u=$(system_apt_uris | grep -E '/debian/?$' | head -n 1 || true)
  echo "${u:-http://deb.debian.org/debian}"
}
debian_security_mirror() {
  if [ -n "${POLARDB_CP_DEBIAN_SECURITY_MIRROR:-}" ]; then echo "$POLARDB_CP_DEBIAN_SECURITY_MIRROR"; return; fi
  local u
  u=$(system_apt_uris | grep -E '/debian-security/?$' | head -n 1 || true)
  echo "${u:-$(debian_mirror | sed -E 's#/debian/?$#/debian-security#')}"
}

# A private apt setup (sources list, package lists, cache) for bookworm, whatever the machine's
# own Debian release is: the system's apt configuration and state are left untouched.
APT_DIR=$WORK_DIR/apt
APT_OPTS=(
  -o "Dir::Etc::SourceList=$APT_DIR/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::Etc::Preferences=/dev/null"
  -o "Dir::Etc::PreferencesParts=/dev/null"
  -o "Dir::State::Lists=$APT_DIR/lists"
  -o "Dir::Cache=$APT_DIR/cache"
  -o "APT::Sandbox::User=root"
  -o "Acquire::Retries=3"
)
setup_private_apt() {
  local mirror security signed=""
  mirror=$(debian_mirror)
  security=$(debian_security_mirror)
  if [ -r /usr/share/keyrings/debian-archive-keyring.gpg ]; then
    signed="[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
  fi
  mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
  cat >"$APT_DIR/sources.list" <<EOF
deb ${signed}$mirror $DEBIAN_SUITE main
deb-src ${signed}$mirror $DEBIAN_SUITE main
deb ${signed}$security $DEBIAN_SUITE-security main
deb-src ${signed}$security $DEBIAN_SUITE-security main
EOF
  say "reading Debian $DEBIAN_SUITE package lists from $mirror (private apt lists, system apt untouched)…"
  # --error-on=any: an unreachable mirror fails here, not later as "Unable to locate package".
  run_logged "apt-get update (private $DEBIAN_SUITE lists)" apt-get "${APT_OPTS[@]}" update --error-on=any
}

# Downloads .debs into $WORK_DIR/debs and unpacks them into one private root ($WORK_DIR/root):
# nothing is installed system-wide.
fetch_and_unpack_debs() {
  mkdir -p "$WORK_DIR/debs" "$WORK_DIR/root"
  run_logged_in "$WORK_DIR/debs" "apt-get download $*" apt-get "${APT_OPTS[@]}" download "$@"
  local p deb
  for p in "$@"; do
    deb=$(find "$WORK_DIR/debs" -maxdepth 1 -name "${p}_*.deb" | sort | tail -n 1)
    [ -n "$deb" ] || die_with_log "download of Debian package $p"
    run_logged "unpack $deb" dpkg-deb -x "$deb" "$WORK_DIR/root"
  done
}

install_etcd() {
  say "downloading etcd-server from Debian $DEBIAN_SUITE (about 8 MB)…"
  fetch_and_unpack_debs etcd-server
  [ -x "$WORK_DIR/root/usr/bin/etcd" ] || die_with_log "finding usr/bin/etcd in the etcd-server package"
  install -m 0755 "$WORK_DIR/root/usr/bin/etcd" "$ETCD.tmp"
  mv -f "$ETCD.tmp" "$ETCD"
  say "etcd installed: $("$ETCD" --version 2>/dev/null | head -n 1)"
}

# Fetches the `kubernetes` source package and unpacks it (with Debian's patches) into $1.
fetch_kubernetes_source() {
  local src=$1 dl=$WORK_DIR/source dsc
  say "downloading Kubernetes $K8S_VERSION source from Debian $DEBIAN_SUITE (about 35 MB, once per machine)…"
  rm -rf "$dl" "$src"
  mkdir -p "$dl"
  run_logged_in "$dl" "apt-get source kubernetes" apt-get "${APT_OPTS[@]}" source --download-only kubernetes
  dsc=$(find "$dl" -maxdepth 1 -name 'kubernetes_*.dsc' | head -n 1)
  [ -n "$dsc" ] || die_with_log "download of the kubernetes source package"
  # Debian's version is 1.20.5+really1.20.2-…: make sure the tree really is the one we name.
  grep -qE "^Version: .*really$K8S_VERSION-" "$dsc" ||
    die "Debian's kubernetes source package is no longer upstream $K8S_VERSION ($(grep '^Version:' "$dsc"))"
  say "unpacking the source tree…"
  if command -v dpkg-source >/dev/null 2>&1; then
    run_logged "dpkg-source -x" dpkg-source -x "$dsc" "$src"
  else
    # Without dpkg-dev: the upstream tarball alone (Debian's 3 patches only touch kubectl output).
    mkdir -p "$src"
    run_logged "unpack the kubernetes source" tar -xzf "$dl"/kubernetes_*.orig.tar.gz -C "$src" --strip-components=1
  fi
  rm -rf "$dl"
}

# v1.20.2 vendors reflect2 1.0.1 and json-iterator 1.1.10, which crash (segfault in map
# iteration) on the first custom-resource create when built with Go >= 1.18. Debian bookworm's
# reflect2 1.0.2 and json-iterator 1.1.12 fix that; swap the two vendored folders for them.
fix_vendored_json_iterator() {
  local src=$1 gocode=$WORK_DIR/root/usr/share/gocode/src/github.com d
  for d in modern-go/reflect2 json-iterator/go; do
    [ -d "$gocode/$d" ] || die_with_log "finding $d in Debian's golang-github-* package"
    rm -rf "${src:?}/vendor/github.com/$d"
    cp -a "$gocode/$d" "$src/vendor/github.com/$d"
  done
  printf '\n### replaced vendor/github.com/{modern-go/reflect2,json-iterator/go} with Debian %s copies\n' \
    "$DEBIAN_SUITE" >>"$LOG"
}

# Runs the tree's own make (plain `go build` does not work on this tree) in a clean environment,
# printing a heartbeat so nobody sits in silence for minutes.
make_kubernetes() {
  local src=$1 goroot=$WORK_DIR/root/usr/lib/go-1.19 arch pid start beat=30
  shift
  [ -x "$goroot/bin/go" ] || die_with_log "finding Go 1.19 in the $GO_PKG-go package"
  arch=$(dpkg --print-architecture)
  printf '\n### make WHAT=%s\n' "$*" >>"$LOG"
  env -i \
    HOME="$WORK_DIR/home" TMPDIR="$WORK_DIR/tmp" LANG=C LC_ALL=C \
    PATH="$goroot/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    GOROOT="$goroot" GOENV=off GOFLAGS= GOPROXY=off CGO_ENABLED=0 \
    KUBE_BUILD_PLATFORMS="linux/$arch" KUBE_VERBOSE=1 \
    KUBE_GIT_VERSION="v$K8S_VERSION" KUBE_GIT_MAJOR=1 KUBE_GIT_MINOR=20 KUBE_GIT_TREE_STATE=clean \
    make -C "$src" WHAT="$*" >>"$LOG" 2>&1 &
  pid=$!
  start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    # A loaded machine can sleep past an exact multiple of 30 s: compare, do not take a modulo.
    if ((SECONDS - start >= beat)) && kill -0 "$pid" 2>/dev/null; then
      say "  … still building ($((SECONDS - start)) s so far)"
      beat=$((beat + 30))
    fi
  done
  wait "$pid" || die_with_log "building $* (make)"
  say "built $* in $((SECONDS - start)) s"
}

build_kubernetes() {
  local src=$WORK_DIR/kubernetes what=() names=()
  need_apiserver_build && what+=(cmd/kube-apiserver) && names+=(kube-apiserver)
  need_controller_manager_build && what+=(cmd/kube-controller-manager) && names+=(kube-controller-manager)
  need_kubectl_build && what+=(cmd/kubectl) && names+=(kubectl)
  [ ${#what[@]} -gt 0 ] || return 0

  local avail_kb
  avail_kb=$(df -Pk "$CACHE_ROOT" | awk 'NR == 2 { print $4 }')
  [ "${avail_kb:-0}" -ge "$BUILD_DISK_KB" ] ||
    die "building ${names[*]} needs about 4 GB free under $CACHE_ROOT; only $((avail_kb / 1024)) MB are"

  if ! command -v make >/dev/null 2>&1; then apt_install_system make; fi
  # The tree's make copies the built binaries into _output with rsync.
  if ! command -v rsync >/dev/null 2>&1; then apt_install_system rsync; fi

  say "downloading Go 1.19 from Debian $DEBIAN_SUITE (about 80 MB, unpacked privately)…"
  fetch_and_unpack_debs "$GO_PKG-go" "$GO_PKG-src" \
    golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev
  fetch_kubernetes_source "$src"
  fix_vendored_json_iterator "$src"

  mkdir -p "$WORK_DIR/home" "$WORK_DIR/tmp"
  # Measured on 2 cores: kube-apiserver alone 3-4 min; kube-controller-manager alone 17 CPU-minutes
  # (it links every in-tree cloud provider), 15 min beside other builds; kubectl alone 1.5 min.
  # In one make the binaries share most packages.
  local minutes="3-4"
  [ "${names[*]}" = kubectl ] && minutes="1-2"
  [[ " ${names[*]} " == *" kube-controller-manager "* ]] && minutes="10-20"
  say "building ${names[*]} (about $minutes minutes on 2 cores; log: $LOG)…"
  make_kubernetes "$src" "${what[@]}"

  local n
  for n in "${names[@]}"; do
    [ -x "$src/_output/bin/$n" ] || die_with_log "finding _output/bin/$n after the build"
    install -m 0755 "$src/_output/bin/$n" "$BIN_DIR/$n.tmp"
    mv -f "$BIN_DIR/$n.tmp" "$BIN_DIR/$n" # atomic: a reader never sees half a binary
  done
  for n in kube-apiserver kube-controller-manager; do
    "$BIN_DIR/$n" --version 2>/dev/null | grep -q "v$K8S_VERSION" || die_with_log "checking the built $n's version"
  done
}

# The whole ensure, under a lock so that two runs never build at once. Runs in a subshell
# (see ensure) so that the lock's file descriptor is closed again before `up` starts servers.
ensure_locked() {
  mkdir -p "$BIN_DIR"
  exec 9>"$LOCK_FILE"
  if ! flock -n 9; then
    say "another control-plane.sh is building; waiting for it…"
    flock 9
  fi
  all_cached && return 0 # the other run built it

  : >"$LOG"
  local t0=$SECONDS
  say "setting up kube-apiserver + kube-controller-manager $K8S_VERSION and etcd in $BIN_DIR (once per machine; log: $LOG)"
  rm -rf "$WORK_DIR"
  mkdir -p "$WORK_DIR"
  setup_private_apt
  if [ ! -x "$ETCD" ]; then install_etcd; fi
  build_kubernetes
  local downloaded # what went over the network: the sum of apt's "Fetched 19.2 MB in 1s" lines
  downloaded=$(grep -oE '^Fetched [0-9.,]+ [kMG]?B' "$LOG" | awk '{ v = $2; gsub(",", "", v)
    if ($3 == "B") v /= 1e6; else if ($3 == "kB") v /= 1e3; else if ($3 == "GB") v *= 1e3
    s += v } END { printf "%.0f", s }')
  if [ "${POLARDB_CP_KEEP_BUILD:-0}" = 1 ]; then
    say "keeping the build tree in $WORK_DIR (POLARDB_CP_KEEP_BUILD=1)"
  else
    rm -rf "$WORK_DIR" # source, Go toolchain and Go build cache: about 2 GB, not needed any more
  fi
  say "ready in $((SECONDS - t0)) s (downloaded about ${downloaded} MB): $(du -sh "$BIN_DIR" | cut -f1) in $BIN_DIR"
}

ensure() {
  all_cached && return 0 # the fast path: no lock, no apt
  (ensure_locked)        # a subshell: its exit closes the lock's descriptor; failure exits here
}

cmd_ensure() {
  ensure
  say "kube-apiserver and kube-controller-manager $K8S_VERSION, etcd and kubectl ready (cached in $BIN_DIR)"
}

cmd_paths() {
  echo "KUBE_APISERVER=$KUBE_APISERVER"
  echo "KUBE_CONTROLLER_MANAGER=$KUBE_CONTROLLER_MANAGER"
  echo "ETCD=$ETCD"
  echo "KUBECTL=$(kubectl_path)"
  all_cached || die "not built yet on this machine: run scripts/control-plane.sh ensure"
}

# ---------------------------------------------------------------------------------------------
# Running (up, restart-apiserver, down)
# ---------------------------------------------------------------------------------------------

# N free TCP ports on 127.0.0.1, held open together while picking so that they differ.
free_ports() {
  local n=$1
  if command -v python3 >/dev/null 2>&1 && python3 - "$n" <<'PY' 2>/dev/null; then return 0; fi
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
  # Without python3: probe random ports in the ephemeral range with bash's /dev/tcp.
  local ports=() p
  while [ ${#ports[@]} -lt "$n" ]; do
    p=$((20000 + RANDOM % 30000))
    [[ " ${ports[*]} " == *" $p "* ]] && continue
    (: >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || ports+=("$p")
  done
  echo "${ports[*]}"
}

# Alive and not a zombie.
pid_alive() {
  local pid=$1 stat
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}

# True if PID is alive and its command line mentions DIR (guards against a recycled pid).
pid_is_ours() {
  local pid=$1 dir=$2
  pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/"
}

# The servers are not our children (they were detached), so their init reaps them; on some
# machines that takes about a second. Waiting for it (at most 5 s) means that `pgrep` right after
# `down` no longer lists them as <defunct>.
wait_reaped() {
  local pid=$1 i
  for ((i = 0; i < 50; i++)); do
    [ -e "/proc/$pid" ] || return 0
    sleep 0.1
  done
}

# SIGTERM, wait up to $3 seconds, then SIGKILL (saying so, unless $4 is `quiet`: expected).
stop_pid() {
  local pid=$1 name=$2 grace=${3:-30} quiet=${4:-} i deadline
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + grace)) # by the clock: on a loaded machine 10 x 0.1 s sleeps take longer
  while ((SECONDS < deadline)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  [ "$quiet" = quiet ] || say "$name (pid $pid) did not stop within ${grace} s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  die "could not stop $name (pid $pid)"
}

# Starts a command in its own session (setsid; nohup for SIGHUP), detached from this script and
# from the caller's process group, so that it outlives both. Prints its pid: the wrapper shell
# writes its own pid and then execs the command, so the pid is the server's own.
start_detached() {
  local pidfile=$1 log=$2 i
  shift 2
  rm -f "$pidfile"
  setsid bash -c 'echo $$ >"$0"; exec nohup "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1 &
  for ((i = 0; i < 100; i++)); do
    [ -s "$pidfile" ] && cat "$pidfile" && return 0
    sleep 0.05
  done
  die "could not start $1 (no pid after 5 s; log: $log)"
}

# Polls URL until it answers BODY, failing early if PID died. $TOKEN, if set, is sent.
wait_ready() {
  local what=$1 pid=$2 url=$3 want=$4 log=$5 timeout=${6:-60} t0=$SECONDS out auth=()
  [ -n "${TOKEN:-}" ] && auth=(-H "Authorization: Bearer $TOKEN")
  while :; do
    out=$(curl -fsSk --max-time 2 "${auth[@]}" "$url" 2>/dev/null || true)
    [[ "$out" == *"$want"* ]] && return 0
    if ! pid_alive "$pid"; then
      printf -- '----- last 30 lines of %s -----\n' "$log" >&2
      tail -n 30 "$log" >&2
      die "$what exited during startup (log: $log)"
    fi
    if ((SECONDS - t0 >= timeout)); then
      printf -- '----- last 30 lines of %s -----\n' "$log" >&2
      tail -n 30 "$log" >&2
      die "$what not ready within $timeout s at $url (log: $log)"
    fi
    sleep 0.2
  done
}

# The directory argument, absolute (pid checks and the files we write use it); `up` creates it.
abs_dir() {
  local dir=${1:-} create=${2:-}
  [ -n "$dir" ] || die "missing DIR argument (usage: $0 up|restart-apiserver|down DIR)"
  if [ "$create" = create ]; then
    mkdir -p "$dir" || die "cannot create $dir"
  fi
  [ -d "$dir" ] || die "no such directory: $dir"
  (cd "$dir" && pwd -P)
}

write_env() {
  local dir=$1 k
  {
    echo "# written by scripts/control-plane.sh; load with: set -a; . $dir/env; set +a"
    for k in APISERVER_URL APISERVER_PORT ETCD_URL ETCD_PORT ETCD_PEER_PORT ETCD_PID APISERVER_PID \
      KCM_PORT KCM_PID KUBECONFIG ADMIN_TOKEN KUBE_APISERVER KUBE_CONTROLLER_MANAGER ETCD KUBECTL \
      CONTROL_PLANE_DIR; do
      printf '%s=%q\n' "$k" "${!k:-}"
    done
  } >"$dir/env.tmp"
  chmod 600 "$dir/env.tmp" # it holds the admin token
  mv -f "$dir/env.tmp" "$dir/env"
}

# kube-apiserver makes its own serving certificate in DIR/pki (kept across restarts); that file
# holds the serving certificate (valid for 127.0.0.1) followed by the self-signed CA that issued
# it. The kubeconfigs trust that CA (also written to DIR/ca.crt); should the file ever lack it,
# they fall back to skipping verification.
write_ca() {
  local dir=$1
  awk '/-----BEGIN CERTIFICATE-----/ { n++; buf = "" } { buf = buf $0 "\n" }
       END { if (n >= 2) printf "%s", buf }' "$dir/pki/apiserver.crt" >"$dir/ca.crt" 2>/dev/null || true
  [ -s "$dir/ca.crt" ] || rm -f "$dir/ca.crt"
}

# A kubeconfig that logs in with a token: DIR FILE USER TOKEN.
write_kubeconfig() {
  local dir=$1 file=$2 user=$3 token=$4 tls
  if [ -s "$dir/ca.crt" ]; then
    tls="certificate-authority-data: $(base64 -w0 <"$dir/ca.crt")"
  else
    tls="insecure-skip-tls-verify: true"
  fi
  cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: polardb-local
  cluster:
    server: $APISERVER_URL
    $tls
users:
- name: $user
  user:
    token: $token
contexts:
- name: polardb-local
  context:
    cluster: polardb-local
    user: $user
    namespace: default
current-context: polardb-local
EOF
  chmod 600 "$file.tmp"
  mv -f "$file.tmp" "$file"
}

load_env() {
  local dir=$1
  [ -r "$dir/env" ] || return 1
  # shellcheck disable=SC1091 # written by write_env above: only KEY=value lines
  . "$dir/env"
}

start_apiserver() {
  local dir=$1 args=()
  mapfile -d '' -t args <"$dir/apiserver.args"
  APISERVER_PID=$(start_detached "$dir/apiserver.pid" "$dir/apiserver.log" "${args[@]}")
  STARTED+=("$APISERVER_PID")
  TOKEN=$ADMIN_TOKEN wait_ready kube-apiserver "$APISERVER_PID" "$APISERVER_URL/readyz" ok "$dir/apiserver.log" 90
}

# kube-controller-manager, for what a real cluster does besides the operator: the garbage
# collector (a schedule's backups go with it, through their ownerReferences), the namespace
# controller (`kubectl delete namespace` empties and removes the namespace) and the
# service-account controllers (each namespace's `default` ServiceAccount, legacy token Secrets).
# It logs in as system:kube-controller-manager (a static token; the default RBAC bootstrap roles
# cover it), and with --use-service-account-credentials each controller runs as its own
# ServiceAccount in kube-system under its system:controller:* role, as on kubeadm clusters. One
# instance, so no leader election; the secure port on 127.0.0.1 only, the insecure one (10252 by
# default in 1.20) off. It outlives restart-apiserver: its clients reconnect.
start_controller_manager() {
  local dir=$1 root_ca=()
  [ -s "$dir/ca.crt" ] && root_ca=(--root-ca-file="$dir/ca.crt")
  KCM_PID=$(start_detached "$dir/controller-manager.pid" "$dir/controller-manager.log" \
    "$KUBE_CONTROLLER_MANAGER" \
    --kubeconfig="$dir/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$KCM_PORT" \
    --port=0 \
    --cert-dir="$dir/pki" \
    --leader-elect=false \
    --controllers=namespace,garbagecollector,serviceaccount,serviceaccount-token \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$dir/sa.key" \
    "${root_ca[@]}")
  STARTED+=("$KCM_PID")
  TOKEN='' wait_ready kube-controller-manager "$KCM_PID" "https://127.0.0.1:$KCM_PORT/healthz" ok \
    "$dir/controller-manager.log" 60
  # Each controller starts once its own ServiceAccount token exists; the `default`
  # ServiceAccount of `default` shows that they have.
  TOKEN=$ADMIN_TOKEN wait_ready "kube-controller-manager's controllers" "$KCM_PID" \
    "$APISERVER_URL/api/v1/namespaces/default/serviceaccounts/default" '"ServiceAccount"' \
    "$dir/controller-manager.log" 60
}

# If `up` fails midway, stop what it started (newest first) so nothing is left running.
STARTED=()
UP_DONE=0
cleanup_failed_up() {
  [ "$UP_DONE" = 1 ] && return 0
  local i
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    stop_pid "${STARTED[$i]}" "process ${STARTED[$i]}" 10 || true
  done
}

cmd_up() {
  local dir
  dir=$(abs_dir "${1:-}" create)
  if load_env "$dir" && { pid_is_ours "${APISERVER_PID:-}" "$dir" || pid_is_ours "${ETCD_PID:-}" "$dir" ||
    pid_is_ours "${KCM_PID:-}" "$dir"; }; then
    die "a control plane is already running under $dir (run: $0 down $dir)"
  fi
  ensure
  trap cleanup_failed_up EXIT
  command -v openssl >/dev/null 2>&1 || die "openssl is needed to make the service-account key"
  command -v curl >/dev/null 2>&1 || die "curl is needed to wait for readiness"

  local ports
  ports=$(free_ports 4)
  read -r ETCD_PORT ETCD_PEER_PORT APISERVER_PORT KCM_PORT <<<"$ports"
  [[ "$ETCD_PORT $ETCD_PEER_PORT $APISERVER_PORT $KCM_PORT" =~ ^[0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]] ||
    die "could not pick free ports on 127.0.0.1 (got '$ports')"
  ETCD_URL=http://127.0.0.1:$ETCD_PORT
  APISERVER_URL=https://127.0.0.1:$APISERVER_PORT
  KUBECONFIG=$dir/kubeconfig
  CONTROL_PLANE_DIR=$dir
  KUBECTL=$(kubectl_path)
  ADMIN_TOKEN=$(openssl rand -hex 24)
  local kcm_token
  kcm_token=$(openssl rand -hex 24)

  # Credentials: an admin token (system:masters), kube-controller-manager's token, and the key
  # that signs service-account tokens (TokenRequest, `kubectl create token`, the token
  # controller's Secrets).
  (
    umask 077
    printf '%s,admin,admin,system:masters\n' "$ADMIN_TOKEN" >"$dir/tokens.csv"
    printf '%s,system:kube-controller-manager,system:kube-controller-manager\n' "$kcm_token" >>"$dir/tokens.csv"
    [ -s "$dir/sa.key" ] || openssl genrsa -out "$dir/sa.key" 2048 >/dev/null 2>&1 ||
      die "openssl genrsa (service-account key) failed"
  )
  mkdir -p "$dir/pki" "$dir/etcd-data"

  ETCD_PID=$(start_detached "$dir/etcd.pid" "$dir/etcd.log" "$ETCD" \
    --name=polardb-local --data-dir="$dir/etcd-data" --logger=zap \
    --listen-client-urls="$ETCD_URL" --advertise-client-urls="$ETCD_URL" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="polardb-local=http://127.0.0.1:$ETCD_PEER_PORT")
  STARTED+=("$ETCD_PID")
  TOKEN='' wait_ready etcd "$ETCD_PID" "$ETCD_URL/health" '"health":"true"' "$dir/etcd.log" 30

  # The flags are kept in DIR/apiserver.args (NUL-separated) so restart-apiserver reuses them.
  # OwnerReferencesPermissionEnforcement is on by default on OpenShift and on some hardened
  # clusters: setting blockOwnerDeletion on a schedule's backups then needs `update` on
  # polardbbackupschedules/finalizers. Enabled here so that a missing RBAC rule fails the e2e.
  local args=(
    "$KUBE_APISERVER"
    --etcd-servers="$ETCD_URL"
    --bind-address=127.0.0.1
    --advertise-address=127.0.0.1
    --secure-port="$APISERVER_PORT"
    --cert-dir="$dir/pki"
    --token-auth-file="$dir/tokens.csv"
    --authorization-mode=RBAC
    --service-account-issuer=https://kubernetes.default.svc
    --service-account-key-file="$dir/sa.key"
    --service-account-signing-key-file="$dir/sa.key"
    --service-cluster-ip-range=10.0.0.0/24
    --disable-admission-plugins=ServiceAccount
    --enable-admission-plugins=OwnerReferencesPermissionEnforcement
    --endpoint-reconciler-type=none
  )
  printf '%s\0' "${args[@]}" >"$dir/apiserver.args"
  start_apiserver "$dir"

  write_ca "$dir"
  write_kubeconfig "$dir" "$KUBECONFIG" admin "$ADMIN_TOKEN"
  write_kubeconfig "$dir" "$dir/controller-manager.kubeconfig" system:kube-controller-manager "$kcm_token"
  start_controller_manager "$dir"
  write_env "$dir"
  UP_DONE=1
  echo "control plane ready: $APISERVER_URL (kubeconfig $KUBECONFIG)"
}

cmd_restart_apiserver() {
  local dir
  dir=$(abs_dir "${1:-}")
  load_env "$dir" || die "no control plane under $dir (no $dir/env): run $0 up $dir first"
  [ -r "$dir/apiserver.args" ] || die "missing $dir/apiserver.args: run $0 up $dir first"
  pid_is_ours "$ETCD_PID" "$dir" || die "etcd (pid $ETCD_PID) of $dir is not running"
  # A stopping kube-apiserver stops listening at once, then waits for open requests for up to its
  # 60 s request timeout; a Go client's watch (kube-controller-manager's, which keeps running)
  # holds it that long. Its state is in etcd: after 5 s it is killed instead.
  if pid_is_ours "$APISERVER_PID" "$dir"; then
    say "stopping kube-apiserver (pid $APISERVER_PID; killed if still there after 5 s)…"
    stop_pid "$APISERVER_PID" kube-apiserver 5 quiet
  fi
  printf '\n===== restart-apiserver %s =====\n' "$(date -Is)" >>"$dir/apiserver.log"
  trap cleanup_failed_up EXIT # a failed restart stops the new kube-apiserver; etcd keeps running
  start_apiserver "$dir"
  write_env "$dir"
  UP_DONE=1
  say "kube-apiserver restarted (pid $APISERVER_PID): $APISERVER_URL"
  if [ -n "${KCM_PID:-}" ]; then
    pid_is_ours "$KCM_PID" "$dir" ||
      die "kube-controller-manager (pid $KCM_PID) of $dir exited while kube-apiserver was down (log: $dir/controller-manager.log)"
    say "kube-controller-manager (pid $KCM_PID) kept running; it reconnects by itself"
  fi
}

cmd_down() {
  local dir
  [ -n "${1:-}" ] || die "missing DIR argument (usage: $0 down DIR)"
  [ -d "$1" ] || { say "nothing running under $1 (no such directory)"; return 0; }
  dir=$(abs_dir "$1")
  # The pids in DIR/env, and in the pid files too (they can be newer when `up` or a restart
  # failed midway). kube-controller-manager first, then the API server, so that neither runs
  # against a vanished server below it.
  KCM_PID='' APISERVER_PID='' ETCD_PID=''
  load_env "$dir" || true
  local kcm_pids api_pids etcd_pids pid stopped=()
  kcm_pids="$KCM_PID $(cat "$dir/controller-manager.pid" 2>/dev/null || true)"
  api_pids="$APISERVER_PID $(cat "$dir/apiserver.pid" 2>/dev/null || true)"
  etcd_pids="$ETCD_PID $(cat "$dir/etcd.pid" 2>/dev/null || true)"
  for pid in $kcm_pids; do
    if pid_is_ours "$pid" "$dir"; then
      stop_pid "$pid" kube-controller-manager 30
      stopped+=("$pid")
    fi
  done
  for pid in $api_pids; do
    if pid_is_ours "$pid" "$dir"; then
      stop_pid "$pid" kube-apiserver 60
      stopped+=("$pid")
    fi
  done
  for pid in $etcd_pids; do
    if pid_is_ours "$pid" "$dir"; then
      stop_pid "$pid" etcd 30
      stopped+=("$pid")
    fi
  done
  for pid in "${stopped[@]}"; do wait_reaped "$pid"; done
  say "stopped (state left in $dir)"
}

usage() {
  sed -n '5,9p' "$0" | sed 's/^# \{0,1\}//' >&2
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case "$cmd" in
  ensure) cmd_ensure ;;
  up) cmd_up "$@" ;;
  restart-apiserver) cmd_restart_apiserver "$@" ;;
  down) cmd_down "$@" ;;
  paths) cmd_paths ;;
  -h | --help | help) usage ;;
  *)
    usage
    die "unknown command '$cmd'"
    ;;
  esac
}

main "$@"
