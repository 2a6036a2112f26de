#!/usr/bin/env bash
# Run the test suite the way `make test` does, in two passes:
#   1. every test not marked `serial`, spread over PYTEST_WORKERS processes (pytest-xdist);
#   2. the tests marked `serial` (they must run alone, e.g. the PostgreSQL restart), one by one.
# Both passes always run and report; the exit status is the first failing pass's (a pass that
# selects no test at all, e.g. `-k` matching only parallel tests, is not a failure unless
# neither pass ran anything: then it is pytest's 5, "no tests collected").
#
# Usage: scripts/pytest-passes.sh PYTEST [PYTEST_ARGS...]
#   PYTEST_WORKERS=2 (default; the CI machine has 2 cores), PYTEST_WORKERS=0 runs pass 1 serially.
set -uo pipefail

if [ "$#" -lt 1 ]; then
  echo "usage: $0 PYTEST [PYTEST_ARGS...]" >&2
  exit 2
fi
PYTEST="$1"
shift
WORKERS="${PYTEST_WORKERS:-2}"
NO_TESTS=5

echo "==> pytest, pass 1 of 2: all but the serial tests, on ${WORKERS} workers"
"$PYTEST" -n "$WORKERS" --serial-tests=skip "$@"
parallel=$?

echo "==> pytest, pass 2 of 2: the serial tests, alone"
"$PYTEST" --serial-tests=only "$@"
serial=$?

# Worded so that no line here reads like a test runner's "N passed, N failed" summary.
echo "==> pytest exit codes: parallel pass ${parallel}, serial pass ${serial}" \
  "(${NO_TESTS} means that pass selected no test)"
if [ "$parallel" -eq "$NO_TESTS" ] && [ "$serial" -eq "$NO_TESTS" ]; then
  exit "$NO_TESTS"
fi
for status in "$parallel" "$serial"; do
  if [ "$status" -ne 0 ] && [ "$status" -ne "$NO_TESTS" ]; then
    exit "$status"
  fi
done
exit 0
