#!/usr/bin/env bash
# Regenerates the CRD YAML from the Java model and copies it into crds/.
# CrdUpToDateTest fails the build until the checked-in copy matches the model.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q process-classes
cp target/classes/META-INF/fabric8/*-v1.yml crds/
git status --short crds/
