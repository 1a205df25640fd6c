#!/usr/bin/env bash
# Switchyard on kind, end to end: create a cluster without kindnet and kube-proxy
# (examples/kind/cluster.yaml), build the image and load it into the nodes, apply
# deploy/overlays/kind (deploy/switchyard.yaml's sources plus kind's ingress placement), delete CoreDNS's Deployment (its kube-dns Service and coredns ConfigMap
# stay; switchyard-dns answers behind that Service), then run e2e/kind/connectivity.sh.
#
# Where no container engine works (`docker info` fails) or kind is missing, it prints why it
# skipped and exits 0, so it can run anywhere.
#
# Environment: KIND_CLUSTER (switchyard), KEEP_CLUSTER=1 (leave the cluster up afterwards),
# IMAGE (the image deploy/switchyard.yaml names), BASE / BUILD_BASE (passed to scripts/image.sh
# build), and the connectivity suite's CLIENT_IMAGE, SERVER_IMAGE, ... (see connectivity.sh).
set -euo pipefail

# No dirname: the skip below must work with nothing on PATH.
self="${BASH_SOURCE[0]}"
[[ "$self" == */* ]] || self="./$self"
here="$(cd "${self%/*}" && pwd)"
root="$(cd "$here/../.." && pwd)"
manifest="$root/deploy/switchyard.yaml"

skip() {
  echo "e2e/kind/run.sh: skipped: $*"
  exit 0
}
if ! command -v docker >/dev/null; then
  skip "no container engine (docker is not installed)"
elif ! docker info >/dev/null 2>&1; then
  skip "no container engine (docker info failed)"
fi
command -v kind >/dev/null || skip "kind is not installed"
command -v kubectl >/dev/null || skip "kubectl is not installed"
[[ -f "$manifest" ]] || { echo "e2e/kind/run.sh: $manifest is missing" >&2; exit 2; }

cluster="${KIND_CLUSTER:-switchyard}"
# The image every workload in the manifest runs.
image="${IMAGE:-$(sed -n 's/^ *image: *\(switchyard\/switchyard:[^ ]*\).*/\1/p' "$manifest" | head -1)}"
[[ -n "$image" ]] || { echo "e2e/kind/run.sh: no switchyard/switchyard image in $manifest" >&2; exit 2; }
work="$(mktemp -d)"
export KUBECONFIG="$work/kubeconfig"
cleanup() {
  if [[ "${KEEP_CLUSTER:-}" == 1 ]]; then
    echo "e2e/kind/run.sh: cluster $cluster kept; KUBECONFIG=$KUBECONFIG"
  else
    kind delete cluster --name "$cluster" >/dev/null 2>&1 || true
    rm -rf "$work"
  fi
}
trap cleanup EXIT

step() { echo "e2e/kind/run.sh: $*"; }

step "creating kind cluster $cluster"
kind create cluster --name "$cluster" --config "$root/examples/kind/cluster.yaml" \
  --kubeconfig "$KUBECONFIG" --wait 0s

step "building $image"
build=(--engine docker --tag "$image")
[[ -n "${BASE:-}" ]] && build+=(--base "$BASE")
[[ -n "${BUILD_BASE:-}" ]] && build+=(--build-base "$BUILD_BASE")
bash "$root/scripts/image.sh" build "${build[@]}"
kind load docker-image "$image" --name "$cluster"

step "installing Switchyard"
[[ -f "$root/deploy/gateway-api-crds.yaml" ]] && kubectl apply -f "$root/deploy/gateway-api-crds.yaml"
# deploy/switchyard.yaml plus kind's placement of the ingress controller (deploy/overlays/kind).
kubectl apply -k "$root/deploy/overlays/kind"
# switchyard-dns replaces CoreDNS behind the same kube-dns Service.
kubectl -n kube-system delete deployment coredns --ignore-not-found
kubectl wait --for=condition=Ready nodes --all --timeout=300s
kubectl get -f "$manifest" \
  -o jsonpath='{range .items[*]}{.kind}/{.metadata.name} {.metadata.namespace}{"\n"}{end}' |
  grep -E '^(DaemonSet|Deployment)/' |
  while read -r workload ns; do
    kubectl -n "$ns" rollout status "$workload" --timeout=300s
  done

step "connectivity suite"
HOST_INGRESS_URL="${HOST_INGRESS_URL:-http://127.0.0.1}" bash "$here/connectivity.sh"
