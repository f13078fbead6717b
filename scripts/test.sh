#!/usr/bin/env bash
# The whole test suite: unit and controller tests, the CRD drift check, the formatting check and
# the runnable jar. Maven fetches its own dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B verify "$@"
