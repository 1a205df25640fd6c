#!/usr/bin/env bash
# The whole suite: bootstrap, sync check, lint, format, build, typecheck, then every vitest project
# (unit, netns, e2e). Ends with one plain summary line, "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_NO_CLOUD=true NX_TUI=false

bash scripts/bootstrap.sh
if [ "$(id -u)" -ne 0 ]; then
  echo "npm test: the netns and e2e projects need root (network namespaces); run as root" >&2
  exit 1
fi

npx nx sync:check
npx eslint . --max-warnings=0
npx prettier --check . --log-level=warn
npx nx run-many -t build typecheck --output-style=static
# npm links a workspace's bin only when its target exists, and dist/ did not exist at install time.
npm rebuild --ignore-scripts --loglevel=error >/dev/null

report=$(mktemp -d)/vitest.json
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node scripts/summary.mjs "$report"
exit $status
