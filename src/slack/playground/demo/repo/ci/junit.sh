#!/usr/bin/env bash
# run_suite NAME FILE [ENV...]: runs every test_* function of FILE in a subshell and writes a JUnit
# report to reports/NAME.xml; prints one line per test. Exits 1 when a test failed.
set -uo pipefail

seconds() { awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }'; }
xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }

run_suite() {
  local suite="$1" file="$2" cases="" failures=0 count=0 name output started elapsed
  mkdir -p reports
  for name in $(bash -c "source '$file' >/dev/null 2>&1; declare -F" | awk '{print $3}' | grep '^test_'); do
    count=$((count + 1))
    started=$(date +%s%N)
    if output=$(bash -c "source '$file'; $name" 2>&1); then
      elapsed=$(( ($(date +%s%N) - started) / 1000000 ))
      printf 'ok   %s (%d ms)\n' "$name" "$elapsed"
      cases+="  <testcase classname=\"$suite\" name=\"$name\" time=\"$(seconds "$elapsed")\"/>"$'\n'
    else
      elapsed=$(( ($(date +%s%N) - started) / 1000000 ))
      failures=$((failures + 1))
      printf 'FAIL %s (%d ms)\n%s\n' "$name" "$elapsed" "$output"
      cases+="  <testcase classname=\"$suite\" name=\"$name\" time=\"$(seconds "$elapsed")\"><failure message=\"$(printf '%s' "$output" | head -1 | xml_escape)\">$(printf '%s' "$output" | xml_escape)</failure></testcase>"$'\n'
    fi
  done
  {
    printf '<?xml version="1.0" encoding="UTF-8"?>\n'
    printf '<testsuites>\n<testsuite name="%s" tests="%d" failures="%d" errors="0" skipped="0">\n' "$suite" "$count" "$failures"
    printf '%s' "$cases"
    printf '</testsuite>\n</testsuites>\n'
  } > "reports/$suite.xml"
  printf '%d tests, %d failures\n' "$count" "$failures"
  [ "$failures" -eq 0 ]
}
