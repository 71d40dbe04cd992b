#!/usr/bin/env bash
# The demo's build: the unit tests, with a JUnit report in reports/unit.xml.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=junit.sh
source ci/junit.sh
echo "building ${APOLLO_COMMIT:-$(git rev-parse HEAD 2>/dev/null)} with bash ${BASH_VERSION}"
run_suite unit tests/unit.sh
