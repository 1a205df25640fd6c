import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, collectionPath } from '@switchyard/kube';
import type { EndpointSlice, NodeObject, Service } from '@switchyard/proxy-rules';
import { openTestbed } from '@switchyard/testbed';
import type { Command } from './args.js';
import { explainServiceOnNode } from './explain.js';
import { testbedName } from './testbed-commands.js';

type ExplainCommand = Extract<Command, { kind: 'explain-service' }>;

/** The API state explain reads: nodes, and the namespace's Services and EndpointSlices. */
interface ApiState {
  where: string;
  nodes: NodeObject[];
  services: Service[];
  endpointSlices: EndpointSlice[];
}

/**
 * `switchyard explain service`: reads the API state (the testbed's, or any cluster's with
 * --kubeconfig) and traces the service on a node.
 */
export async function explainServiceCommand(cmd: ExplainCommand): Promise<number> {
  const state = cmd.kubeconfig ? await fromCluster(cmd) : await fromTestbed(cmd);
  const { nodes } = state;
  const node = cmd.node ? nodes.find((n) => n.metadata?.name === cmd.node) : nodes[0];
  if (!node) {
    const names = nodes.map((n) => n.metadata?.name).join(', ');
    console.error(`no node ${cmd.node ?? ''} in ${state.where} (nodes: ${names})`);
    return 1;
  }
  console.log(
    `service ${cmd.namespace}/${cmd.service} on node ${node.metadata?.name}, from ${cmd.from}:`,
  );
  console.log(
    explainServiceOnNode({
      node,
      services: state.services,
      endpointSlices: state.endpointSlices,
      namespace: cmd.namespace,
      name: cmd.service,
      from: cmd.from,
      ...(cmd.source !== undefined ? { source: cmd.source } : {}),
    }),
  );
  return 0;
}

async function fromTestbed(cmd: ExplainCommand): Promise<ApiState> {
  const tb = await openTestbed(testbedName(cmd.name));
  const list = async <T>(args: string[]): Promise<T[]> => {
    const r = await tb.kubectl(['get', ...args, '-o', 'json']);
    if (r.exitCode !== 0) throw new Error(`kubectl get ${args.join(' ')}: ${r.stderr.trim()}`);
    return (JSON.parse(r.stdout) as { items: T[] }).items;
  };
  return {
    where: `testbed ${tb.name}`,
    nodes: await list<NodeObject>(['nodes']),
    services: await list<Service>(['services', '-n', cmd.namespace]),
    endpointSlices: await list<EndpointSlice>(['endpointslices', '-n', cmd.namespace]),
  };
}

// The same client switchyard-proxy uses (@switchyard/kube), so whatever credentials the
// kubeconfig holds (certificates, tokens, exec plugins) work here too.
async function fromCluster(cmd: ExplainCommand): Promise<ApiState> {
  const kc = new KubeConfig();
  kc.loadFromFile(cmd.kubeconfig!);
  const client = new KubeClient(kc);
  const namespace = cmd.namespace;
  const list = async <T>(ref: Parameters<typeof collectionPath>[0]): Promise<T[]> =>
    (await client.request<{ items?: T[] }>('GET', collectionPath(ref))).items ?? [];
  return {
    where: `the cluster at ${client.server}`,
    nodes: await list<NodeObject>({ version: 'v1', plural: 'nodes' }),
    services: await list<Service>({ version: 'v1', plural: 'services', namespace }),
    endpointSlices: await list<EndpointSlice>({
      group: 'discovery.k8s.io',
      version: 'v1',
      plural: 'endpointslices',
      namespace,
    }),
  };
}
