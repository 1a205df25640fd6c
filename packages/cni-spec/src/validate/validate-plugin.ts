import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createNetns, sweepStaleNetns, type Netns } from '@switchyard/linux';
import { isObject } from '../types/fields.js';
import type { Result } from '../types/result.js';
import { parseResult } from '../version/convert.js';
import { compareVersions, isSupportedVersion, versionAtLeast } from '../version/versions.js';
import { CheckList, type CheckResult } from './checks.js';
import { defaultValidateConfig } from './default-config.js';
import { heldAddresses } from './host-local-leaks.js';
import { addresses, linkNames, vethNames } from './netns-state.js';
import { PluginInvoker } from './plugin-invoker.js';

export interface ValidateOptions {
  /** Path of the plugin binary; its file name is the plugin type. */
  pluginPath: string;
  /** The plugin config to test with (as the plugin gets it on stdin); default: host-local IPAM. */
  config?: Record<string, unknown>;
  /** Extra directories for delegates (IPAM); the plugin's own directory is always searched. */
  cniPath?: string[];
  /** CNI_IFNAME for the attachments (default eth0). */
  ifName?: string;
}

export interface ValidationReport {
  plugin: string;
  cniVersion: string;
  supportedVersions: string[];
  checks: CheckResult[];
  ok: boolean;
}

/**
 * Runs a plugin binary through the conformance checks, in a throwaway node namespace (where the
 * plugin runs, so host-side interfaces and rules land there) and throwaway pod namespaces, all
 * removed afterwards together with the temporary dataDir.
 */
export async function validatePlugin(opts: ValidateOptions): Promise<ValidationReport> {
  await sweepStaleNetns();
  const checks = new CheckList();
  const tmp = await mkdtemp(join(tmpdir(), 'sy-validate-'));
  const namespaces: Netns[] = [];
  const newNs = async (label: string): Promise<Netns> => {
    const ns = await createNetns(label);
    namespaces.push(ns);
    return ns;
  };
  const type = basename(opts.pluginPath);
  const path = [dirname(opts.pluginPath), ...(opts.cniPath ?? [])];
  const ifName = opts.ifName ?? 'eth0';
  const ids = {
    main: 'sy-validate-1',
    gone: 'sy-validate-2',
    gcDrop: 'sy-validate-3',
    gcKeep: 'sy-validate-4',
  };
  let supported: string[] = ['0.1.0'];
  let version = '0.1.0';
  try {
    const node = await newNs('valnode');
    const plugin = new PluginInvoker(opts.pluginPath, path, ifName, node.name, ids.main);

    // VERSION
    await checks.run('VERSION answers', async () => {
      const info = JSON.parse(
        (await plugin.call({ verb: 'VERSION', conf: { cniVersion: '1.1.0' } })).toString(),
      ) as unknown;
      if (!isObject(info) || !Array.isArray(info.supportedVersions)) {
        throw new Error(`no supportedVersions in ${JSON.stringify(info)}`);
      }
      supported = info.supportedVersions.map(String);
      const unknown = supported.filter((v) => !isSupportedVersion(v));
      return `supports ${supported.join(', ')}${unknown.length ? ` (unknown to us: ${unknown.join(', ')})` : ''}`;
    });
    const ours = supported.filter(isSupportedVersion).sort(compareVersions);
    const conf = opts.config ?? defaultValidateConfig(type, ours.at(-1) ?? '0.1.0', tmp);
    version = typeof conf.cniVersion === 'string' ? conf.cniVersion : '0.1.0';
    const network = typeof conf.name === 'string' ? conf.name : '';
    const ipam = isObject(conf.ipam) ? conf.ipam : undefined;
    // Any IPAM with a `dataDir` is inspected as a host-local style store (drop-ins such as
    // switchyard-ipam share the format); host-local without one uses its default location.
    const dataDir =
      typeof ipam?.dataDir === 'string'
        ? ipam.dataDir
        : ipam?.type === 'host-local'
          ? '/var/lib/cni/networks'
          : undefined;
    const leaks = async (idList: string[]): Promise<string[]> =>
      dataDir ? heldAddresses(dataDir, network, idList) : [];

    // Input validation
    await checks.run('missing env -> code 4', () =>
      plugin.expectError(
        { verb: 'ADD', conf, omit: ['CNI_CONTAINERID', 'CNI_NETNS'] },
        4,
        /CNI_CONTAINERID|CNI_NETNS/,
      ),
    );
    const pod = await newNs('valpod');
    await checks.run('garbage stdin -> code 6', () =>
      plugin.expectError({ verb: 'ADD', conf: '{this is not json', netns: pod.path }, 6),
    );
    await checks.run('unsupported version -> code 1', () =>
      plugin.expectError(
        { verb: 'ADD', conf: { ...conf, cniVersion: '99.0.0' }, netns: pod.path },
        1,
      ),
    );

    // ADD / CHECK / DEL
    // Shared host-side infrastructure (a bridge) may stay after DEL; per-attachment veths may not.
    // After the first DEL the node's links are the baseline for the later checks.
    let nodeLinks = await linkNames(node);
    const nodeVeths = await vethNames(node);
    let raw: unknown;
    const added = await checks.run(`ADD (${version})`, async () => {
      raw = JSON.parse(
        (await plugin.call({ verb: 'ADD', conf, netns: pod.path })).toString(),
      ) as unknown;
      if (!isObject(raw) || raw.cniVersion !== version) {
        throw new Error(
          `result cniVersion is ${JSON.stringify(isObject(raw) ? raw.cniVersion : raw)}, config is ${version}`,
        );
      }
      return describeAdd(parseResult(raw, version), pod);
    });
    if (added) {
      await checks.run('ADD result matches the namespace', async () => {
        const result = parseResult(raw, version);
        const links = await linkNames(pod);
        const have = await addresses(pod, true);
        for (const itf of result.interfaces ?? []) {
          if (itf.sandbox === pod.path && !links.includes(itf.name)) {
            throw new Error(`interface ${itf.name} is in the result but not in the namespace`);
          }
        }
        for (const ip of result.ips ?? []) {
          const itf = ip.interface === undefined ? undefined : result.interfaces?.[ip.interface];
          if (itf?.sandbox !== pod.path) continue;
          if (
            !have.includes(
              `${itf.name} ${ip.address.replace(/\/\d+$/, '')}/${ip.address.split('/')[1]}`,
            )
          ) {
            throw new Error(
              `address ${ip.address} on ${itf.name} is in the result but not in the namespace`,
            );
          }
        }
        return `namespace has ${have.join(', ') || 'no addresses'}`;
      });
    }
    const withPrev = (c: object): object =>
      added && versionAtLeast(version, '0.4.0') ? { ...c, prevResult: raw } : c;
    if (!added) checks.skip('CHECK', 'ADD failed');
    else if (!versionAtLeast(version, '0.4.0'))
      checks.skip('CHECK', `config version ${version} has no CHECK`);
    else
      await checks.run(
        'CHECK',
        async () =>
          void (await plugin.call({ verb: 'CHECK', conf: withPrev(conf), netns: pod.path })),
      );

    await checks.run('DEL', async () => {
      await plugin.call({ verb: 'DEL', conf: withPrev(conf), netns: pod.path });
      const left = await addresses(pod);
      if (left.length) throw new Error(`addresses left in the pod namespace: ${left.join(', ')}`);
      const veths = diff(await vethNames(node), nodeVeths);
      if (veths.length) throw new Error(`host-side veths left: ${veths.join(', ')}`);
      const held = await leaks([ids.main]);
      if (held.length) throw new Error(`IPAM still holds ${held.join(', ')}`);
      const kept = diff(await linkNames(node), nodeLinks);
      nodeLinks = await linkNames(node);
      return [
        dataDir ? `${dataDir}/${network} holds no address for the container` : 'succeeded',
        kept.length ? `shared host interfaces kept: ${kept.join(', ')}` : 'no host interfaces left',
      ].join('; ');
    });
    await checks.run('DEL again (idempotent)', async () => {
      await plugin.call({ verb: 'DEL', conf: withPrev(conf), netns: pod.path });
    });
    await checks.run('DEL with the namespace gone', async () => {
      const gone = await newNs('valgone');
      await plugin.call({ verb: 'ADD', conf, containerId: ids.gone, netns: gone.path });
      await gone.delete();
      await plugin.call({ verb: 'DEL', conf, containerId: ids.gone, netns: gone.path });
      const held = await leaks([ids.gone]);
      if (held.length) throw new Error(`IPAM still holds ${held.join(', ')}`);
      const extra = diff(await linkNames(node), nodeLinks);
      if (extra.length) throw new Error(`host-side interfaces left: ${extra.join(', ')}`);
      return 'DEL succeeded after the namespace was deleted; nothing left held';
    });

    // STATUS and GC (1.1.0)
    const claims11 = supported.includes('1.1.0');
    const why = `plugin supports up to ${ours.at(-1) ?? 'nothing we know'}; STATUS and GC need 1.1.0`;
    const conf11 = { ...conf, cniVersion: '1.1.0' };
    if (!claims11) {
      checks.skip('STATUS', why);
      checks.skip('GC releases invalid attachments', why);
    } else {
      await checks.run(
        'STATUS',
        async () => void (await plugin.call({ verb: 'STATUS', conf: conf11 })),
      );
      await checks.run('GC releases invalid attachments', async () => {
        const drop = await newNs('valgc');
        const keep = await newNs('valgc');
        await plugin.call({ verb: 'ADD', conf: conf11, containerId: ids.gcDrop, netns: drop.path });
        await plugin.call({ verb: 'ADD', conf: conf11, containerId: ids.gcKeep, netns: keep.path });
        // Only a plugin that allocated from the store can be judged on what GC released.
        const heldBefore = await leaks([ids.gcDrop, ids.gcKeep]);
        await plugin.call({
          verb: 'GC',
          conf: {
            ...conf11,
            'cni.dev/valid-attachments': [{ containerID: ids.gcKeep, ifname: ifName }],
          },
        });
        const dropped = await leaks([ids.gcDrop]);
        const kept = await leaks([ids.gcKeep]);
        await plugin.call({ verb: 'DEL', conf: conf11, containerId: ids.gcDrop, netns: drop.path });
        await plugin.call({ verb: 'DEL', conf: conf11, containerId: ids.gcKeep, netns: keep.path });
        if (dropped.length) {
          throw new Error(`GC left ${dropped.join(', ')} held for an invalid attachment`);
        }
        if (heldBefore.some((h) => h.includes(ids.gcKeep)) && !kept.length) {
          throw new Error('GC released the address of a valid attachment');
        }
        return heldBefore.length
          ? 'released the invalid attachment, kept the valid one'
          : 'GC succeeded (the plugin held no addresses in a host-local store)';
      });
    }

    await checks.run('nothing leaked', async () => {
      const held = await leaks(Object.values(ids));
      const extra = diff(await linkNames(node), nodeLinks);
      const podLeft = await addresses(pod);
      const problems = [
        ...held.map((h) => `IPAM holds ${h}`),
        ...extra.map((l) => `host-side interface ${l}`),
        ...podLeft.map((a) => `pod address ${a}`),
      ];
      if (problems.length) throw new Error(problems.join('; '));
      return dataDir
        ? `no addresses held in ${dataDir}/${network}, no interfaces left`
        : 'no interfaces or addresses left';
    });
  } finally {
    for (const ns of namespaces) await ns.delete();
    await rm(tmp, { recursive: true, force: true });
  }
  return {
    plugin: opts.pluginPath,
    cniVersion: version,
    supportedVersions: supported,
    checks: checks.results,
    ok: checks.ok,
  };
}

function diff(now: readonly string[], before: readonly string[]): string[] {
  return now.filter((n) => !before.includes(n));
}

function describeAdd(result: Result, pod: Netns): string {
  const inPod = (result.interfaces ?? []).filter((i) => i.sandbox === pod.path).map((i) => i.name);
  const ips = (result.ips ?? []).map((i) => i.address);
  return `interfaces in pod: ${inPod.join(', ') || 'none'}; ips: ${ips.join(', ') || 'none'}`;
}
