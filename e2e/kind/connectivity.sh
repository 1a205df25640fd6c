#!/usr/bin/env bash
# The connectivity suite, through kubectl only, against whatever cluster KUBECONFIG names (a kind
# cluster from e2e/kind/run.sh, the Switchyard testbed, any cluster running the distribution).
#
# Every check is a pod with restartPolicy Never whose command is the check: the pod's phase
# (Succeeded or Failed, read with `kubectl get pod -o jsonpath={.status.phase}`) is the result, so
# the suite needs neither `kubectl exec` nor `kubectl logs` (the testbed's kubelet serves neither).
# Checks: pod to pod on another node (both directions), a Service's ClusterIP, the Service's DNS
# names (FQDN answers the ClusterIP; the short name through the search path), and an Ingress
# served by switchyard-ingress on its node's hostPort.
#
# Environment (defaults in brackets):
#   KUBECTL            kubectl to run [kubectl]
#   CLIENT_IMAGE       an image with sh and curl [curlimages/curl:8.11.1]
#   SERVER_IMAGE       an HTTP server answering GET /hostname with the pod's name on 8080
#                      [registry.k8s.io/e2e-test-images/agnhost:2.53]
#   SERVER_ARGS        its arguments, space separated [netexec --http-port=8080]
#   NAMESPACE          made for the suite and deleted after it [switchyard-connectivity]
#   CLUSTER_DOMAIN     [cluster.local]
#   INGRESS_CLASS      [switchyard]
#   INGRESS_NAMESPACE / INGRESS_SELECTOR  where the controller's pods are, to find the node whose
#                      hostPort 80 serves the Ingress [switchyard-ingress /
#                      app.kubernetes.io/name=switchyard-ingress]
#   HOST_INGRESS_URL   also fetch the Ingress from this machine (kind's extraPortMappings, e.g.
#                      http://127.0.0.1) [unset: not checked]
#   CHECKS             which groups to run, space separated [pod service dns ingress]
#   CHECK_TIMEOUT      seconds one check may retry inside its pod [60]
#   POD_TIMEOUT        seconds to wait for a pod to start and finish [180]
# Exit status: 0 when every check passed, 1 when any failed, 2 when the suite could not run.
set -euo pipefail

KUBECTL="${KUBECTL:-kubectl}"
CLIENT_IMAGE="${CLIENT_IMAGE:-curlimages/curl:8.11.1}"
SERVER_IMAGE="${SERVER_IMAGE:-registry.k8s.io/e2e-test-images/agnhost:2.53}"
SERVER_ARGS="${SERVER_ARGS:-netexec --http-port=8080}"
NS="${NAMESPACE:-switchyard-connectivity}"
DOMAIN="${CLUSTER_DOMAIN:-cluster.local}"
INGRESS_CLASS="${INGRESS_CLASS:-switchyard}"
INGRESS_NAMESPACE="${INGRESS_NAMESPACE:-switchyard-ingress}"
INGRESS_SELECTOR="${INGRESS_SELECTOR:-app.kubernetes.io/name=switchyard-ingress}"
CHECK_TIMEOUT="${CHECK_TIMEOUT:-60}"
POD_TIMEOUT="${POD_TIMEOUT:-180}"
INGRESS_HOST=connectivity.switchyard.test
CHECKS="${CHECKS:-pod service dns ingress}"

k() { "$KUBECTL" "$@"; }
want() { [[ " $CHECKS " == *" $1 "* ]]; }
say() { echo "connectivity: $*"; }
failures=0

# YAML list items for the server's args.
server_args_yaml() {
  local a
  for a in $SERVER_ARGS; do printf '            - "%s"\n' "$a"; done
}

# Two schedulable nodes (no NoSchedule/NoExecute taint), or every node when fewer are.
pick_nodes() {
  local all free
  all="$(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')"
  free="$(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.taints[*].effect}{"\n"}{end}' |
    awk '$0 !~ /NoSchedule|NoExecute/ {print $1}')"
  [[ "$(echo "$free" | grep -c .)" -ge 2 ]] && all="$free"
  echo "$all" | head -2
}

server() { # name node
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: { name: $1, namespace: $NS, labels: { app: conn-web } }
spec:
  nodeName: $2
  tolerations: [{ operator: Exists }]
  containers:
    - name: web
      image: $SERVER_IMAGE
      args:
$(server_args_yaml)
      ports: [{ containerPort: 8080 }]
      readinessProbe:
        httpGet: { path: /hostname, port: 8080 }
        periodSeconds: 2
EOF
}

# Runs SCRIPT (sh) in a fresh pod on NODE until it succeeds or CHECK_TIMEOUT passes; records the
# result from the pod's phase.
check() { # name node description script
  local name="$1" node="$2" what="$3" script="$4" phase="" waited=0
  local retry="end=\$((\$(date +%s) + $CHECK_TIMEOUT)); while :; do if ( $script ); then exit 0; fi; [ \$(date +%s) -ge \$end ] && exit 1; sleep 1; done"
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: { name: $name, namespace: $NS }
spec:
  nodeName: $node
  tolerations: [{ operator: Exists }]
  restartPolicy: Never
  containers:
    - name: check
      image: $CLIENT_IMAGE
      command:
        - sh
        - -c
        - |
          $retry
EOF
  while ((waited < POD_TIMEOUT)); do
    phase="$(k -n "$NS" get pod "$name" -o jsonpath='{.status.phase}')"
    [[ "$phase" == Succeeded || "$phase" == Failed ]] && break
    sleep 1
    waited=$((waited + 1))
  done
  if [[ "$phase" == Succeeded ]]; then
    echo "ok - $what"
  else
    echo "not ok - $what (pod $name on $node: ${phase:-no phase}; check: $script)"
    k -n "$NS" get pod "$name" -o jsonpath='{.status.containerStatuses[0].state}{"\n"}' || true
    failures=$((failures + 1))
  fi
}

wait_ready() { # pod
  if ! k -n "$NS" wait --for=condition=Ready "pod/$1" --timeout="${POD_TIMEOUT}s" >/dev/null; then
    say "pod $1 never became Ready:"
    k -n "$NS" get pod "$1" -o wide || true
    exit 2
  fi
}

cleanup() { k delete namespace "$NS" --wait=false --ignore-not-found >/dev/null 2>&1 || true; }

mapfile -t nodes < <(pick_nodes)
if [[ ${#nodes[@]} -lt 2 ]]; then
  say "needs two nodes, found ${#nodes[@]}"
  exit 2
fi
a="${nodes[0]}"
b="${nodes[1]}"
say "nodes $a and $b; client image $CLIENT_IMAGE; server image $SERVER_IMAGE"
k delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
k create namespace "$NS" >/dev/null
trap cleanup EXIT

server web-a "$a"
server web-b "$b"
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: { name: web, namespace: $NS }
spec:
  selector: { app: conn-web }
  ports: [{ port: 80, targetPort: 8080 }]
EOF
wait_ready web-a
wait_ready web-b
ip_a="$(k -n "$NS" get pod web-a -o jsonpath='{.status.podIP}')"
ip_b="$(k -n "$NS" get pod web-b -o jsonpath='{.status.podIP}')"
cluster_ip="$(k -n "$NS" get service web -o jsonpath='{.spec.clusterIP}')"
say "web-a $ip_a on $a, web-b $ip_b on $b, Service web $cluster_ip"

get='curl -sf --max-time 3'
want pod && check pod-a-to-b "$a" "pod to pod across nodes ($a -> web-b $ip_b)" \
  "test \"\$($get http://$ip_b:8080/hostname)\" = web-b"
want pod && check pod-b-to-a "$b" "pod to pod across nodes ($b -> web-a $ip_a)" \
  "test \"\$($get http://$ip_a:8080/hostname)\" = web-a"
want service && check svc-clusterip "$a" "Service ClusterIP ($cluster_ip:80 answers from a backend)" \
  "case \"\$($get http://$cluster_ip/hostname)\" in web-a|web-b) true;; *) false;; esac"
want dns && check dns-fqdn "$b" "DNS: web.$NS.svc.$DOMAIN is the ClusterIP, and answers" \
  "test \"\$(curl -sf --max-time 3 -o /dev/null -w '%{remote_ip}' http://web.$NS.svc.$DOMAIN/hostname)\" = $cluster_ip"
want dns && check dns-search "$a" "DNS: the short name web resolves through the pod's search path" \
  "case \"\$($get http://web/hostname)\" in web-a|web-b) true;; *) false;; esac"

if want ingress; then
  ingress_ip="$(k -n "$INGRESS_NAMESPACE" get pods -l "$INGRESS_SELECTOR" \
    --field-selector=status.phase=Running -o jsonpath='{.items[0].status.hostIP}' 2>/dev/null || true)"
  if [[ -z "$ingress_ip" ]]; then
    echo "not ok - Ingress (no running controller pod in $INGRESS_NAMESPACE with $INGRESS_SELECTOR)"
    failures=$((failures + 1))
  else
    k apply -f - >/dev/null <<EOF
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: web, namespace: $NS }
spec:
  ingressClassName: $INGRESS_CLASS
  rules:
    - host: $INGRESS_HOST
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: { service: { name: web, port: { number: 80 } } }
EOF
    check ingress "$b" "Ingress: Host $INGRESS_HOST on $ingress_ip:80 reaches a backend" \
      "case \"\$($get -H 'Host: $INGRESS_HOST' http://$ingress_ip/hostname)\" in web-a|web-b) true;; *) false;; esac"
    if [[ -n "${HOST_INGRESS_URL:-}" ]]; then
      end=$(($(date +%s) + CHECK_TIMEOUT))
      until body="$(curl -sf --max-time 3 -H "Host: $INGRESS_HOST" "$HOST_INGRESS_URL/hostname")" &&
        [[ "$body" == web-a || "$body" == web-b ]]; do
        (($(date +%s) < end)) || break
        sleep 1
      done
      if [[ "${body:-}" == web-a || "${body:-}" == web-b ]]; then
        echo "ok - Ingress from this machine ($HOST_INGRESS_URL)"
      else
        echo "not ok - Ingress from this machine ($HOST_INGRESS_URL): ${body:-no answer}"
        failures=$((failures + 1))
      fi
    fi
  fi
fi

if ((failures > 0)); then
  say "$failures check(s) failed"
  exit 1
fi
say "all checks passed"
