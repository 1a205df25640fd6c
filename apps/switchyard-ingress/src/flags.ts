import { isIP } from 'node:net';
import type { LogLevel } from '@switchyard/kube';
import { FlagError } from './errors.js';

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

const LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error'];

/**
 * Parses `--flag value` and `--flag=value` over defaults taken from `env` (the downward API
 * variables of the Deployment); throws FlagError for anything unknown or malformed.
 */
export function parseFlags(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Flags {
  const flags: Flags = {
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
    electionNamespace: env['POD_NAMESPACE'] || 'default',
    electionName: 'switchyard-ingress-status',
    identity: env['POD_NAME'] || `${env['HOSTNAME'] ?? 'switchyard-ingress'}-${process.pid}`,
    secretResyncSeconds: 30,
    shutdownDelayMs: 5000,
    logLevel: 'info',
  };
  const published: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new FlagError(name, 'needs a value');
      return v;
    };
    switch (name) {
      case '--host':
        flags.host = value();
        break;
      case '--http-port':
        flags.httpPort = port(name, value());
        break;
      case '--https-port':
        flags.httpsPort = port(name, value());
        break;
      case '--public-http-port':
        flags.publicHttpPort = port(name, value());
        break;
      case '--public-https-port':
        flags.publicHttpsPort = port(name, value());
        break;
      case '--health-host':
        flags.healthHost = value();
        break;
      case '--health-port':
        flags.healthPort = port(name, value());
        break;
      case '--kubeconfig':
        flags.kubeconfig = value();
        break;
      case '--ingress-controller':
        flags.ingressController = controllerName(name, value());
        break;
      case '--gateway-controller':
        flags.gatewayController = controllerName(name, value());
        break;
      case '--publish-address': {
        const v = value();
        if (isIP(v) === 0) throw new FlagError(name, `not an IP address: ${v}`);
        published.push(v);
        break;
      }
      case '--election-namespace':
        flags.electionNamespace = value();
        break;
      case '--election-name':
        flags.electionName = value();
        break;
      case '--identity':
        flags.identity = value();
        break;
      case '--secret-resync':
        flags.secretResyncSeconds = whole(name, value(), 1, 86400);
        break;
      case '--shutdown-delay':
        flags.shutdownDelayMs = whole(name, value(), 0, 600_000);
        break;
      case '--log-level': {
        const v = value();
        if (!LEVELS.includes(v)) throw new FlagError(name, `must be one of ${LEVELS.join(', ')}`);
        flags.logLevel = v as LogLevel;
        break;
      }
      default:
        throw new FlagError(name, 'unknown flag');
    }
  }
  const podIp = env['POD_IP'];
  if (published.length > 0) flags.publishAddresses = published;
  else if (podIp && isIP(podIp) !== 0) flags.publishAddresses = [podIp];
  return flags;
}

function whole(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    throw new FlagError(flag, `must be a whole number from ${min} to ${max}, got ${text}`);
  return Number(text);
}

function port(flag: string, text: string): number {
  return whole(flag, text, 1, 65535);
}

/** A controller name is a domain-prefixed path (`example.net/gateway-controller`). */
function controllerName(flag: string, text: string): string {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(text))
    throw new FlagError(flag, `must be DOMAIN/PATH, got ${text}`);
  return text;
}
