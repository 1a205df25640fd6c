import { condition } from './conditions.js';
import {
  GATEWAY_GROUP,
  type Condition,
  type Gateway,
  type Listener,
  type ReferenceGrant,
} from './gateway-types.js';
import { referencePermitted } from './reference-grants.js';

/** What the controller knows about a referenced Secret right now. */
export type SecretState = 'ok' | 'missing' | 'invalid' | 'unknown';

export interface ListenerContext {
  publicHttpPort: number;
  publicHttpsPort: number;
  grants: readonly ReferenceGrant[];
  secretState: (namespace: string, name: string) => SecretState;
}

export interface CheckedListener {
  listener: Listener;
  /** Which of our servers carries it, when it is served at all. */
  server: 'http' | 'https' | undefined;
  /** Secrets holding its certificates (HTTPS listeners whose references resolved). */
  certificates: { namespace: string; name: string }[];
  /** Every Secret it may read (permitted references, read or not yet): what to fetch. */
  referencedSecrets: { namespace: string; name: string }[];
  /** Whether routes of this kind may attach (allowedRoutes.kinds). */
  allowsHttpRoute: boolean;
  supportedKinds: { group: string; kind: string }[];
  conditions: Condition[];
}

const HTTP_ROUTE = { group: GATEWAY_GROUP, kind: 'HTTPRoute' };

/**
 * The Listener conditions of the spec for one Gateway: Accepted (PortUnavailable,
 * UnsupportedProtocol), ResolvedRefs (InvalidCertificateRef, RefNotPermitted, InvalidRouteKinds),
 * Conflicted (HostnameConflict) and Programmed. Only HTTP and HTTPS (TLS terminated here) on the
 * public ports are served.
 */
export function checkListeners(gateway: Gateway, ctx: ListenerContext): CheckedListener[] {
  const gen = gateway.metadata.generation;
  const ns = gateway.metadata.namespace ?? 'default';
  const seen = new Map<string, number>();
  for (const l of gateway.spec.listeners) {
    const k = `${l.port}/${l.hostname ?? ''}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  return gateway.spec.listeners.map((l): CheckedListener => {
    let accepted: [boolean, string, string] = [true, 'Accepted', 'listener accepted'];
    let refs: [boolean, string, string] = [true, 'ResolvedRefs', 'references resolved'];
    const certificates: { namespace: string; name: string }[] = [];
    const referencedSecrets: { namespace: string; name: string }[] = [];
    let server: 'http' | 'https' | undefined;
    if (l.protocol === 'HTTP' || l.protocol === 'HTTPS') {
      const want = l.protocol === 'HTTP' ? ctx.publicHttpPort : ctx.publicHttpsPort;
      if (l.port !== want) {
        accepted = [false, 'PortUnavailable', `${l.protocol} is served on port ${want} only`];
      } else {
        server = l.protocol === 'HTTP' ? 'http' : 'https';
      }
    } else {
      accepted = [false, 'UnsupportedProtocol', `protocol ${l.protocol} is not supported`];
    }
    if (l.protocol === 'HTTPS') {
      if ((l.tls?.mode ?? 'Terminate') !== 'Terminate') {
        accepted = [
          false,
          'UnsupportedProtocol',
          'HTTPS listeners support TLS mode Terminate only',
        ];
        server = undefined;
      }
      const problem = certificateProblem(l, ns, ctx, certificates, referencedSecrets);
      if (problem) refs = [false, problem[0], problem[1]];
    }
    // Kinds: HTTPRoute is the only one we serve; listing others is InvalidRouteKinds.
    const kinds = l.allowedRoutes?.kinds;
    const supportedKinds =
      kinds === undefined
        ? [HTTP_ROUTE]
        : kinds
            .filter((k) => (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === 'HTTPRoute')
            .map(() => HTTP_ROUTE)
            .slice(0, 1);
    if (kinds !== undefined && supportedKinds.length < kinds.length && refs[0]) {
      refs = [false, 'InvalidRouteKinds', 'only HTTPRoute is supported'];
    }
    const conflicted = (seen.get(`${l.port}/${l.hostname ?? ''}`) ?? 0) > 1;
    const programmed = accepted[0] && !conflicted && (refs[0] || refs[1] === 'InvalidRouteKinds');
    return {
      listener: l,
      server: programmed ? server : undefined,
      certificates: refs[0] || refs[1] === 'InvalidRouteKinds' ? certificates : [],
      referencedSecrets,
      allowsHttpRoute: supportedKinds.length > 0,
      supportedKinds,
      conditions: [
        condition('Accepted', ...accepted, gen),
        condition('ResolvedRefs', ...refs, gen),
        conflicted
          ? condition(
              'Conflicted',
              true,
              'HostnameConflict',
              'another listener has this port and hostname',
              gen,
            )
          : condition('Conflicted', false, 'NoConflicts', 'no conflicts', gen),
        programmed
          ? condition('Programmed', true, 'Programmed', 'listener programmed', gen)
          : condition('Programmed', false, 'Invalid', 'listener not programmed', gen),
      ],
    };
  });
}

/** [reason, message] when a certificate reference of an HTTPS listener is unusable. */
function certificateProblem(
  l: Listener,
  gatewayNamespace: string,
  ctx: ListenerContext,
  out: { namespace: string; name: string }[],
  referenced: { namespace: string; name: string }[],
): [string, string] | undefined {
  const refs = l.tls?.certificateRefs ?? [];
  if (refs.length === 0)
    return ['InvalidCertificateRef', 'an HTTPS listener needs certificateRefs'];
  for (const ref of refs) {
    const namespace = ref.namespace ?? gatewayNamespace;
    const where = `Secret ${namespace}/${ref.name}`;
    if ((ref.group ?? '') !== '' || (ref.kind ?? 'Secret') !== 'Secret')
      return ['InvalidCertificateRef', `${ref.kind ?? 'Secret'} references are not supported`];
    const permitted = referencePermitted(
      ctx.grants,
      { group: GATEWAY_GROUP, kind: 'Gateway', namespace: gatewayNamespace },
      { group: '', kind: 'Secret', namespace, name: ref.name },
    );
    if (!permitted) return ['RefNotPermitted', `no ReferenceGrant allows ${where}`];
    referenced.push({ namespace, name: ref.name });
    const state = ctx.secretState(namespace, ref.name);
    if (state === 'missing') return ['InvalidCertificateRef', `${where} does not exist`];
    if (state === 'invalid')
      return ['InvalidCertificateRef', `${where} is not a usable kubernetes.io/tls Secret`];
    if (state === 'unknown') return ['InvalidCertificateRef', `${where} has not been read yet`];
    out.push({ namespace, name: ref.name });
  }
  return undefined;
}
