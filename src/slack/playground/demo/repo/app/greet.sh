#!/usr/bin/env bash
# The demo's "application": greets whoever it is given, politely.
greet() {
  local name="${1:-world}"
  printf 'Hello, %s!\n' "$name"
}

shout() {
  greet "$@" | tr '[:lower:]' '[:upper:]'
}
