#!/usr/bin/env bash
# The operator's container image, built without a container engine or an image registry.
#
#   scripts/image.sh build [JAR]   base root filesystem (cached) + JAR -> target/image/polardb-backup-operator.oci.tar
#   scripts/image.sh check [JAR]   parse that archive and assert what the Deployment relies on, then run the
#                                  image's own java on its own jar in a chroot as user 65532
#   scripts/image.sh rootfs DIR    unpack the archive's layers into DIR (the image's exact bits)
#
# JAR defaults to target/polardb-backup-operator.jar (`mvn -B package` builds it).
#
# Why a script and not Jib: these machines reach no image registry, so the base image must be made
# here from Debian's packages either way, and Jib only takes a base that is already an image
# archive. Writing that archive is the same work as writing the whole image: two gzip'd tar layers
# and three small JSON documents (OCI image layout). So: mmdebstrap for the base, python3's tarfile,
# hashlib and json for the rest; no Maven plugin, no daemon.
#
# The archive is an OCI image layout in a tar that also carries Docker's manifest.json, so both
# `podman load -i` (oci-archive) and `docker load -i` take it; `skopeo copy oci-archive:FILE
# docker://REGISTRY/...` pushes it.
#
# The base (Debian bookworm: openjdk-17-jre-headless, ca-certificates, and the Essential packages,
# without docs, man pages and locales) is cached in $POLARDB_IMAGE_CACHE (default
# ~/.cache/polardb-backup-operator/image) under a key of everything that shapes it, so only the first
# build on a machine runs mmdebstrap. POLARDB_IMAGE_REFRESH=1 builds it anew (security updates).
# Next to it, and next to the image in target/image/, base-packages.txt records every package and
# version in it, and base-release.txt the dates of the Debian Release files it was made from.
# POLARDB_IMAGE_DEBIAN_MIRROR and POLARDB_IMAGE_DEBIAN_SECURITY_MIRROR (default: the machine's apt
# mirror) may name a snapshot, e.g. http://snapshot.debian.org/archive/debian/20261130T000000Z, to
# make the same base again elsewhere (this project's machines do not reach snapshot.debian.org).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

readonly SUITE=bookworm
readonly PACKAGES=openjdk-17-jre-headless,ca-certificates
readonly UID_GID=65532
readonly CACHE=${POLARDB_IMAGE_CACHE:-$HOME/.cache/polardb-backup-operator/image}
readonly OUT=target/image
readonly ARCHIVE=$OUT/polardb-backup-operator.oci.tar
readonly TAG=${POLARDB_IMAGE_TAG:-polardb-backup-operator:0.1.0}

say() { printf 'image: %s\n' "$*" >&2; }
die() {
  printf 'image.sh: error: %s\n' "$*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap --mode=root, chroot)"

mirror() {
  if [ -n "${POLARDB_IMAGE_DEBIAN_MIRROR:-}" ]; then echo "$POLARDB_IMAGE_DEBIAN_MIRROR"; return; fi
  local u
  # The machine's own apt sources (deb822 `URIs:` or one-line `deb URI`), comments left out.
  u=$(grep -hE '^[[:space:]]*(URIs:|deb[[:space:]])' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
    grep -oE '(https?|file)://[^[:space:]]+/debian/?$' | head -n 1 || true)
  echo "${u:-http://deb.debian.org/debian}"
}

install_tools() {
  local need=()
  command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  command -v unshare >/dev/null 2>&1 || need+=(util-linux)
  [ ${#need[@]} -eq 0 ] && return 0
  say "installing ${need[*]} with apt-get…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; }
}

# The base root filesystem, as a tar, in the cache. Prints its path.
base_rootfs() {
  local m security key dir
  m=$(mirror)
  m=${m%/}
  security=${POLARDB_IMAGE_DEBIAN_SECURITY_MIRROR:-${m%/debian}/debian-security}
  # Everything that shapes the base; a change makes a new cache entry.
  key=$(printf '%s\n' "$SUITE" "$PACKAGES" "$UID_GID" "$m" "$security" "v1" | sha256sum | cut -c1-16)
  dir=$CACHE/base-$SUITE-$key
  if [ -f "$dir/rootfs.tar" ] && [ -z "${POLARDB_IMAGE_REFRESH:-}" ]; then
    say "base root filesystem from the cache ($dir)"
    echo "$dir"
    return
  fi
  install_tools
  mkdir -p "$dir"
  say "building the base root filesystem with mmdebstrap ($SUITE from $m; a minute or three)…"
  local start=$SECONDS
  # --variant=essential: dpkg and the Essential packages, no apt. The JRE's postinst registers
  # its man page with update-alternatives, which fails when /usr/share/man/man1 is missing
  # (man pages are excluded), hence the essential hook. The operator's user and group are made
  # here (65532, as in the Deployment), the way the Dockerfile's useradd does.
  mmdebstrap --mode=root --variant=essential --format=tar \
    --include="$PACKAGES" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
    --customize-hook="echo 'operator:x:$UID_GID:$UID_GID::/nonexistent:/usr/sbin/nologin' >>\"\$1/etc/passwd\"" \
    --customize-hook="echo 'operator:x:$UID_GID:' >>\"\$1/etc/group\"" \
    --customize-hook="chroot \"\$1\" dpkg-query -W -f='\${Package}=\${Version}\n' >'$dir/base-packages.txt'" \
    --customize-hook="grep -H '^Date:' \"\$1\"/var/lib/apt/lists/*Release | sed 's#.*/lists/##' >'$dir/base-release.txt'" \
    "$SUITE" "$dir/rootfs.tar.part" \
    "deb $m $SUITE main" "deb $m $SUITE-updates main" "deb $security $SUITE-security main" \
    >"$dir/mmdebstrap.log" 2>&1 || { tail -n 30 "$dir/mmdebstrap.log" >&2; die "mmdebstrap failed (log: $dir/mmdebstrap.log)"; }
  mv "$dir/rootfs.tar.part" "$dir/rootfs.tar"
  # The layer blob is made from it on the next build; a new rootfs needs a new one.
  rm -f "$dir/layer.tar.gz" "$dir/layer.json"
  say "base root filesystem built in $((SECONDS - start))s: $(du -h "$dir/rootfs.tar" | cut -f1)"
  echo "$dir"
}

jar_arg() {
  local jar=${1:-target/polardb-backup-operator.jar}
  [ -f "$jar" ] || die "no $jar: build it first (mvn -B package)"
  echo "$jar"
}

cmd=${1:-}
case "$cmd" in
  build)
    jar=$(jar_arg "${2:-}")
    start=$SECONDS
    install_tools
    base=$(base_rootfs)
    mkdir -p "$OUT"
    cp "$base/base-packages.txt" "$base/base-release.txt" "$OUT/"
    python3 scripts/lib/oci-image.py build --base "$base" --jar "$jar" --uid "$UID_GID" --tag "$TAG" \
      --out "$ARCHIVE"
    say "built $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1)) in $((SECONDS - start))s"
    ;;
  check)
    jar=$(jar_arg "${2:-}")
    install_tools
    [ -f "$ARCHIVE" ] || die "no $ARCHIVE: run scripts/image.sh build first"
    python3 scripts/lib/oci-image.py check --archive "$ARCHIVE" --jar "$jar" \
      --deployment deploy/base/04-deployment.yaml --dockerfile Dockerfile
    ;;
  rootfs)
    [ -n "${2:-}" ] || die "usage: scripts/image.sh rootfs DIR"
    python3 scripts/lib/oci-image.py rootfs --archive "$ARCHIVE" --dir "$2"
    ;;
  *)
    sed -n '2,9p' "$0" >&2
    exit 2
    ;;
esac
