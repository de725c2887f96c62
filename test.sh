#!/usr/bin/env bash
# Runs the whole test suite with the race detector, after saying which Redis
# the tests will use (internal/testenv picks it the same way):
#   1. $REDIS_ADDR, when set;
#   2. else a private redis-server started on a free port, if one is on PATH;
#   3. else an embedded Redis-compatible store (miniredis), with this notice.
# With CI=true a real Redis is required. Extra arguments go to `go test`.
set -euo pipefail
cd "$(dirname "$0")"
if [ -n "${REDIS_ADDR:-}" ]; then
  echo "tests: real Redis at $REDIS_ADDR (REDIS_ADDR)"
elif command -v redis-server >/dev/null 2>&1; then
  echo "tests: real Redis: a private $(command -v redis-server) on a free port"
elif [ "${CI:-}" = "true" ]; then
  echo "tests: CI=true requires a real Redis: set REDIS_ADDR or install redis-server" >&2
  exit 1
else
  echo "tests: NOTICE: no REDIS_ADDR and no redis-server on PATH: the tests run against an"
  echo "tests: NOTICE: EMBEDDED Redis-compatible store (miniredis), not a real Redis; the"
  echo "tests: NOTICE: Redis Cluster tests are skipped. Install redis-server for the real thing."
fi
exec go test -race -count=1 "$@" ./...
