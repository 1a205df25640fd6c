/**
 * The parts of the Gateway API v1 objects the controller reads and writes, shaped like the API
 * objects (informer items are passed straight in). HTTPRoute itself comes from @switchyard/ingress.
 */
import type { HTTPRoute, ObjectMeta } from '@switchyard/ingress';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

export interface Meta extends ObjectMeta {
  generation?: number;
  labels?: Record<string, string>;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface GatewayClass {
  metadata: Meta;
  spec: { controllerName: string };
  status?: { conditions?: Condition[] };
}

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface Listener {
  name: string;
  hostname?: string;
  port: number;
  protocol: string;
  tls?: { mode?: string; certificateRefs?: SecretObjectReference[] };
  allowedRoutes?: {
    namespaces?: {
      from?: 'All' | 'Same' | 'Selector' | (string & {});
      selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
    };
    kinds?: { group?: string; kind: string }[];
  };
}

export interface ListenerStatus {
  name: string;
  supportedKinds: { group: string; kind: string }[];
  attachedRoutes: number;
  conditions: Condition[];
}

export interface Gateway {
  metadata: Meta;
  spec: { gatewayClassName: string; listeners: Listener[] };
  status?: {
    addresses?: { type?: string; value: string }[];
    conditions?: Condition[];
    listeners?: ListenerStatus[];
  };
}

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

/** An HTTPRoute as the API serves it, with the parentRef fields and status we need. */
export type GatewayHTTPRoute = Omit<HTTPRoute, 'metadata' | 'spec'> & {
  metadata: Meta;
  spec: Omit<HTTPRoute['spec'], 'parentRefs'> & { parentRefs?: ParentReference[] };
  status?: { parents?: RouteParentStatus[] };
};

export interface ReferenceGrant {
  metadata: Meta;
  spec: {
    from: { group: string; kind: string; namespace: string }[];
    to: { group: string; kind: string; name?: string }[];
  };
}
