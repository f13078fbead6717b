#!/usr/bin/env bash
# The whole test suite: unit, client-against-emulator and controller tests, the Argo CD health
# check in Lua, the Helm chart (lint, templates, drift from deploy/base; helm install in the e2e
# suite), the alert rules under promtool, the CRD drift check, the formatting check, the runnable
# jar, the end-to-end suite on a real kube-apiserver (built once per machine, see
# scripts/control-plane.sh), and the container image built and run without a container engine
# (scripts/image.sh, from ImageIT).
# Installs what it needs from Debian (as root) and lets Maven fetch its own dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v lua5.1 >/dev/null 2>&1 || need+=(lua5.1)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# promtool tests the alert rules (MonitoringRulesTest); installed above, so a missing one fails.
export PROMTOOL_REQUIRED=1
mvn -B verify "$@"
