#!/usr/bin/env bash
# A simulated cloud: `cloud.sh apply` provisions, `cloud.sh destroy` tears down. Each stage is a
# short sleep (SIM_STAGE_SECONDS, default 1), so a whole tour of the playground takes a minute or two.
set -euo pipefail
action="${1:?usage: cloud.sh apply|destroy}"
cloud="${APOLLO_CLOUD:-local}"
region="${SIM_REGION:-nowhere-1}"
pause="${SIM_STAGE_SECONDS:-1}"

stage() {
  printf '[%s] %s…\n' "$cloud" "$1"
  sleep "$pause"
  printf '[%s] %s: done\n' "$cloud" "$1"
}

case "$action" in
  apply)
    echo "deploying ${APOLLO_COMMIT:-unknown} to $cloud ($region), asked for by ${APOLLO_REQUESTED_BY:-someone}"
    stage 'creating network'
    stage 'starting 3 instances'
    stage 'registering services'
    echo "endpoint: https://${cloud}.apollo.invalid/"
    ;;
  destroy)
    echo "destroying $cloud ($region)"
    stage 'draining services'
    stage 'terminating 3 instances'
    echo "$cloud is gone"
    ;;
  *)
    echo "unknown action: $action" >&2
    exit 2
    ;;
esac
