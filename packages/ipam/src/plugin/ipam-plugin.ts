import {
  type CmdArgs,
  InvalidNetworkConfigError,
  PluginNotAvailableError,
  type Result,
  checkCniArgs,
  cniErrorFor,
  parseCniArgs,
} from '@switchyard/cni-spec';
import { Allocator } from '../allocator.js';
import { DiskStore } from '../disk-store.js';
import { IpamError } from '../errors.js';
import { collectGarbage } from '../gc.js';
import { type IpamConfig, parseIpamConfig } from '../ipam-config.js';
import { readResolvConf } from '../resolv-conf.js';

/**
 * The `switchyard-ipam` verbs: host-local's configuration and on-disk store, plus CNI 1.1 STATUS
 * and GC. DEL and GC need only the network name and `dataDir`, so they still release addresses
 * when the ranges in the config have since become invalid (host-local refuses to).
 */
export async function add(args: CmdArgs): Promise<Result> {
  return cni(() => {
    const config = load(args);
    const dns = config.resolvConf ? readResolvConf(config.resolvConf) : undefined;
    const store = open(config);
    try {
      const allocated = new Allocator(config.rangeSets, store).allocate({
        containerId: args.containerId,
        ifName: args.ifName,
        requested: config.requested,
      });
      const result: Result = {
        cniVersion: '1.1.0',
        ips: allocated.map(({ address, range }) => ({
          address: `${address.toString()}/${range.subnet.prefix}`,
          gateway: range.gateway.toString(),
        })),
      };
      if (config.routes.length > 0) result.routes = config.routes;
      if (dns) result.dns = dns;
      return result;
    } finally {
      store.close();
    }
  });
}

export async function check(args: CmdArgs): Promise<void> {
  cni(() => {
    const config = load(args);
    const store = open(config);
    try {
      new Allocator(config.rangeSets, store).check(attachment(args));
    } finally {
      store.close();
    }
  });
}

export async function del(args: CmdArgs): Promise<void> {
  cni(() => {
    const store = openForRelease(args);
    try {
      new Allocator([], store).release(attachment(args));
    } finally {
      store.close();
    }
  });
}

export async function status(args: CmdArgs): Promise<void> {
  cni(() => {
    const config = load(args);
    const store = open(config);
    try {
      if (!new Allocator(config.rangeSets, store).hasFreeAddresses()) {
        throw new PluginNotAvailableError(
          'no free addresses',
          `every address of some range set of network ${config.name} is allocated`,
        );
      }
    } finally {
      store.close();
    }
  });
}

export async function gc(args: CmdArgs): Promise<void> {
  cni(() => {
    const valid = args.config['cni.dev/valid-attachments'];
    if (!Array.isArray(valid)) {
      // Absent is not "empty": freeing every address on a malformed request would be a disaster.
      throw new InvalidNetworkConfigError('GC needs "cni.dev/valid-attachments" (a list)');
    }
    const store = openForRelease(args);
    try {
      collectGarbage(store, valid);
    } finally {
      store.close();
    }
  });
}

function load(args: CmdArgs): IpamConfig {
  const cniArgs = parseCniArgs(args.args);
  checkCniArgs(cniArgs, ['IP']);
  return parseIpamConfig(args.config, cniArgs.get('IP'));
}

function open(config: IpamConfig): DiskStore {
  return new DiskStore(config.name, config.dataDir ? { dataDir: config.dataDir } : {});
}

/** The store from the config's name and `ipam.dataDir` alone, ranges unread. */
function openForRelease(args: CmdArgs): DiskStore {
  const dataDir = args.config.ipam?.dataDir;
  if (dataDir !== undefined && typeof dataDir !== 'string') {
    throw new InvalidNetworkConfigError('ipam.dataDir: must be a string');
  }
  return new DiskStore(args.config.name, dataDir ? { dataDir } : {});
}

function attachment(args: CmdArgs): { containerId: string; ifName: string } {
  return { containerId: args.containerId, ifName: args.ifName };
}

/** Runs a verb, turning this package's errors into CNI errors with their codes. */
function cni<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof IpamError) throw cniErrorFor(e.cniCode, e.message);
    throw e;
  }
}
