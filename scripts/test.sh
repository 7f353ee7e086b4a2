#!/usr/bin/env bash
# The whole test suite: unit and integration tests against real processes.
# Installs what it needs (Redis from apt), runs `deno test`, and ends with one
# plain summary line "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure_tools.sh || exit 1
out=$(mktemp)
NO_COLOR=1 deno test -A "$@" tests/ 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$out" | tail -n 1)
passed=$(echo "$summary" | sed -nE 's/.*\| ([0-9]+) passed.*/\1/p')
failed=$(echo "$summary" | sed -nE 's/.*\| ([0-9]+) failed.*/\1/p')
rm -f "$out"
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
