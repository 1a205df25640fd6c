#!/usr/bin/env bash
# The Switchyard container image: one image that runs every app by command.
#
#   scripts/image.sh assemble DEST   lay the image's runtime files out under DEST (from a built repo)
#   scripts/image.sh build [options] build the image with docker or podman (whichever engine works)
#   scripts/image.sh local-base      make local Debian bookworm + Node 20 bases with mmdebstrap and
#                                    podman, for machines that cannot pull from a registry
#
# `assemble` is the single source of truth for what the image holds: the Dockerfile's build stage
# runs it, and e2e/test/image runs it into a temporary directory to check the result without a
# container engine. Run `scripts/image.sh --help` for the options.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The workspaces whose executables the image carries (package.json `bin`).
APPS=(apps/switchyard-cni apps/switchyard-proxy apps/switchyard-dns apps/switchyard-ingress apps/switchyard)
# What the CNI plugin's standalone fallback imports; it is copied onto nodes without Node.js, so it
# gets its own small tree (see apps/switchyard-cni/src/agent/node-install.ts).
FALLBACK_PACKAGES=(@switchyard/cni-spec @switchyard/ipam @switchyard/linux)
SHIM=apps/switchyard-cni/dist/switchyard-cni

usage() {
  cat <<'EOF'
Usage:
  scripts/image.sh assemble DEST
      Copy the runtime files into DEST (an empty or missing directory), from a repository where
      `npm ci`, the build and apps/switchyard-cni/scripts/build-shim.sh have run:
        DEST/opt/switchyard/            the apps and packages (package.json + dist) and their
                                        production node_modules, in the repository's layout
                                        (SWITCHYARD_HOME, as in the testbed's image)
        DEST/opt/switchyard/cni-fallback/app/
                                        the standalone CNI plugin with only what it imports
        DEST/usr/local/bin/<command>    a relative symlink per executable
  scripts/image.sh build [--engine docker|podman] [--tag NAME] [--base IMAGE]
                         [--build-base IMAGE] [--network MODE]
      --engine      default: the first of docker, podman whose `info` succeeds
      --tag         default: switchyard/switchyard:dev
      --base        runtime stage base (default node:20-bookworm-slim); needs `node` on PATH
      --build-base  build stage base (default node:20-bookworm, or --base when given); needs
                    node, npm, Node's headers, a C compiler and static libc (libc6-dev)
      --network     the build's network (docker/podman build --network), e.g. host: npm then
                    reaches the registry through the machine's own network namespace, and the
                    engine creates no bridge or NAT rule for the build
  scripts/image.sh local-base [--prefix NAME]
      Build NAME-base:bookworm-node20 (runtime) and NAME-build-base:bookworm-node20 (build) with
      mmdebstrap from the Debian mirror, with this machine's node binary (and npm and Node's
      headers) copied in.
      Podman only. Default prefix: localhost/switchyard.
EOF
}

die() {
  echo "image.sh: $*" >&2
  exit 2
}

# Prints the production package directories of the given workspaces, relative to the repository
# root: npm's own dependency tree, read without installing anything.
prod_tree() {
  local args=() out err
  for w in "$@"; do args+=(-w "$w"); done
  err="$(mktemp)"
  # npm ls also exits 1 for a tree it finds untidy (extraneous or invalid packages) while still
  # listing it; that is reported, and a missing package then fails the commands' own checks.
  out="$(cd "$root" && npm ls --omit=dev --all --parseable "${args[@]}" 2>"$err")" ||
    echo "image.sh: npm ls reported problems: $(grep -v 'Unknown user config' "$err")" >&2
  rm -f "$err"
  [[ -n "$out" ]] || die "npm ls listed nothing for $*"
  sed -n "s|^$root/||p" <<<"$out" | sort -u
}

# Copies one workspace package (package.json + dist) from SRC to DST, without what only a compiler
# or debugger reads (declarations, maps of sources the image does not carry, build info).
copy_workspace() {
  local src="$1" dst="$2"
  [[ -d "$src/dist" ]] || die "$src/dist is missing: build first (npx nx run-many -t build)"
  mkdir -p "$dst"
  cp "$src/package.json" "$dst/"
  cp -a "$src/dist" "$dst/dist"
  find "$dst/dist" \( -name '*.d.ts' -o -name '*.map' -o -name '*.tsbuildinfo' \) -delete
}

# @switchyard/linux compiles its setns addon on first use (a C compiler and Node's headers, which
# the runtime image and a node do not have): build it here, for this node binary, and ship the
# result beside its source where buildNativeNetns() finds it. Prints the path relative to
# packages/linux.
prebuilt_addon() {
  local built
  built="$(cd "$root" && node --input-type=module -e \
    "import { buildNativeNetns } from '@switchyard/linux'; console.log(buildNativeNetns());")"
  echo "${built#"$root/packages/linux/"}"
}

# Copies the linux package's native source and its prebuilt addon into DST (a copy of the package).
copy_native() {
  local dst="$1" addon="$2"
  mkdir -p "$dst/native/build"
  cp "$root/packages/linux/native/netns.c" "$dst/native/"
  cp "$root/packages/linux/$addon" "$dst/$addon"
}

# Copies third-party package directories listed on stdin (relative paths) from the repository
# into DST, keeping their relative places; type declarations are left out (never loaded).
copy_modules() {
  local dst="$1" rel
  while read -r rel; do
    [[ -n "$rel" ]] || continue
    [[ "$rel" == */@types/* || "$rel" == */undici-types ]] && continue
    mkdir -p "$dst/$(dirname "$rel")"
    cp -a "$root/$rel" "$dst/$rel"
  done
}

assemble() {
  [[ $# -eq 1 ]] || die "assemble needs exactly one argument, DEST"
  local dest="$1"
  if [[ -e "$dest" && -n "$(ls -A "$dest")" ]]; then die "$dest is not empty"; fi
  [[ -x "$root/$SHIM" ]] || die "$SHIM is missing: run apps/switchyard-cni/scripts/build-shim.sh"
  local home="$dest/opt/switchyard" names=() dir rel name addon
  addon="$(prebuilt_addon)"
  mkdir -p "$home/node_modules" "$dest/usr/local/bin"
  for dir in "${APPS[@]}"; do names+=("$(node -p "require('$root/$dir/package.json').name")"); done
  # Workspaces come through as node_modules/@switchyard/* symlinks: copy the link (relative, into
  # the same layout) and the package it points at.
  prod_tree "${names[@]}" >"$dest/.tree"
  while read -r rel; do
    if [[ -L "$root/$rel" ]]; then
      dir="$(cd "$root/$rel" && pwd -P)"
      copy_workspace "$dir" "$home/${dir#"$root"/}"
      mkdir -p "$home/$(dirname "$rel")"
      cp -P "$root/$rel" "$home/$rel"
    fi
  done <"$dest/.tree"
  grep -v '^apps/\|^packages/' "$dest/.tree" | while read -r rel; do
    [[ -L "$root/$rel" ]] || echo "$rel"
  done | copy_modules "$home"
  # Workspace-local node_modules (a version another workspace does not share) come along too.
  { grep '^\(apps\|packages\)/[^/]*/node_modules/' "$dest/.tree" || true; } | copy_modules "$home"
  rm "$dest/.tree"
  copy_native "$home/packages/linux" "$addon"
  cp "$root/package.json" "$home/package.json"
  # Executables: relative links, so the tree works wherever DEST is (and at / in the image).
  for dir in "${APPS[@]}"; do
    while IFS='=' read -r name rel; do
      chmod 0755 "$home/$dir/$rel"
      ln -s "../../../opt/switchyard/$dir/${rel#./}" "$dest/usr/local/bin/$name"
    done < <(node -e "const b=require('$root/$dir/package.json').bin??{};for(const[k,v]of Object.entries(b))console.log(k+'='+v)")
  done
  # The CNI plugin artefacts the agent copies onto each node: the static shim (already under
  # apps/switchyard-cni/dist) and the standalone fallback with only what it imports.
  local fb="$home/cni-fallback/app"
  copy_workspace "$root/apps/switchyard-cni" "$fb"
  rm -f "$fb/dist/switchyard-cni"
  prod_tree "${FALLBACK_PACKAGES[@]}" | while read -r rel; do
    if [[ -L "$root/$rel" ]]; then
      copy_workspace "$(cd "$root/$rel" && pwd -P)" "$fb/$rel"
    elif [[ "$rel" == node_modules/* ]]; then
      echo "$rel"
    fi
  done | copy_modules "$fb"
  copy_native "$fb/node_modules/@switchyard/linux" "$addon"
}

# The first engine whose daemon/runtime answers (a docker client without an engine fails `info`).
detect_engine() {
  local e
  for e in docker podman; do
    if command -v "$e" >/dev/null && "$e" info >/dev/null 2>&1; then
      echo "$e"
      return 0
    fi
  done
  return 1
}

build() {
  local engine="" tag="switchyard/switchyard:dev" base="" build_base="" network=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --engine) engine="${2:?}"; shift 2 ;;
      --tag) tag="${2:?}"; shift 2 ;;
      --base) base="${2:?}"; shift 2 ;;
      --build-base) build_base="${2:?}"; shift 2 ;;
      --network) network="${2:?}"; shift 2 ;;
      *) die "build: unknown option $1" ;;
    esac
  done
  if [[ -z "$engine" ]]; then
    engine="$(detect_engine)" || die "no container engine: docker info and podman info both failed"
  elif ! "$engine" info >/dev/null 2>&1; then
    die "$engine info failed: no working engine"
  fi
  local args=(build -f "$root/Dockerfile" -t "$tag")
  [[ -n "$base" ]] && args+=(--build-arg "BASE=$base")
  [[ -n "${build_base:-$base}" ]] && args+=(--build-arg "BUILD_BASE=${build_base:-$base}")
  [[ -n "$network" ]] && args+=("--network=$network")
  echo "image.sh: $engine ${args[*]} $root" >&2
  "$engine" "${args[@]}" "$root"
}

local_base() {
  local prefix="localhost/switchyard"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --prefix) prefix="${2:?}"; shift 2 ;;
      *) die "local-base: unknown option $1" ;;
    esac
  done
  command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (apt-get install mmdebstrap)"
  podman info >/dev/null 2>&1 || die "podman info failed"
  local node npm headers npmrc work
  node="$(readlink -f "$(command -v node)")"
  npm="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
  headers="$(dirname "$(dirname "$node")")/include/node" # where @switchyard/linux looks too
  [[ -f "$headers/node_api.h" ]] || die "Node's headers are not in $headers (@switchyard/linux's addon needs them)"
  # npm's global config here (e.g. a cafile for a TLS-inspecting egress proxy) goes into the build
  # base with the CA bundle, so npm in the build stage reaches the registry as npm here does.
  npmrc="$(npm config get globalconfig 2>/dev/null || true)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  local copy_node="mkdir -p \"\$1/usr/local/bin\" && cp '$node' \"\$1/usr/local/bin/node\""
  local copy_npm="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a '$npm' \"\$1/usr/local/lib/node_modules/npm\" && ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\" && ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\" && mkdir -p \"\$1/usr/local/include\" && cp -a '$headers' \"\$1/usr/local/include/node\""
  if [[ -f "$npmrc" ]]; then
    copy_npm+=" && mkdir -p \"\$1/usr/local/etc\" && cp '$npmrc' \"\$1/usr/local/etc/npmrc\" && cp /etc/ssl/certs/ca-certificates.crt \"\$1/etc/ssl/certs/ca-certificates.crt\""
  fi
  local slim='rm -rf "$1"/var/lib/apt/lists/* "$1"/usr/share/doc/* "$1"/usr/share/man/*'
  mmdebstrap --variant=minbase --include=ca-certificates,nftables,iproute2,conntrack \
    --customize-hook="$copy_node" --customize-hook="$slim" \
    bookworm "$work/runtime.tar" http://deb.debian.org/debian
  podman import --change 'CMD ["node"]' "$work/runtime.tar" "$prefix-base:bookworm-node20"
  mmdebstrap --variant=minbase --include=ca-certificates,gcc,libc6-dev,make,python3 \
    --customize-hook="$copy_node" --customize-hook="$copy_npm" --customize-hook="$slim" \
    bookworm "$work/build.tar" http://deb.debian.org/debian
  podman import --change 'CMD ["node"]' "$work/build.tar" "$prefix-build-base:bookworm-node20"
}

case "${1:-}" in
  assemble) shift; assemble "$@" ;;
  build) shift; build "$@" ;;
  local-base) shift; local_base "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
