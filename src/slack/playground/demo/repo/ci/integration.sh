#!/usr/bin/env bash
# Integration tests against the simulated deployment, with a JUnit report in reports/integration.xml.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=junit.sh
source ci/junit.sh
run_suite integration tests/integration.sh
