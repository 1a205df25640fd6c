import type { EndpointSlice, NodeObject, Service } from '@switchyard/proxy-rules';
import { openTestbed } from '@switchyard/testbed';
import type { Command } from './args.js';
import { explainServiceOnNode } from './explain.js';
import { testbedName } from './testbed-commands.js';

/** `switchyard explain service`: reads the testbed's API state and traces the service on a node. */
export async function explainServiceCommand(
  cmd: Extract<Command, { kind: 'explain-service' }>,
): Promise<number> {
  const tb = await openTestbed(testbedName(cmd.name));
  const list = async <T>(args: string[]): Promise<T[]> => {
    const r = await tb.kubectl(['get', ...args, '-o', 'json']);
    if (r.exitCode !== 0) throw new Error(`kubectl get ${args.join(' ')}: ${r.stderr.trim()}`);
    return (JSON.parse(r.stdout) as { items: T[] }).items;
  };
  const nodes = await list<NodeObject>(['nodes']);
  const node = cmd.node ? nodes.find((n) => n.metadata?.name === cmd.node) : nodes[0];
  if (!node) {
    const names = nodes.map((n) => n.metadata?.name).join(', ');
    console.error(`no node ${cmd.node} in testbed ${tb.name} (nodes: ${names})`);
    return 1;
  }
  const services = await list<Service>(['services', '-n', cmd.namespace]);
  const endpointSlices = await list<EndpointSlice>(['endpointslices', '-n', cmd.namespace]);
  console.log(
    `service ${cmd.namespace}/${cmd.service} on node ${node.metadata?.name}, from ${cmd.from}:`,
  );
  console.log(
    explainServiceOnNode({
      node,
      services,
      endpointSlices,
      namespace: cmd.namespace,
      name: cmd.service,
      from: cmd.from,
      ...(cmd.source !== undefined ? { source: cmd.source } : {}),
    }),
  );
  return 0;
}
