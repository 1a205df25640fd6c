import {
  InvalidEnvironmentError,
  InvalidNetworkConfigError,
  PluginNotAvailableError,
  checkCniArgs,
  cniErrorFor,
  parseCniArgs,
  parseResult,
  type CmdArgs,
  type PluginHandlers,
  type Result,
} from '@switchyard/cni-spec';
import {
  Allocator,
  IpamConfigError,
  IpamError,
  collectGarbage,
  parseIpamConfig,
  type AllocatedAddress,
  type IpamConfig,
} from '@switchyard/ipam';
import { NetnsError, getLink, type Link } from '@switchyard/linux';
import { bridgeKey, ensureBridge, type BridgeSpec } from './bridge.js';
import { parseSwitchyardConf, type SwitchyardConf } from './config.js';
import { checkFailed } from './errors.js';
import { addHostPorts, hostPortOwner, parsePortMappings, removeHostPorts } from './host-ports.js';
import { hostVethName } from './host-veth-name.js';
import type { PluginContext } from './plugin-context.js';
import {
  checkPodInterface,
  createPodInterface,
  deletePodInterface,
  type PodAddress,
} from './pod-interface.js';

// Kubelet and containerd send these; anything else needs IgnoreUnknown.
const KNOWN_CNI_ARGS = [
  'IP',
  'K8S_POD_NAMESPACE',
  'K8S_POD_NAME',
  'K8S_POD_INFRA_CONTAINER_ID',
  'K8S_POD_UID',
];

/** The `switchyard` plugin's verbs over a context (standalone process or agent). */
export function pluginHandlers(ctx: PluginContext): PluginHandlers {
  return {
    add: (args) => cni(() => add(ctx, args)),
    check: (args) => cni(() => check(ctx, args)),
    del: (args) => cni(() => del(ctx, args)),
    status: (args) => cni(() => status(ctx, args)),
    gc: (args) => cni(() => gc(ctx, args)),
  };
}

async function add(ctx: PluginContext, args: CmdArgs): Promise<Result> {
  const conf = parseSwitchyardConf(args.config);
  const ipam = loadIpam(args);
  const mappings = parsePortMappings(args.config);
  const podNetns = ctx.podNetnsPath(args.netns);
  const attachment = { containerId: args.containerId, ifName: args.ifName };
  const opened = ctx.openStore(conf.network, conf.dataDir);
  const allocator = new Allocator(ipam.rangeSets, opened.store);
  let allocated: AllocatedAddress[] = [];
  let host: ReturnType<PluginContext['hostRtnl']> | undefined;
  try {
    host = ctx.hostRtnl();
    const nl = host.nl;
    allocated = allocator.allocate({ ...attachment, requested: ipam.requested });
    const addresses = podAddresses(allocated);
    const bridge = await readyBridge(ctx, nl, bridgeSpec(conf, ipam));
    const hostVeth = hostVethName(args.containerId, args.ifName);
    const made = await createPodInterface(nl, {
      podNetns,
      ifName: args.ifName,
      hostVeth,
      bridgeIndex: bridge.index,
      mtu: conf.mtu,
      addresses,
    });
    if (mappings.length > 0) {
      try {
        const owner = hostPortOwner(args.containerId, args.ifName);
        const cidrs = addresses.map((a) => a.cidr);
        await addHostPorts(ctx.hostNetns, conf.bridge, owner, mappings, cidrs);
      } catch (e) {
        await deletePodInterface(nl, hostVeth, podNetns, args.ifName);
        throw e;
      }
    }
    const result: Result = {
      cniVersion: '1.1.0',
      interfaces: [
        { name: conf.bridge, mac: bridge.mac ?? '' },
        { name: hostVeth, mac: made.host.mac ?? '' },
        { name: args.ifName, mac: made.pod.mac ?? '', mtu: conf.mtu, sandbox: args.netns },
      ],
      ips: addresses.map((a) => ({ address: a.cidr, gateway: a.gateway, interface: 2 })),
      routes: addresses.map((a) => ({
        dst: a.gateway.includes(':') ? '::/0' : '0.0.0.0/0',
        gw: a.gateway,
      })),
    };
    if (args.config.dns) result.dns = args.config.dns;
    return result;
  } catch (e) {
    // Nothing of a failed ADD stays behind: the interface is removed where it was made, and the
    // addresses taken by this call are given back.
    if (allocated.length > 0) allocator.release(attachment);
    throw e;
  } finally {
    opened.close();
    host?.release();
  }
}

async function check(ctx: PluginContext, args: CmdArgs): Promise<void> {
  const conf = parseSwitchyardConf(args.config);
  const ipam = loadIpam(args);
  const attachment = { containerId: args.containerId, ifName: args.ifName };
  const opened = ctx.openStore(conf.network, conf.dataDir);
  let held: AllocatedAddress[];
  try {
    held = new Allocator(ipam.rangeSets, opened.store).check(attachment);
  } finally {
    opened.close();
  }
  const { nl, release } = ctx.hostRtnl();
  try {
    const addresses = podAddresses(held);
    if (args.config.prevResult !== undefined) {
      const prev = parseResult(args.config.prevResult, args.config.cniVersion);
      const want = new Set(addresses.map((a) => a.cidr));
      for (const ip of prev.ips ?? []) {
        if (!want.has(ip.address)) throw checkFailed(`address ${ip.address} is not allocated`);
      }
    }
    const bridge = await getLink(nl, conf.bridge);
    if (!bridge) throw checkFailed(`bridge ${conf.bridge} is missing`);
    await checkPodInterface(nl, {
      podNetns: ctx.podNetnsPath(args.netns),
      ifName: args.ifName,
      hostVeth: hostVethName(args.containerId, args.ifName),
      bridgeIndex: bridge.index,
      mtu: conf.mtu,
      addresses,
    });
  } finally {
    release();
  }
}

async function del(ctx: PluginContext, args: CmdArgs): Promise<void> {
  const conf = parseSwitchyardConf(args.config);
  const attachment = { containerId: args.containerId, ifName: args.ifName };
  // Addresses first: they must be freed even when everything else is already gone.
  const opened = ctx.openStore(conf.network, conf.dataDir);
  try {
    new Allocator([], opened.store).release(attachment);
  } finally {
    opened.close();
  }
  const { nl, release } = ctx.hostRtnl();
  try {
    const podNetns = args.netns ? ctx.podNetnsPath(args.netns) : undefined;
    const hostVeth = hostVethName(args.containerId, args.ifName);
    await deletePodInterface(nl, hostVeth, podNetns, args.ifName, ctx.deleteHostLink);
  } finally {
    release();
  }
  // The runtime passes the same capability arguments on DEL as on ADD; GC catches any DEL that
  // came without them. Their shape is not checked here: a DEL must not fail on it.
  if ((args.config.runtimeConfig?.portMappings?.length ?? 0) > 0) {
    const owners = new Set([hostPortOwner(args.containerId, args.ifName)]);
    await removeHostPorts(ctx.hostNetns, { owners });
  }
}

async function status(ctx: PluginContext, args: CmdArgs): Promise<void> {
  const conf = parseSwitchyardConf(args.config);
  let ipam: IpamConfig;
  try {
    ipam = parseIpamConfig(args.config);
  } catch (e) {
    if (e instanceof IpamConfigError) {
      throw new PluginNotAvailableError('the node has no pod address range yet', e.message);
    }
    throw e;
  }
  const opened = ctx.openStore(conf.network, conf.dataDir);
  try {
    if (!new Allocator(ipam.rangeSets, opened.store).hasFreeAddresses()) {
      throw new PluginNotAvailableError(
        'no free pod addresses',
        `every address of a range of network ${conf.network} is allocated`,
      );
    }
  } finally {
    opened.close();
  }
}

async function gc(ctx: PluginContext, args: CmdArgs): Promise<void> {
  const conf = parseSwitchyardConf(args.config);
  const valid = args.config['cni.dev/valid-attachments'];
  if (!Array.isArray(valid)) {
    // Absent is not "empty": freeing every address on a malformed request would be a disaster.
    throw new InvalidNetworkConfigError('GC needs "cni.dev/valid-attachments" (a list)');
  }
  const opened = ctx.openStore(conf.network, conf.dataDir);
  try {
    collectGarbage(opened.store, valid);
  } finally {
    opened.close();
  }
  const keep = new Set(valid.map((v) => hostPortOwner(v.containerID, v.ifname)));
  await removeHostPorts(ctx.hostNetns, { keep });
}

function loadIpam(args: CmdArgs): IpamConfig {
  const cniArgs = parseCniArgs(args.args);
  checkCniArgs(cniArgs, KNOWN_CNI_ARGS);
  return parseIpamConfig(args.config, cniArgs.get('IP'));
}

function podAddresses(allocated: readonly AllocatedAddress[]): PodAddress[] {
  return allocated.map(({ address, range }) => ({
    cidr: `${address.toString()}/${range.subnet.prefix}`,
    gateway: range.gateway.toString(),
  }));
}

function bridgeSpec(conf: SwitchyardConf, ipam: IpamConfig): BridgeSpec {
  return {
    name: conf.bridge,
    mtu: conf.mtu,
    gateways: ipam.rangeSets.map((set) => {
      const range = set.ranges[0]!;
      return `${range.gateway.toString()}/${range.subnet.prefix}`;
    }),
  };
}

/** The bridge, checked once per context (the agent remembers; a vanished bridge is re-made). */
async function readyBridge(
  ctx: PluginContext,
  nl: Parameters<typeof ensureBridge>[0],
  spec: BridgeSpec,
): Promise<Link> {
  const key = bridgeKey(ctx.hostNetns, spec);
  if (ctx.readyBridges.has(key)) {
    const link = await getLink(nl, spec.name);
    if (link?.kind === 'bridge' && link.up) return link;
    ctx.readyBridges.delete(key);
  }
  const link = await ensureBridge(nl, ctx.hostNetns, spec);
  ctx.readyBridges.add(key);
  return link;
}

/** Runs a verb, turning the libraries' typed errors into CNI errors with their codes. */
async function cni<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof IpamError) throw cniErrorFor(e.cniCode, e.message);
    if (e instanceof NetnsError) {
      throw new InvalidEnvironmentError('CNI_NETNS cannot be used', e.message);
    }
    throw e;
  }
}
