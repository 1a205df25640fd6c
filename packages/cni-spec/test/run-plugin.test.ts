import { describe, expect, it } from 'vitest';
import {
  TryAgainLaterError,
  runPlugin,
  type CmdArgs,
  type PluginHandlers,
  type PluginInfo,
} from '../src/index.js';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | undefined;
  calls: string[];
}

const ADD_ENV = {
  CNI_COMMAND: 'ADD',
  CNI_CONTAINERID: 'ctr-1',
  CNI_NETNS: '/run/netns/pod',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
  CNI_ARGS: 'K8S_POD_NAME=web',
};

const conf = (v: string, extra: object = {}): string =>
  JSON.stringify({ cniVersion: v, name: 'net', type: 'test', custom: { keep: true }, ...extra });

/** Handlers that record what they saw and answer with a 1.x result. */
function recorder(calls: string[], seen: CmdArgs[] = []): PluginHandlers {
  return {
    add: async (a) => {
      calls.push('add');
      seen.push(a);
      return {
        cniVersion: '1.1.0',
        interfaces: [{ name: a.ifName, sandbox: a.netns, mtu: 1500 }],
        ips: [{ address: '10.9.0.2/24', gateway: '10.9.0.1', interface: 0 }],
        routes: [{ dst: '0.0.0.0/0', gw: '10.9.0.1' }],
      };
    },
    del: async () => void calls.push('del'),
    check: async () => void calls.push('check'),
    status: async () => void calls.push('status'),
    gc: async (a) => void calls.push(`gc:${JSON.stringify(a.config['cni.dev/valid-attachments'])}`),
  };
}

async function invoke(
  env: Record<string, string>,
  stdin: string,
  handlers?: PluginHandlers,
  info: PluginInfo = {},
): Promise<Outcome> {
  const calls: string[] = [];
  let stdout = '';
  let stderr = '';
  const code = await runPlugin(handlers ?? recorder(calls), info, {
    env,
    readStdin: async () => Buffer.from(stdin),
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  });
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json, calls };
}

describe('plugin skeleton', () => {
  it('ADD passes env and config through and prints the result in the config version', async () => {
    const seen: CmdArgs[] = [];
    const calls: string[] = [];
    const out = await invoke(ADD_ENV, conf('0.4.0'), recorder(calls, seen));
    expect(out.code).toBe(0);
    expect(out.json).toEqual({
      cniVersion: '0.4.0',
      interfaces: [{ name: 'eth0', sandbox: '/run/netns/pod' }],
      ips: [{ version: '4', address: '10.9.0.2/24', gateway: '10.9.0.1', interface: 0 }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.9.0.1' }],
    });
    const a = seen[0]!;
    expect(a.containerId).toBe('ctr-1');
    expect(a.path).toEqual(['/opt/cni/bin', '/usr/lib/cni']);
    expect(a.args).toBe('K8S_POD_NAME=web');
    expect(a.config.custom).toEqual({ keep: true });
    expect(a.stdinData.toString()).toBe(conf('0.4.0'));

    const old = await invoke(ADD_ENV, conf('0.2.0'));
    expect(old.json).toEqual({
      cniVersion: '0.2.0',
      ip4: {
        ip: '10.9.0.2/24',
        gateway: '10.9.0.1',
        routes: [{ dst: '0.0.0.0/0', gw: '10.9.0.1' }],
      },
    });
  });

  it('names every missing variable with code 4', async () => {
    const out = await invoke({ CNI_COMMAND: 'ADD', CNI_IFNAME: 'eth0' }, conf('1.1.0'));
    expect(out.code).toBe(1);
    expect(out.json).toMatchObject({ code: 4 });
    expect(out.json?.msg).toBe(
      'required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_PATH] missing',
    );
    const del = await invoke({ CNI_COMMAND: 'DEL', CNI_PATH: '/x' }, conf('1.1.0'));
    expect(del.json?.msg).toBe('required env variables [CNI_CONTAINERID,CNI_IFNAME] missing');
    expect((await invoke({}, '')).json).toMatchObject({
      code: 4,
      msg: expect.stringContaining('CNI_COMMAND'),
    });
    expect((await invoke({ CNI_COMMAND: 'FROB' }, '')).json).toMatchObject({ code: 4 });
    expect(out.calls).toEqual([]);
  });

  it('rejects bad container IDs and interface names with code 4', async () => {
    const id = await invoke({ ...ADD_ENV, CNI_CONTAINERID: '../etc' }, conf('1.1.0'));
    expect(id.json).toMatchObject({ code: 4, msg: expect.stringContaining('"../etc"') });
    const ifn = await invoke({ ...ADD_ENV, CNI_IFNAME: 'a-very-long-ifname' }, conf('1.1.0'));
    expect(ifn.json).toMatchObject({ code: 4, msg: expect.stringContaining('15 bytes') });
  });

  it('refuses to ADD into the namespace the plugin itself runs in (code 8)', async () => {
    const out = await invoke({ ...ADD_ENV, CNI_NETNS: '/proc/self/ns/net' }, conf('1.1.0'));
    expect(out.json).toMatchObject({ code: 8, details: 'CNI_NETNS=/proc/self/ns/net' });
    expect(out.calls).toEqual([]);
    // DEL must still go through (it may be cleaning up after exactly such a mistake).
    const del = await invoke(
      { ...ADD_ENV, CNI_COMMAND: 'DEL', CNI_NETNS: '/proc/self/ns/net' },
      conf('1.1.0'),
    );
    expect(del).toMatchObject({ code: 0, calls: ['del'] });
  });

  it('answers garbage stdin with code 6 and a config without name with code 7', async () => {
    const garbage = await invoke(ADD_ENV, '{not json');
    expect(garbage.json).toMatchObject({ code: 6 });
    const noName = await invoke(ADD_ENV, JSON.stringify({ cniVersion: '1.0.0', type: 't' }));
    expect(noName.json).toMatchObject({ code: 7, msg: expect.stringContaining('name') });
  });

  it('refuses versions it does not support with code 1 listing what it supports', async () => {
    const out = await invoke(ADD_ENV, conf('1.1.0'), undefined, {
      supportedVersions: ['0.4.0', '1.0.0'],
    });
    expect(out.json).toEqual({
      cniVersion: '1.0.0',
      code: 1,
      msg: 'incompatible CNI versions',
      details: 'config is "1.1.0", plugin supports [0.4.0, 1.0.0]',
    });
    const check = await invoke({ ...ADD_ENV, CNI_COMMAND: 'CHECK' }, conf('0.3.1'));
    expect(check.json).toMatchObject({ code: 1, msg: 'config version does not allow CHECK' });
    const gc = await invoke({ CNI_COMMAND: 'GC', CNI_PATH: '/x' }, conf('1.0.0'));
    expect(gc.json).toMatchObject({ code: 1, msg: 'config version does not allow GC' });
    expect(check.calls).toEqual([]);
  });

  it('dispatches CHECK, DEL, STATUS and GC, printing nothing on success', async () => {
    for (const [env, call] of [
      [{ ...ADD_ENV, CNI_COMMAND: 'CHECK' }, 'check'],
      [{ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c', CNI_IFNAME: 'eth0', CNI_PATH: '/x' }, 'del'],
      [{ CNI_COMMAND: 'STATUS', CNI_PATH: '/x' }, 'status'],
    ] as const) {
      const out = await invoke(env, conf('1.1.0'));
      expect(out).toMatchObject({ code: 0, stdout: '', calls: [call] });
    }
    const gc = await invoke(
      { CNI_COMMAND: 'GC', CNI_PATH: '/x' },
      conf('1.1.0', { 'cni.dev/valid-attachments': [{ containerID: 'c1', ifname: 'eth0' }] }),
    );
    expect(gc.calls).toEqual(['gc:[{"containerID":"c1","ifname":"eth0"}]']);
  });

  it('VERSION answers in the asked version with the supported list', async () => {
    const out = await invoke({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"0.4.0"}');
    expect(out.json).toEqual({
      cniVersion: '0.4.0',
      supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
    });
    const none = await invoke({ CNI_COMMAND: 'VERSION' }, '', undefined, {
      supportedVersions: ['0.3.1', '1.0.0'],
    });
    expect(none.json).toEqual({ cniVersion: '1.0.0', supportedVersions: ['0.3.1', '1.0.0'] });
  });

  it('prints the about line on stderr when run by hand', async () => {
    const out = await invoke({}, '', undefined, { about: 'CNI plugin test v1' });
    expect(out).toMatchObject({ code: 0, stdout: '' });
    expect(out.stderr).toContain('CNI plugin test v1');
    expect(out.stderr).toContain('1.1.0');
  });

  it('passes typed errors through and turns exceptions into code 999 with the stack on stderr', async () => {
    const failing = (e: unknown): PluginHandlers => ({
      add: async () => {
        throw e;
      },
      del: async () => undefined,
    });
    const typed = await invoke(
      ADD_ENV,
      conf('1.0.0'),
      failing(new TryAgainLaterError('busy', 'lock held')),
    );
    expect(typed.json).toEqual({
      cniVersion: '1.0.0',
      code: 11,
      msg: 'busy',
      details: 'lock held',
    });
    const crash = await invoke(ADD_ENV, conf('1.0.0'), failing(new TypeError('x is undefined')));
    expect(crash.code).toBe(1);
    expect(crash.json).toEqual({ cniVersion: '1.0.0', code: 999, msg: 'x is undefined' });
    expect(crash.stdout).not.toContain('    at ');
    expect(crash.stderr).toContain('TypeError: x is undefined');
  });

  it('rejects an ADD result that is not a valid result (code 6 naming the field)', async () => {
    const out = await invoke(ADD_ENV, conf('1.0.0'), {
      add: async () => ({ cniVersion: '1.0.0', ips: [{ address: 'nowhere' }] }),
      del: async () => undefined,
    });
    expect(out.json).toMatchObject({ code: 6, msg: expect.stringContaining('ips[0].address') });
  });
});
