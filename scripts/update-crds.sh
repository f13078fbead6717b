#!/usr/bin/env bash
# Regenerates the CRD YAML from the Java model and copies it into crds/ and the Helm chart's crds/.
# CrdUpToDateTest fails the build until the checked-in copy matches the model.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q process-classes
cp target/classes/META-INF/fabric8/*-v1.yml crds/
# The Helm chart's copy (Helm installs crds/ from the chart; HelmChartTest keeps the two identical).
cp crds/*-v1.yml deploy/helm/polardb-backup-operator/crds/
git status --short crds/ deploy/helm/polardb-backup-operator/crds/
