#!/usr/bin/env bash
# The test command (`npm test`): installs what the suites need, starts a real Postgres,
# and runs every suite — unit, integration, end-to-end with real clients, and the OCI
# conformance suite — with node's test runner. Arguments narrow the run to matching
# compiled test files, e.g. `npm test -- field-cases`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
bash scripts/install-tools.sh
bash scripts/install-kafka.sh
bash scripts/install-s3.sh
# shellcheck source=scripts/tools.env
source scripts/tools.env
npm run build --silent

mkdir -p .cache test-results
url_file="$(mktemp)"
pg_port="${TIDEMARK_TEST_PG_PORT:-54340}"
node dist/test/support/start-test-postgres.js "$url_file" "$ROOT/.cache/test-postgres-$pg_port" "$pg_port" &
pg_pid=$!
trap 'kill "$pg_pid" 2>/dev/null; wait "$pg_pid" 2>/dev/null; rm -f "$url_file"' EXIT
for _ in $(seq 1 120); do
  [[ -s "$url_file" ]] && break
  kill -0 "$pg_pid" 2>/dev/null || { echo "test postgres did not start" >&2; exit 1; }
  sleep 0.5
done
[[ -s "$url_file" ]] || { echo "test postgres did not start in time" >&2; exit 1; }
export TIDEMARK_TEST_DATABASE_URL="$(cat "$url_file")"
# The AWS SDK warns once per process that its 2027 releases need Node 22; every test process
# that touches S3 would print it. `npm start` keeps the warning: operators should see it.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

mapfile -t files < <(find dist -type f \( -name '*.spec.js' -o -name '*.int-spec.js' -o -name '*.e2e-spec.js' \) \
  -not -path 'dist/node_modules/*' | sort | grep -E "${1:-.}")
[[ ${#files[@]} -gt 0 ]] || { echo "no test files match '${1:-}'" >&2; exit 1; }
# A test that hangs fails after 15 minutes, and a spec file whose tests are done exits even
# if something it started still holds its event loop, so CI never stalls on either.
node --test --test-concurrency=2 --test-timeout=900000 --test-force-exit --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination=test-results/junit.xml "${files[@]}"
