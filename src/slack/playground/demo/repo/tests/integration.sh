#!/usr/bin/env bash
# Integration tests of a simulated deployment (ci/integration.sh runs them).
# The latency budget is 200 ms; sim-west's simulated latency (SIM_LATENCY_MS) is over it, so this
# suite fails there: the demo's flaky suite, to show a failure, its thread and its log.
test_serves_greetings() { [ -n "${APOLLO_CLOUD:-}" ]; }
test_keeps_sessions_across_instances() { sleep 0.2; }
test_rolls_back_a_bad_release() { sleep 0.1; }
test_checkout_latency_within_200ms() {
  local latency="${SIM_LATENCY_MS:-100}"
  if [ "$latency" -gt 200 ]; then
    echo "expected checkout latency <= 200 ms, measured ${latency} ms on ${APOLLO_CLOUD:-?}"
    return 1
  fi
}
