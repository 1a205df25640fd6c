import { closeSync, openSync } from 'node:fs';
import { FlagsNew, formatAttribute, parseAttributes, rt } from 'netlink';
import { netnsPath, type NetnsTarget } from './netns-enter.js';
import type { Rtnl } from './rtnl.js';

// RTM_{NEW,GET}NSID attributes (linux/net_namespace.h).
const NETNSA_NSID = 1;
const NETNSA_FD = 3;
const NOT_ASSIGNED = -1;

/**
 * The id under which `nl`'s namespace knows `target`, assigning one if there is none (like
 * `ip netns set NAME auto`). Dumps with `targetNetnsid` read the target without entering it.
 */
export async function netnsId(nl: Rtnl, target: NetnsTarget): Promise<number> {
  const path = netnsPath(target);
  const fd = openSync(path, 'r');
  try {
    const current = await request(nl, `get nsid of ${path}`, rt.MessageType.GETNSID, fd);
    if (current !== NOT_ASSIGNED) return current;
    await request(nl, `assign nsid to ${path}`, rt.MessageType.NEWNSID, fd, NOT_ASSIGNED);
    return await request(nl, `get nsid of ${path}`, rt.MessageType.GETNSID, fd);
  } finally {
    closeSync(fd);
  }
}

async function request(
  nl: Rtnl,
  operation: string,
  type: number,
  fd: number,
  nsid?: number,
): Promise<number> {
  // struct rtgenmsg (one byte, padded to four) followed by attributes.
  const fdAttr = Buffer.alloc(4);
  fdAttr.writeUInt32LE(fd);
  const parts: Uint8Array[] = [
    Buffer.alloc(4),
    ...formatAttribute({ type: NETNSA_FD, data: fdAttr }),
  ];
  if (nsid !== undefined) {
    const id = Buffer.alloc(4);
    id.writeInt32LE(nsid);
    parts.push(...formatAttribute({ type: NETNSA_NSID, data: id }));
  }
  const write = type === rt.MessageType.NEWNSID;
  const run = write ? nl.write.bind(nl) : nl.read.bind(nl);
  const [messages] = await run(operation, (s) =>
    s.socket.request(type, parts, write ? { flags: FlagsNew.CREATE | FlagsNew.EXCL } : {}),
  );
  let result = NOT_ASSIGNED;
  for (const m of messages) {
    parseAttributes(m.data.subarray(4), (attr) => {
      if (attr.type === NETNSA_NSID) result = attr.data.readInt32LE(0);
    });
  }
  return result;
}
