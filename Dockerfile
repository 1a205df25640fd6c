# The Switchyard image: every app by command (switchyard-agent, switchyard-proxy, switchyard-dns,
# switchyard-ingress, switchyard), plus the CNI plugin artefacts the agent copies onto each node.
# Build it with scripts/image.sh build (docker or podman, whichever engine works); on machines that
# cannot pull, scripts/image.sh local-base makes the two bases locally (see e2e/kind/README.md).
#
# What lands in the runtime stage is decided by `scripts/image.sh assemble`, the same script the
# e2e test runs without a container engine, so the recipe is checked where no engine exists.

# Build stage base: node + npm + a C compiler with static libc (the CNI shim is linked statically).
ARG BUILD_BASE=node:20-bookworm
# Runtime base: node on PATH; nft, ip and conntrack are installed below when it lacks them.
ARG BASE=node:20-bookworm-slim

FROM ${BUILD_BASE} AS build
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true
WORKDIR /src
COPY . .
# The registry serves only some of nx's per-platform optional packages, so `npm ci` can refuse the
# lockfile as out of sync; `npm install` keeps the lockfile's versions (as scripts/bootstrap.sh).
RUN npm ci --no-audit --no-fund || npm install --no-audit --no-fund
# --skipSync: TypeScript project references are checked by `npm test` (nx sync:check); an image
# build neither rewrites them nor fails on them (nx orders the builds from the package graph).
RUN npx nx run-many -t build --skipSync \
      -p @switchyard/app-cni @switchyard/app-proxy @switchyard/app-dns @switchyard/app-ingress @switchyard/cli \
 && bash apps/switchyard-cni/scripts/build-shim.sh \
 && bash scripts/image.sh assemble /rootfs

FROM ${BASE}
# Install only what the base lacks, so a local base that already carries them needs no network.
RUN if command -v nft && command -v ip && command -v conntrack; then :; else \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
           nftables iproute2 conntrack \
      && rm -rf /var/lib/apt/lists/*; \
    fi >/dev/null
COPY --from=build /rootfs/ /
# SWITCHYARD_HOME is where the image's files are, as in the testbed's switchyard/switchyard image,
# so one manifest names the shim as $(SWITCHYARD_HOME)/apps/switchyard-cni/dist/switchyard-cni.
ENV SWITCHYARD_HOME=/opt/switchyard NODE_ENV=production
# Non-root by default: switchyard-dns and switchyard-ingress run as this user (ports below 1024
# need NET_BIND_SERVICE or a high container port behind the Service/hostPort). switchyard-agent
# and switchyard-proxy program the node's network and set runAsUser: 0 with NET_ADMIN in their
# manifests.
USER 65532:65532
CMD ["switchyard", "--help"]
