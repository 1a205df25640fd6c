#!/usr/bin/env bash
# Build pinned Kubernetes control-plane binaries (and etcd, CoreDNS) from Go
# modules through throwaway wrapper modules, caching them outside the repo,
# keyed by version. Versions come from tools/k8s/versions.env only.
#
# Usage:
#   tools/k8s/build.sh [component...]      build what is missing, print bin dir(s)
#   tools/k8s/build.sh --print-bin-dir [component]
#                                          print a bin dir (default: the k8s one)
#                                          without building anything
#
# Default components: etcd kube-apiserver kube-controller-manager kube-scheduler kubectl
# Optional (only when named): kube-proxy coredns
#
# Cache: ${SWITCHYARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard}/
#          k8s/<KUBERNETES_VERSION>/bin/  etcd/<ETCD_VERSION>/bin/  coredns/<COREDNS_VERSION>/bin/
# Logs go to stderr; stdout carries only the bin dir path(s).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf '[tools/k8s] %s\n' "$*" >&2; }
die() { printf '[tools/k8s] error: %s\n' "$*" >&2; exit 1; }

# --- versions (strict KEY=value parsing, so Node can read the same file) ----
KUBERNETES_VERSION='' ETCD_VERSION='' COREDNS_VERSION=''
while IFS= read -r line || [[ -n $line ]]; do
  [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
  [[ $line =~ ^([A-Z][A-Z0-9_]*)=([^[:space:]\"\']+)$ ]] \
    || die "versions.env: not a KEY=value line: $line"
  case ${BASH_REMATCH[1]} in
    KUBERNETES_VERSION | ETCD_VERSION | COREDNS_VERSION)
      printf -v "${BASH_REMATCH[1]}" '%s' "${BASH_REMATCH[2]}" ;;
    *) die "versions.env: unknown key ${BASH_REMATCH[1]}" ;;
  esac
done < "$here/versions.env"
[[ $KUBERNETES_VERSION =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] \
  || die "KUBERNETES_VERSION must look like v1.N.M (got '$KUBERNETES_VERSION')"
k8s_minor=${BASH_REMATCH[1]}
k8s_patch=${BASH_REMATCH[2]}
[[ $ETCD_VERSION =~ ^v3\.[0-9]+\.[0-9]+$ ]] || die "bad ETCD_VERSION '$ETCD_VERSION'"
[[ $COREDNS_VERSION =~ ^v1\.[0-9]+\.[0-9]+$ ]] || die "bad COREDNS_VERSION '$COREDNS_VERSION'"

cache_root="${SWITCHYARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard}"
k8s_dir="$cache_root/k8s/$KUBERNETES_VERSION"
etcd_dir="$cache_root/etcd/$ETCD_VERSION"
coredns_dir="$cache_root/coredns/$COREDNS_VERSION"

k8s_components=(kube-apiserver kube-controller-manager kube-scheduler kubectl kube-proxy)
default_components=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl)

# group_of COMPONENT -> k8s | etcd | coredns
group_of() {
  case $1 in
    etcd) echo etcd ;;
    coredns) echo coredns ;;
    kube-apiserver | kube-controller-manager | kube-scheduler | kubectl | kube-proxy) echo k8s ;;
    *) return 1 ;;
  esac
}
dir_of_group() {
  case $1 in
    k8s) echo "$k8s_dir" ;;
    etcd) echo "$etcd_dir" ;;
    coredns) echo "$coredns_dir" ;;
  esac
}

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

# --- arguments ---------------------------------------------------------------
components=()
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --print-bin-dir)
      g=k8s
      if (($# > 1)); then
        g=$(group_of "$2") || die "unknown component '$2'"
      fi
      printf '%s/bin\n' "$(dir_of_group "$g")"
      exit 0 ;;
    -*) die "unknown option '$1' (try --help)" ;;
    *)
      group_of "$1" > /dev/null \
        || die "unknown component '$1' (known: ${default_components[*]} kube-proxy coredns)"
      [[ " ${components[*]-} " == *" $1 "* ]] || components+=("$1") ;;
  esac
  shift
done
((${#components[@]})) || components=("${default_components[@]}")

# Which bin dirs to print at the end, and what is missing.
want_groups=()
missing() {
  local c g
  missing_k8s=() missing_etcd=0 missing_coredns=0
  for c in "${components[@]}"; do
    g=$(group_of "$c")
    [[ -x "$(dir_of_group "$g")/bin/$c" ]] && continue
    case $g in
      k8s) missing_k8s+=("$c") ;;
      etcd) missing_etcd=1 ;;
      coredns) missing_coredns=1 ;;
    esac
  done
  ((${#missing_k8s[@]} + missing_etcd + missing_coredns))
}
for c in "${components[@]}"; do
  g=$(group_of "$c")
  [[ " ${want_groups[*]-} " == *" $g "* ]] || want_groups+=("$g")
done
print_bin_dirs() {
  local g
  for g in "${want_groups[@]}"; do printf '%s/bin\n' "$(dir_of_group "$g")"; done
}

# Fast path: everything cached -> no Go toolchain involved at all.
if ! missing; then
  print_bin_dirs
  exit 0
fi

# --- build environment ---------------------------------------------------------
if [[ -n ${GO:-} ]]; then :
elif command -v go > /dev/null 2>&1; then GO=$(command -v go)
elif [[ -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go
else die "no Go toolchain found (set GO=/path/to/go)"
fi
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
log "using $("$GO" version)"

mkdir -p "$cache_root"
# Serialise concurrent runs; whoever waits re-checks what is still missing.
# Holding the lock also means any .work.*/.stage.* dirs are leftovers of a
# killed run and can be removed.
have_lock=0
if command -v flock > /dev/null 2>&1; then
  exec 9> "$cache_root/.k8s-build.lock"
  flock 9
  have_lock=1
fi
if ! missing; then
  print_bin_dirs
  exit 0
fi

stage=''
if ((have_lock)); then rm -rf "$cache_root"/.work.*; fi
work=$(mktemp -d "$cache_root/.work.XXXXXX")
stages=()
cleanup() {
  local s
  for s in "${stages[@]-}"; do if [[ -n $s ]]; then rm -rf "$s"; fi; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# new_stage DIR -> sets $stage to a fresh temp dir next to DIR/bin (same
# filesystem, so the final mv is atomic). Leftovers from killed runs are
# removed first.
new_stage() {
  local d=$1
  mkdir -p "$d/bin"
  if ((have_lock)); then rm -rf "$d"/.stage.*; fi
  stage=$(mktemp -d "$d/.stage.XXXXXX")
  stages+=("$stage")
}

# module_info MODULE VERSION -> sets mod_gomod (path to its go.mod) and
# mod_time (release timestamp) after downloading it through the module proxy.
module_info() {
  local json
  json=$(cd "$work" && GOFLAGS='' "$GO" mod download -json "$1@$2") \
    || die "go mod download $1@$2 failed: $json"
  mod_gomod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<< "$json")
  local info
  info=$(sed -n 's/^[[:space:]]*"Info": "\(.*\)",\{0,1\}$/\1/p' <<< "$json")
  [[ -f $mod_gomod && -f $info ]] || die "go mod download $1@$2: unexpected output: $json"
  mod_time=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info")
}

# go_directives GOMOD -> the 'go' and 'godebug' directives to copy into the
# wrapper, so the build behaves like the upstream main module.
go_directives() {
  awk '
    $1 == "go" && NF == 2 { print; next }
    $1 == "godebug" && $2 == "(" { inblk = 1; print; next }
    inblk { print; if ($1 == ")") inblk = 0; next }
    $1 == "godebug" { print }
  ' "$1"
}

# replace_lines GOMOD -> one "OLD => NEW" per replace directive.
replace_lines() {
  awk '
    { sub(/\/\/.*/, "") }
    $1 == "replace" && $2 == "(" { inblk = 1; next }
    inblk && $1 == ")" { inblk = 0; next }
    inblk && NF { $1 = $1; print; next }
    $1 == "replace" { $1 = ""; sub(/^ +/, ""); print }
  ' "$1"
}

# write_wrapper DIR GOMOD MODULE VERSION [extra replace lines...]
write_wrapper() {
  local dir=$1 gomod=$2 mod=$3 ver=$4 r
  shift 4
  mkdir -p "$dir"
  {
    echo "// Generated by tools/k8s/build.sh; throwaway wrapper module."
    echo "module switchyard.invalid/k8s-build/wrapper"
    echo
    go_directives "$gomod"
    echo
    echo "require $mod $ver"
    if (($#)); then
      echo
      echo "replace ("
      for r in "$@"; do printf '\t%s\n' "$r"; done
      echo ")"
    fi
  } > "$dir/go.mod"
}

# upstream_replaces GOMOD [STAGING_VERSION] -> replace lines for the wrapper:
# k8s staging paths are mapped to their published vX versions, other module
# replaces are copied, other local paths are dropped (the requires already pin
# published versions of those modules).
upstream_replaces() {
  local gomod=$1 staging_ver=${2:-} line old new
  while IFS= read -r line; do
    old=${line%% => *}
    new=${line#* => }
    case $new in
      ./staging/src/k8s.io/*)
        [[ -n $staging_ver ]] || die "unexpected staging replace in $gomod: $line"
        printf '%s => %s %s\n' "${old%% *}" "${old%% *}" "$staging_ver" ;;
      ./* | ../* | /*) ;;
      *) printf '%s\n' "$line" ;;
    esac
  done < <(replace_lines "$gomod")
}

# go_build WRAPPERDIR OUT LDFLAGS PKG...  (OUT: a file, or a dir ending in /)
go_build() {
  local dir=$1 out=$2 ldflags=$3
  shift 3
  (cd "$dir" && "$GO" build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$out" "$@")
}

# verify BIN EXPECTED ARGS... -> run BIN ARGS, require EXPECTED in the output.
verify() {
  local bin=$1 expected=$2 out
  shift 2
  out=$("$bin" "$@" 2>&1) || die "$(basename "$bin") $*: failed: $out"
  [[ $out == *"$expected"* ]] \
    || die "$(basename "$bin") $*: expected '$expected' in output, got: $out"
  log "$(basename "$bin") $*: $(tr '\n' ' ' <<< "$out")"
}

install_bins() {
  local stage=$1 dir=$2 c
  shift 2
  for c in "$@"; do mv -f "$stage/$c" "$dir/bin/$c"; done
}

build_k8s() {
  local v=$KUBERNETES_VERSION staging="v0.$k8s_minor.$k8s_patch" c start
  local -a pkgs=() reps=()
  start=$SECONDS
  log "building ${missing_k8s[*]} from k8s.io/kubernetes@$v (staging modules at $staging)"
  module_info k8s.io/kubernetes "$v"
  mapfile -t reps < <(upstream_replaces "$mod_gomod" "$staging")
  ((${#reps[@]})) || die "no staging replaces found in $mod_gomod"
  log "wrapper replaces ${#reps[@]} modules"
  write_wrapper "$work/k8s" "$mod_gomod" k8s.io/kubernetes "$v" "${reps[@]}"

  local ldflags="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor"
    ldflags+=" -X $p.buildDate=$mod_time"
  done
  for c in "${missing_k8s[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done

  new_stage "$k8s_dir"
  go_build "$work/k8s" "$stage/" "$ldflags" "${pkgs[@]}"
  for c in "${missing_k8s[@]}"; do
    if [[ $c == kubectl ]]; then
      verify "$stage/$c" "Client Version: $v" version --client
    else
      verify "$stage/$c" "Kubernetes $v" --version
    fi
  done
  install_bins "$stage" "$k8s_dir" "${missing_k8s[@]}"
  log "k8s done in $((SECONDS - start))s"
}

build_etcd() {
  local v=$ETCD_VERSION mod=go.etcd.io/etcd/server/v3 start
  local -a reps=()
  start=$SECONDS
  log "building etcd from $mod@$v"
  module_info "$mod" "$v"
  mapfile -t reps < <(upstream_replaces "$mod_gomod")
  write_wrapper "$work/etcd" "$mod_gomod" "$mod" "$v" "${reps[@]}"
  new_stage "$etcd_dir"
  go_build "$work/etcd" "$stage/etcd" "-s -w" "$mod"
  verify "$stage/etcd" "etcd Version: ${v#v}" --version
  install_bins "$stage" "$etcd_dir" etcd
  log "etcd done in $((SECONDS - start))s"
}

build_coredns() {
  local v=$COREDNS_VERSION mod=github.com/coredns/coredns start
  local -a reps=()
  start=$SECONDS
  log "building coredns from $mod@$v"
  module_info "$mod" "$v"
  mapfile -t reps < <(upstream_replaces "$mod_gomod")
  write_wrapper "$work/coredns" "$mod_gomod" "$mod" "$v" "${reps[@]}"
  new_stage "$coredns_dir"
  go_build "$work/coredns" "$stage/coredns" "-s -w" "$mod"
  verify "$stage/coredns" "CoreDNS-${v#v}" -version
  install_bins "$stage" "$coredns_dir" coredns
  log "coredns done in $((SECONDS - start))s"
}

if ((missing_etcd)); then build_etcd; fi
if ((${#missing_k8s[@]})); then build_k8s; fi
if ((missing_coredns)); then build_coredns; fi

if missing; then die "still missing after build: ${components[*]}"; fi
print_bin_dirs
