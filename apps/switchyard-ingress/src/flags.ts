import { isIP } from 'node:net';
import {
  FlagError,
  appendTo,
  field,
  ipAddress,
  logLevel,
  parseFlagTable,
  port,
  text,
  wholeNumber,
} from '@switchyard/kube';
import type { FlagEnv, FlagReader, FlagTable, LogLevel } from '@switchyard/kube';

export interface Flags {
  /** Address the proxy listens on. */
  host: string;
  httpPort: number;
  httpsPort: number;
  /**
   * The ports clients use (the hostPorts in kind). A Gateway listener is served only when its
   * port is one of these; they differ from httpPort/httpsPort behind a port mapping.
   */
  publicHttpPort: number;
  publicHttpsPort: number;
  /** /healthz, /readyz and /metrics. */
  healthHost: string;
  healthPort: number;
  kubeconfig?: string;
  /** IngressClass `spec.controller` we own. */
  ingressController: string;
  /** GatewayClass `spec.controllerName` we own. */
  gatewayController: string;
  /** Addresses written to Ingress and Gateway status (default: $POD_IP). */
  publishAddresses: string[];
  /** Leader election Lease (status writes only); identity is $POD_NAME. */
  electionNamespace: string;
  electionName: string;
  identity: string;
  /** How often referenced Secrets are read again (seconds). */
  secretResyncSeconds: number;
  /** Time between turning unready and closing the listeners on SIGTERM (ms). */
  shutdownDelayMs: number;
  logLevel: LogLevel;
}

export const USAGE = `usage: switchyard-ingress [flags]
  --host ADDR                 proxy listen address (0.0.0.0)
  --http-port N               plain HTTP port (80)       --https-port N   HTTPS port (443)
  --public-http-port N        port clients use for HTTP (80); Gateway listeners must name it
  --public-https-port N       port clients use for HTTPS (443)
  --health-host ADDR          /healthz /readyz /metrics address (0.0.0.0)
  --health-port N             (10254)
  --kubeconfig PATH           default: $KUBECONFIG, ~/.kube/config, then in-cluster
  --ingress-controller NAME   IngressClass spec.controller (switchyard.dev/ingress-controller)
  --gateway-controller NAME   GatewayClass spec.controllerName (switchyard.dev/gateway-controller)
  --publish-address IP        (repeatable) address for Ingress/Gateway status ($POD_IP)
  --election-namespace NS     Lease namespace ($POD_NAMESPACE, else default)
  --election-name NAME        Lease name (switchyard-ingress-status)
  --identity ID               leader election identity ($POD_NAME, else the hostname and PID)
  --secret-resync N           seconds between re-reads of referenced Secrets (30)
  --shutdown-delay MS         unready this long before closing on SIGTERM (5000)
  --log-level debug|info|warn|error`;

/** A controller name is a domain-prefixed path (`example.net/gateway-controller`). */
const controllerName: FlagReader<string> = (flag, value) => {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(value))
    throw new FlagError(flag, `must be DOMAIN/PATH, got ${value}`);
  return value;
};

const FLAGS: FlagTable<Flags> = {
  '--host': field('host', text),
  '--http-port': field('httpPort', port),
  '--https-port': field('httpsPort', port),
  '--public-http-port': field('publicHttpPort', port),
  '--public-https-port': field('publicHttpsPort', port),
  '--health-host': field('healthHost', text),
  '--health-port': field('healthPort', port),
  '--kubeconfig': field('kubeconfig', text),
  '--ingress-controller': field('ingressController', controllerName),
  '--gateway-controller': field('gatewayController', controllerName),
  '--publish-address': appendTo('publishAddresses', ipAddress),
  '--election-namespace': field('electionNamespace', text, 'POD_NAMESPACE'),
  '--election-name': field('electionName', text),
  '--identity': field('identity', text, 'POD_NAME'),
  '--secret-resync': field('secretResyncSeconds', wholeNumber(1, 86400)),
  '--shutdown-delay': field('shutdownDelayMs', wholeNumber(0, 600_000)),
  '--log-level': field('logLevel', logLevel),
};

/**
 * Parses `--flag value` and `--flag=value` over defaults taken from `env` (the downward API
 * variables of the Deployment); throws FlagError for anything unknown or malformed.
 */
export function parseFlags(argv: readonly string[], env: FlagEnv = {}): Flags {
  const flags = parseFlagTable(
    argv,
    FLAGS,
    {
      host: '0.0.0.0',
      httpPort: 80,
      httpsPort: 443,
      publicHttpPort: 80,
      publicHttpsPort: 443,
      healthHost: '0.0.0.0',
      healthPort: 10254,
      ingressController: 'switchyard.dev/ingress-controller',
      gatewayController: 'switchyard.dev/gateway-controller',
      publishAddresses: [],
      electionNamespace: 'default',
      electionName: 'switchyard-ingress-status',
      identity: `${env['HOSTNAME'] ?? 'switchyard-ingress'}-${process.pid}`,
      secretResyncSeconds: 30,
      shutdownDelayMs: 5000,
      logLevel: 'info',
    },
    env,
  );
  // Without --publish-address, the pod's own address (when the downward API gave a valid one).
  const podIp = env['POD_IP'];
  if (flags.publishAddresses.length === 0 && podIp && isIP(podIp) !== 0)
    flags.publishAddresses = [podIp];
  return flags;
}
