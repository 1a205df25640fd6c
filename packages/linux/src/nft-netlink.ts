import { getSystemErrorName } from 'node:util';
import { RawNetlinkSocket } from 'netlink';
import { NetlinkError } from './errors.js';
import { Limiter } from './limiter.js';
import { inNetns, netnsPath, type NetnsTarget } from './netns-enter.js';
import {
  NETLINK_NETFILTER,
  NEWGEN_TYPE,
  NEWRULE_TYPE,
  NLMSG_DONE,
  NLMSG_ERROR,
  type NftElementOp,
  type NftRuleInfo,
  type NftTableRef,
  type NlMessage,
  batchBegin,
  batchEnd,
  elementMessages,
  encodeMessage,
  getGeneration,
  getRulesDump,
  parseError,
  parseMessages,
  parseRule,
} from './nft-netlink-codec.js';

export interface NftNetlinkOptions {
  /** Program this namespace instead of the caller's. */
  netns?: NetnsTarget;
  /** Give up on a request after this long (the socket is then unusable: close it). */
  timeoutMs?: number;
}

// A batch is one datagram, limited by the send buffer; replies are one ack per message. Both
// buffers are capped by net.core.{w,r}mem_max (4 MiB here; the kernel doubles the value).
const BUFFER_BYTES = 4 << 20;

/**
 * An nf_tables netlink socket bound to one network namespace: element changes without running
 * `nft` (no process, no fetch of the whole ruleset first) and cheap reads of one chain.
 * One request at a time; each write is a single batch the kernel applies all or nothing.
 */
export class NftNetlink {
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly queue = new Limiter(1);
  private collector: ((msgs: NlMessage[]) => void) | undefined;
  private failer: ((e: Error) => void) | undefined;
  private closed = false;

  private constructor(
    private readonly socket: RawNetlinkSocket,
    private readonly timeoutMs: number,
  ) {
    socket.on('message', (buf) => this.collector?.(parseMessages(buf)));
    // ENOBUFS (replies lost) and the like: the request waiting for them fails instead of hanging.
    socket.on('error', (e) => this.failer?.(e));
    socket.unref();
  }

  static open(options: NftNetlinkOptions = {}): NftNetlink {
    const create = (): RawNetlinkSocket =>
      new RawNetlinkSocket(NETLINK_NETFILTER, {
        recvBufferSize: BUFFER_BYTES,
        sendBufferSize: BUFFER_BYTES,
      });
    // The kernel binds a socket to the namespace of the thread that creates it.
    const socket =
      options.netns === undefined ? create() : inNetns(netnsPath(options.netns), create);
    return new NftNetlink(socket, options.timeoutMs ?? 30_000);
  }

  /**
   * Adds and deletes set/map elements of one table in one atomic batch, in the order given (so a
   * delete and an add of the same key replace it). Every message is acknowledged; when the kernel
   * refuses any of them it applies none and this rejects with a NetlinkError naming the first
   * refused operation and its errno (ENOENT: no such table/set/element, EEXIST: a different
   * element has that key, ...). A value that cannot be encoded throws before anything is sent.
   */
  async applyElements(table: NftTableRef, ops: readonly NftElementOp[]): Promise<void> {
    const messages = elementMessages(table, ops);
    if (messages.length === 0) return;
    const what = `${ops[0]!.op} element ${table.family} ${table.name}`;
    await this.queue.run(async () => {
      const batch = [batchBegin(), ...messages, batchEnd()];
      const seqs = batch.map(() => this.nextSeq());
      const barrier = this.nextSeq();
      const replies = new Map<number, number>();
      await this.exchange(
        what,
        [
          Buffer.concat(batch.map((m, i) => encodeMessage(m, seqs[i]!))),
          encodeMessage(getGeneration(), barrier),
        ],
        (m) => {
          if (m.type === NLMSG_ERROR) {
            const { errno, seq } = parseError(m);
            if (seq === barrier)
              return errno === 0 || new NetlinkError('get generation', errnoName(errno));
            replies.set(seq, errno);
            return false;
          }
          // The kernel handled the batch inside our sendmsg, so every reply to it is queued
          // before the generation reply.
          return m.type === NEWGEN_TYPE && m.seq === barrier;
        },
      );
      for (let i = 0; i < batch.length; i++) {
        const errno = replies.get(seqs[i]!);
        if (errno !== undefined && errno !== 0)
          throw new NetlinkError(batch[i]!.what, errnoName(errno));
      }
      for (let i = 1; i < batch.length - 1; i++) {
        if (replies.get(seqs[i]!) !== 0) throw new NetlinkError(batch[i]!.what, 'ENOACK');
      }
    });
  }

  /** The rules of one chain (empty when the table or chain does not exist). */
  async listRules(table: NftTableRef, chain: string): Promise<NftRuleInfo[]> {
    const request = getRulesDump(table, chain);
    return this.queue.run(async () => {
      const seq = this.nextSeq();
      const rules: NftRuleInfo[] = [];
      await this.exchange(request.what, [encodeMessage(request, seq)], (m) => {
        if (m.seq !== seq) return false;
        if (m.type === NEWRULE_TYPE) rules.push(parseRule(m));
        if (m.type === NLMSG_ERROR) {
          const { errno } = parseError(m);
          // A missing table or chain: nothing to list.
          if (errno === 0 || errnoName(errno) === 'ENOENT') return true;
          return new NetlinkError(request.what, errnoName(errno));
        }
        return m.type === NLMSG_DONE;
      });
      return rules;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failer?.(new NetlinkError('nftables netlink', 'ECLOSED'));
    this.socket.close();
  }

  private nextSeq(): number {
    this.seq = (this.seq % 0x7fffffff) + 1;
    return this.seq;
  }

  /**
   * Sends the datagrams and feeds every reply to `onReply` until it returns true (done) or an
   * Error (fail); a send error, socket error or the timeout fails too.
   */
  private exchange(
    what: string,
    datagrams: Buffer[],
    onReply: (m: NlMessage) => boolean | Error,
  ): Promise<void> {
    if (this.closed) return Promise.reject(new NetlinkError(what, 'ECLOSED'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new NetlinkError(what, 'ETIMEDOUT')), this.timeoutMs);
      const finish = (e?: Error): void => {
        clearTimeout(timer);
        this.collector = undefined;
        this.failer = undefined;
        this.socket.unref();
        if (e) reject(e);
        else resolve();
      };
      this.collector = (msgs) => {
        for (const m of msgs) {
          const r = onReply(m);
          if (r === false) continue;
          finish(r === true ? undefined : r);
          return;
        }
      };
      this.failer = (e) =>
        finish(e instanceof NetlinkError ? e : new NetlinkError(what, codeOf(e)));
      this.socket.ref();
      // One after the other: the barrier of applyElements must reach the kernel after the batch.
      const send = (i: number): void => {
        const d = datagrams[i];
        if (d === undefined) return;
        this.socket.send(d, {}, (e) => {
          if (e) this.failer?.(e);
          else send(i + 1);
        });
      };
      send(0);
    });
  }
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

function codeOf(e: Error): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : e.message;
}
