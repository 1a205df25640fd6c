/**
 * The wire format between the C shim (shim/switchyard-cni.c) and the agent; integers are
 * unsigned 32-bit big-endian:
 *   request:  "SYC1" | count | count x (len | "KEY=VALUE") | len | stdin
 *   response: "SYR1" | exit status | len | stdout | len | stderr
 */

export const MAX_REQUEST_BYTES = 16 << 20;

/** A malformed request; the connection is closed without an answer (the shim reports code 11). */
export class ShimProtocolError extends Error {
  override readonly name = 'ShimProtocolError';
}

export interface ShimRequest {
  /** The CNI_* variables the plugin was run with. */
  env: Record<string, string>;
  /** The shim's process id and network namespace inode, to find the caller's namespaces. */
  pid: number | undefined;
  netnsIno: bigint | undefined;
  stdin: Buffer;
}

export interface ShimResponse {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Decodes a request from the bytes received so far: undefined while incomplete, a
 * ShimProtocolError when it can never become valid.
 */
export function decodeRequest(data: Buffer): ShimRequest | undefined {
  if (data.length > MAX_REQUEST_BYTES) throw new ShimProtocolError('request too large');
  if (data.length < 8) return undefined;
  if (data.subarray(0, 4).toString('latin1') !== 'SYC1') {
    throw new ShimProtocolError('not a switchyard-cni request');
  }
  const count = data.readUInt32BE(4);
  let off = 8;
  const fields: Buffer[] = [];
  for (let i = 0; i <= count; i++) {
    if (data.length - off < 4) return undefined;
    const len = data.readUInt32BE(off);
    off += 4;
    if (len > MAX_REQUEST_BYTES) throw new ShimProtocolError(`field of ${len} bytes`);
    if (data.length - off < len) return undefined;
    fields.push(data.subarray(off, off + len));
    off += len;
  }
  if (off !== data.length) throw new ShimProtocolError('trailing bytes after the request');
  const stdin = fields.pop()!;
  const env: Record<string, string> = {};
  let pid: number | undefined;
  let netnsIno: bigint | undefined;
  for (const field of fields) {
    const text = field.toString('utf8');
    const eq = text.indexOf('=');
    if (eq <= 0) throw new ShimProtocolError(`bad variable ${JSON.stringify(text.slice(0, 40))}`);
    const key = text.slice(0, eq);
    const value = text.slice(eq + 1);
    if (key === '@pid') pid = positive(value);
    else if (key === '@netns_ino') netnsIno = /^[1-9]\d*$/.test(value) ? BigInt(value) : undefined;
    else if (key.startsWith('CNI_')) env[key] = value;
  }
  return { env, pid, netnsIno, stdin };
}

export function encodeResponse(r: ShimResponse): Buffer {
  const out = Buffer.from(r.stdout, 'utf8');
  const err = Buffer.from(r.stderr, 'utf8');
  const head = Buffer.alloc(12);
  head.write('SYR1', 0, 'latin1');
  head.writeUInt32BE(r.status >>> 0, 4);
  head.writeUInt32BE(out.length, 8);
  const errLen = Buffer.alloc(4);
  errLen.writeUInt32BE(err.length, 0);
  return Buffer.concat([head, out, errLen, err]);
}

function positive(text: string): number | undefined {
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
