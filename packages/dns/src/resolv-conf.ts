import { readFile } from 'node:fs/promises';
import { ResolvConfError } from './errors.js';
import { canonicalIp } from './ip.js';

export interface Upstream {
  host: string;
  port: number;
}

export interface ResolvConf {
  nameservers: Upstream[];
  search: string[];
  /** `options timeout:N` in milliseconds, when present. */
  timeoutMs?: number;
  /** `options attempts:N`, when present. */
  attempts?: number;
  /** `options rotate`: spread queries across nameservers instead of always starting at the first. */
  rotate: boolean;
}

/**
 * Parses resolv.conf text the way glibc reads it: `nameserver`, `search`/`domain` and the
 * `timeout`, `attempts` and `rotate` options; comments start with `#` or `;`; other keywords are
 * ignored. A nameserver that is not an IP address is a ResolvConfError naming the line.
 */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], rotate: false };
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) return;
    const [keyword, ...args] = line.split(/\s+/);
    switch (keyword) {
      case 'nameserver': {
        const ip = canonicalIp((args[0] ?? '').split('%')[0] ?? '');
        if (!ip || args.length !== 1)
          throw new ResolvConfError(
            `nameserver needs one IP address, got "${args.join(' ')}"`,
            i + 1,
          );
        conf.nameservers.push({ host: ip, port: 53 });
        break;
      }
      case 'search':
      case 'domain':
        conf.search = args.map((d) => d.replace(/\.$/, ''));
        break;
      case 'options':
        for (const opt of args) {
          const [name, value] = opt.split(':');
          const n = Number(value);
          if (name === 'timeout' && Number.isInteger(n) && n > 0) conf.timeoutMs = n * 1000;
          else if (name === 'attempts' && Number.isInteger(n) && n > 0) conf.attempts = n;
          else if (name === 'rotate') conf.rotate = true;
        }
        break;
    }
  });
  return conf;
}

export async function readResolvConf(path = '/etc/resolv.conf'): Promise<ResolvConf> {
  return parseResolvConf(await readFile(path, 'utf8'));
}

/** "1.2.3.4", "1.2.3.4:5353", "::1" or "[::1]:5353" as an upstream (port 53 by default). */
export function parseUpstream(text: string): Upstream {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const v4port = /^([\d.]+):(\d+)$/.exec(text);
  const [host, port] = bracket
    ? [bracket[1], bracket[2]]
    : v4port
      ? [v4port[1], v4port[2]]
      : [text];
  const ip = canonicalIp(host ?? '');
  const p = port === undefined ? 53 : Number(port);
  if (!ip || !Number.isInteger(p) || p < 1 || p > 65535)
    throw new ResolvConfError(`not an upstream address: "${text}"`, 0);
  return { host: ip, port: p };
}
