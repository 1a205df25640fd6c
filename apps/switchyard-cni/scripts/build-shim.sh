#!/usr/bin/env bash
# Builds the switchyard-cni shim: a static executable with no dependencies, so it runs from the
# CNI bin dir of any node (a kind node has no Node.js). Output: dist/switchyard-cni.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$here/dist/switchyard-cni"
mkdir -p "$here/dist"
tmp="$out.tmp.$$"
${CC:-cc} -O2 -static -Wall -Wextra -Werror -o "$tmp" "$here/shim/switchyard-cni.c" "$@"
strip "$tmp" 2>/dev/null || true
mv -f "$tmp" "$out"
echo "$out"
