#!/usr/bin/env bash
# The main job. Until the testbed lands this is the network-namespace demo (two namespaces talking).
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_NO_CLOUD=true NX_TUI=false
bash scripts/bootstrap.sh
npx nx run-many -t build --output-style=static >/dev/null
node scripts/demo-netns.mjs
