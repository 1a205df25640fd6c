#!/usr/bin/env bash
# The demo: a 3-node testbed (a real control plane; nodes and pods as network namespaces) with the
# whole Switchyard distribution installed from deploy/overlays/testbed (pod network with VXLAN
# between nodes, service proxy, cluster DNS behind kube-dns, ingress controller), an echo Deployment
# and Service, pods spread over the nodes, requests pod to pod (same node and across nodes), to the
# Service by its DNS name, and through an Ingress on a node's hostPort. The testbed stays up for exploring; `switchyard testbed down` removes all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_NO_CLOUD=true NX_TUI=false
bash scripts/bootstrap.sh
# The CLI and what it imports (tsc -b follows the references); --skip-sync: building needs no
# project-reference sync (`npm test` checks that).
npx nx run @switchyard/cli:build --skip-sync --output-style=static >/dev/null
# npm links a workspace's bin only when its target exists, and dist/ did not exist at install time.
npm rebuild --ignore-scripts --loglevel=error >/dev/null
# The distribution the testbed installs: the agent (TypeScript) and the CNI shim (static C) it
# copies onto each node, the service proxy, the cluster DNS and the ingress controller.
npx tsc -b apps/switchyard-cni/tsconfig.lib.json apps/switchyard-proxy/tsconfig.lib.json \
  apps/switchyard-dns/tsconfig.lib.json apps/switchyard-ingress/tsconfig.lib.json
npm run build:shim -w @switchyard/app-cni --silent >/dev/null

if [ -x node_modules/.bin/switchyard ]; then SW="npx switchyard"; else SW="node apps/switchyard/dist/main.js"; fi
sw() { $SW "$@"; }
say() { printf '\n== %s\n' "$*"; }

say "Switchyard testbed demo: starting a fresh 3-node testbed with the whole distribution"
sw testbed down >/dev/null
sw testbed up --nodes 3 --components proxy,dns,ingress

say "Deploying an echo Deployment (6 replicas), its Service, and a toolbox client pod"
sw testbed kubectl apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 6
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers:
        - name: echo
          image: switchyard/echo
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /hostname, port: http}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: echo}
spec:
  ingressClassName: switchyard
  rules:
    - host: echo.demo
      http:
        paths: [{path: /, pathType: Prefix, backend: {service: {name: echo, port: {name: http}}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers: [{name: toolbox, image: switchyard/toolbox}]
YAML
sw testbed kubectl rollout status deployment/echo --timeout=120s
sw testbed kubectl wait --for=condition=Ready pod/client --timeout=60s

say "The distribution: agent and proxy on every node (DaemonSets), DNS and ingress (Deployments)"
sw testbed kubectl get daemonsets,deployments -A -l app.kubernetes.io/part-of=switchyard

say "Pods, scheduled across the nodes, each with an address from its node's podCIDR"
sw testbed kubectl get nodes -o custom-columns=NODE:.metadata.name,INTERNAL-IP:.status.addresses[0].address,POD-CIDR:.spec.podCIDR
sw testbed kubectl get pods -o wide

say "The EndpointSlice of Service echo lists the ready pods"
sw testbed kubectl get endpointslices -l kubernetes.io/service-name=echo -o wide

client_node=$(sw testbed kubectl get pod client -o jsonpath='{.spec.nodeName}')
target=$(sw testbed kubectl get pods -l app=echo --field-selector "spec.nodeName=$client_node" \
  -o jsonpath='{.items[0].metadata.name} {.items[0].status.podIP}')
read -r target_pod target_ip <<<"$target"
say "A request from pod client to pod $target_pod ($target_ip), both on $client_node"
echo "\$ $SW testbed exec client -- curl -s http://$target_ip:8080/hostname"
sw testbed exec client -- curl -s "http://$target_ip:8080/hostname"
echo
echo "\$ $SW testbed exec client -- curl -s http://$target_ip:8080/demo"
sw testbed exec client -- curl -s "http://$target_ip:8080/demo"
echo

remote=$(sw testbed kubectl get pods -l app=echo --field-selector "spec.nodeName!=$client_node" \
  -o jsonpath='{.items[0].metadata.name} {.items[0].status.podIP} {.items[0].spec.nodeName}')
read -r remote_pod remote_ip remote_node <<<"$remote"
client_ip=$(sw testbed kubectl get pod client -o jsonpath='{.status.podIP}')
say "A request from pod client ($client_ip on $client_node) to pod $remote_pod ($remote_ip on $remote_node), over VXLAN"
echo "\$ $SW testbed exec client -- curl -s http://$remote_ip:8080/hostname"
sw testbed exec client -- curl -s "http://$remote_ip:8080/hostname"
echo
echo "\$ $SW testbed exec client -- curl -s http://$remote_ip:8080/clientip   # no NAT: the client pod's own address"
sw testbed exec client -- curl -s "http://$remote_ip:8080/clientip"
echo
echo "\$ $SW testbed exec node/$client_node -- ip route show dev switchyard.1   # one route per other node"
sw testbed exec "node/$client_node" -- ip route show dev switchyard.1

say "The Service by name: the client's resolv.conf points at kube-dns (10.96.0.10, served by switchyard-dns through switchyard-proxy)"
echo "\$ $SW testbed exec client -- dig +search +short echo"
sw testbed exec client -- dig +search +short echo
echo "\$ $SW testbed exec client -- curl -s http://echo/hostname   # ClusterIP, DNAT to one of the echo pods"
for _ in 1 2 3; do sw testbed exec client -- curl -s http://echo/hostname; echo; done

say "Where a packet to the Service goes, from the rules switchyard-proxy programmed"
echo "\$ $SW explain service echo --node $client_node --from pod"
sw explain service echo --node "$client_node" --from pod

ingress_node=$(sw testbed kubectl get pods -A -l app.kubernetes.io/name=switchyard-ingress \
  -o jsonpath='{.items[0].status.hostIP}' 2>/dev/null || true)
if [ -n "$ingress_node" ]; then
  say "The Ingress: host echo.demo through switchyard-ingress on hostPort 80 of a node ($ingress_node)"
  echo "\$ $SW testbed exec client -- curl -s -H 'Host: echo.demo' http://$ingress_node/hostname"
  sw testbed exec client -- curl -s -H 'Host: echo.demo' "http://$ingress_node/hostname"
  echo
fi

say "The testbed is still up. Explore it:"
cat <<EOT
  $SW testbed status
  $SW testbed kubectl get pods -o wide
  $SW testbed exec client -- curl -s http://$remote_ip:8080/clientip
  $SW testbed exec client -- ping -c 3 $remote_ip
  $SW testbed exec node/$client_node -- ip -br addr
  export KUBECONFIG=$(sw testbed status --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).kubeconfig))')
Tear it down (every namespace, process and file it made):
  $SW testbed down
EOT
