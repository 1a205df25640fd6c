import type { Testbed } from '@switchyard/testbed';

/** One resource record as dig prints it. */
export interface DigRecord {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

/** What a `dig` run showed: the final reply's status, flags and sections, and dig's own notes. */
export interface DigResult {
  status: string;
  flags: string[];
  answers: DigRecord[];
  authorities: DigRecord[];
  /** dig said it retried over TCP after a truncated UDP reply. */
  retriedTcp: boolean;
  raw: string;
}

/**
 * Runs dig inside a pod's network namespace, with the pod's resolv.conf (search list, ndots:5),
 * so `+search` expands short names the way a ClusterFirst pod does. Without `server`, dig asks
 * the resolv.conf's nameserver, as the pod's own resolver would.
 */
export async function dig(
  tb: Testbed,
  pod: { namespace: string; name: string },
  server: string | undefined,
  args: readonly string[],
): Promise<DigResult> {
  const r = await tb.execInPod(pod.namespace, pod.name, [
    'dig',
    ...(server === undefined ? [] : [`@${server}`]),
    '+tries=1',
    '+time=2',
    ...args,
  ]);
  if (r.exitCode !== 0 && r.exitCode !== 9) {
    throw new Error(`dig ${args.join(' ')}: exit ${r.exitCode}: ${r.stdout}${r.stderr}`);
  }
  return parseDig(r.stdout);
}

/** Parses dig's default output (the last reply when it retried). */
export function parseDig(out: string): DigResult {
  const status = [...out.matchAll(/status: ([A-Z]+)/g)].at(-1)?.[1];
  if (!status) throw new Error(`dig printed no reply:\n${out}`);
  const flags = [...out.matchAll(/;; flags: ([a-z ]+);/g)].at(-1)?.[1]?.trim().split(' ') ?? [];
  // Only the final reply's sections: everything after its header.
  const last = out.lastIndexOf('->>HEADER<<-');
  const result: DigResult = {
    status,
    flags,
    answers: [],
    authorities: [],
    retriedTcp: out.includes('Truncated, retrying in TCP mode'),
    raw: out,
  };
  let section: DigRecord[] | undefined;
  for (const line of out.slice(last).split('\n')) {
    if (line.startsWith(';; ANSWER SECTION')) section = result.answers;
    else if (line.startsWith(';; AUTHORITY SECTION')) section = result.authorities;
    else if (line.startsWith(';;') || line.trim() === '')
      section = line.trim() ? undefined : section;
    else if (section && !line.startsWith(';')) {
      const [name, ttl, , type, ...data] = line.split(/\s+/);
      section.push({ name: name!, ttl: Number(ttl), type: type!, data: data.join(' ') });
    }
  }
  return result;
}
