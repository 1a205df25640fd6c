import { AttrStream, type StreamData } from 'netlink';

/** Serializes an attribute stream (what netlink's format* helpers return) into one buffer, for
 * attributes the library types as raw Buffers (IFLA_LINKINFO, IFLA_INFO_DATA, VETH_INFO_PEER). */
export function attrsToBuffer(data: StreamData): Buffer {
  const stream = new AttrStream();
  stream.emit(data);
  return Buffer.concat(stream.bufs);
}

/** netlink reports enum fields as their key when it knows the value and as a number otherwise. */
export function enumValue(table: Record<string, string | number>, value: unknown): number {
  if (typeof value === 'number') return value;
  const n = typeof value === 'string' ? table[value] : undefined;
  return typeof n === 'number' ? n : 0;
}
