#!/usr/bin/env bash
# CI's checks of the container files, none of which needs a Docker daemon:
#  - the Dockerfiles, linted with dockerfile-utils (npm; hadolint is not on npm or in Debian);
#  - compose.yaml, validated with `docker compose config` or, without the plugin, Debian's
#    docker-compose (1.29, the Compose file spec), against .env.example.
# Building and running the image is not done here: no Docker daemon on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
for file in Dockerfile docker/*.Dockerfile; do
  out=$(npx --no-install dockerfile-utils lint "$file" 2>&1) || { echo "$out"; status=1; }
  if [ -n "$out" ]; then echo "$file:"; echo "$out"; status=1; else echo "ok: $file (dockerfile-utils lint)"; fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp compose.yaml "$work/"
cp .env.example "$work/.env"
: > "$work/apollo.yml"
if docker compose version >/dev/null 2>&1; then
  (cd "$work" && docker compose -f compose.yaml config -q) && echo "ok: compose.yaml (docker compose config)" || status=1
elif command -v docker-compose >/dev/null 2>&1; then
  (cd "$work" && docker-compose -f compose.yaml config -q) && echo "ok: compose.yaml (docker-compose $(docker-compose version --short) config)" || status=1
else
  echo "compose.yaml NOT validated: neither docker compose nor docker-compose is installed"
fi
exit $status
