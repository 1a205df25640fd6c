#!/usr/bin/env bash
# Installs what Switchyard's demo and tests need, and nothing that is already there.
# Idempotent: a second run only checks (well under a second when nothing is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests and the demo exec: ip, ping, nft, iptables, conntrack, dig, curl and the
# reference CNI plugins in /usr/lib/cni (the anchors our CNI work is compared with).
DEB_PACKAGES=(
  iproute2 iputils-ping nftables iptables conntrack bind9-dnsutils curl procps util-linux openssl
  gcc libc6-dev
  containernetworking-plugins
)

missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci when node_modules is absent or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: npm ci"
  # The registry serves only some of nx's per-platform optional packages, so the lockfile cannot
  # list the others and `npm ci` may refuse it as out of sync; `npm install` honours the same
  # lockfile versions and installs what this platform needs.
  npm ci --no-audit --no-fund --loglevel=error 2>/dev/null ||
    { echo "bootstrap: npm ci refused the lockfile; npm install instead"; npm install --no-audit --no-fund --loglevel=error; }
fi

# The testbed's control-plane binaries (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl), built from Go modules into a cache outside the repo. A warm cache
# returns without starting Go; a cold build takes several minutes on 2 cores.
bash tools/k8s/build.sh >/dev/null
