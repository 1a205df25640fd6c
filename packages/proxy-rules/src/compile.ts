import { categorizeEndpoints } from './categorize.js';
import { ModelError } from './errors.js';
import { type HealthCheck, healthChecks } from './health-checks.js';
import type { ProxyModel } from './model.js';
import { type NodeContext, nodeContext } from './node.js';
import type { Ruleset } from './ruleset.js';
import { addServicePort } from './service-rules.js';
import { type ServicePortInfo, type Skipped, resolveServicePorts } from './service-ports.js';
import { skeleton } from './skeleton.js';

export interface CompileOptions {
  /** Name of our table in the `inet` family; default `switchyard-proxy`. */
  table?: string;
  /** Packet-mark bit asking for masquerade; default 0x4000 (kube-proxy's bit 14). */
  masqueradeMark?: number;
}

export interface Compiled {
  ruleset: Ruleset;
  /** The validated node description. */
  node: NodeContext;
  /** Every proxied service port, per family, with its endpoints. */
  servicePorts: ServicePortInfo[];
  /** Services left out because they are invalid, and why. */
  skipped: Skipped[];
  /** `healthCheckNodePort` servers the node must run (externalTrafficPolicy Local). */
  healthChecks: HealthCheck[];
}

export const DEFAULT_TABLE = 'switchyard-proxy';
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

/**
 * Turns the model into our table's desired state. Throws ModelError for an unusable node or
 * option; invalid services are skipped and reported, so one bad object cannot block the rest.
 */
export function compile(model: ProxyModel, options: CompileOptions = {}): Compiled {
  const table = options.table ?? DEFAULT_TABLE;
  if (!TABLE_NAME.test(table))
    throw new ModelError(`invalid table name ${JSON.stringify(table)}`, 'options.table');
  const mark = options.masqueradeMark ?? 0x4000;
  if (!Number.isInteger(mark) || mark <= 0 || mark > 0xffffffff || (mark & (mark - 1)) !== 0) {
    throw new ModelError('must be a single bit of a 32-bit mark', 'options.masqueradeMark');
  }
  const node = nodeContext(model.node);
  const ruleset = skeleton(table, mark, node);
  const { ports, skipped } = resolveServicePorts(model, node);
  for (const sp of ports) addServicePort(ruleset, sp, categorizeEndpoints(sp, node), node);
  return { ruleset, node, servicePorts: ports, skipped, healthChecks: healthChecks(ports) };
}
