#!/usr/bin/env bash
# Unit tests of app/greet.sh: each test_* function passes when it returns 0.
# shellcheck source=../app/greet.sh
source "$(dirname "${BASH_SOURCE[0]}")/../app/greet.sh"

test_greets_the_world_by_default() { [ "$(greet)" = 'Hello, world!' ]; }
test_greets_by_name() { [ "$(greet Ada)" = 'Hello, Ada!' ]; }
test_keeps_spaces_in_names() { [ "$(greet 'Grace Hopper')" = 'Hello, Grace Hopper!' ]; }
test_shouts() { [ "$(shout ada)" = 'HELLO, ADA!' ]; }
test_handles_unicode() { [ "$(greet 'Zoë')" = 'Hello, Zoë!' ]; }
test_prints_one_line() { [ "$(greet x | wc -l)" -eq 1 ]; }
