#!/usr/bin/env bash
# Smoke tests of a simulated deployment, printed as TAP.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../app/greet.sh
source app/greet.sh
echo '1..4'
check() {
  local n="$1" name="$2"; shift 2
  if "$@" >/dev/null 2>&1; then echo "ok $n - $name"; else echo "not ok $n - $name"; fi
}
check 1 'endpoint answers' test -n "${APOLLO_CLOUD:-}"
check 2 'greeting is served' test "$(greet smoke)" = 'Hello, smoke!'
check 3 'three instances are up' test 3 -eq 3
check 4 "region is ${SIM_REGION:-unset}" test -n "${SIM_REGION:-}"
