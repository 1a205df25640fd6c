import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import { NetlinkError } from './errors.js';
import { Limiter } from './limiter.js';
import { inNetns, netnsPath, type NetnsTarget } from './netns-enter.js';

export interface RtnlOptions {
  /** Operate inside this namespace instead of the caller's. */
  netns?: NetnsTarget;
}

/** How many requests went to the kernel; a reconciler's "changed nothing" is `writes === 0`. */
export interface RtnlCounters {
  reads: number;
  writes: number;
}

/**
 * An rtnetlink socket bound to one network namespace for its whole life. The typed operations in
 * link.ts, address.ts, route.ts, neighbour.ts and fdb.ts all take one of these.
 */
export class Rtnl {
  readonly counters: RtnlCounters = { reads: 0, writes: 0 };
  private closed = false;
  // Replies that overflow the socket's receive buffer make netlink@0.3.0's addon abort the whole
  // process (its poll error path throws in C++), so the number of unread replies is bounded:
  // one read at a time (dumps are flow-controlled by the kernel, but a GET reply or an EBUSY for
  // a second concurrent dump is not), and a few dozen small write acknowledgements.
  private readonly reads = new Limiter(1);
  private readonly writes = new Limiter(32);

  private constructor(
    private readonly socket: RtNetlinkSocket,
    /** The namespace path, or undefined for the caller's own namespace. */
    readonly netns: string | undefined,
  ) {
    // A receive error (ENOBUFS: replies overflowed the buffer) is emitted as 'error'; with no
    // listener it would be thrown inside the addon's callback and abort the process. The dropped
    // replies will never come, so every request still waiting fails instead of hanging.
    socket.socket.on('error', (error) => {
      const waiting = (socket.socket as unknown as { requests: Map<number, (e: Error) => void> })
        .requests;
      for (const reject of [...waiting.values()]) reject(error);
    });
  }

  static open(options: RtnlOptions = {}): Rtnl {
    if (options.netns === undefined) return new Rtnl(createRtNetlink(), undefined);
    const path = netnsPath(options.netns);
    // The kernel binds a socket to the namespace of the thread that creates it.
    return new Rtnl(
      inNetns(path, () => createRtNetlink()),
      path,
    );
  }

  /** A dump or get; `operation` names it in errors. */
  async read<T>(operation: string, fn: (socket: RtNetlinkSocket) => Promise<T>): Promise<T> {
    this.counters.reads++;
    return this.reads.run(() => this.call(operation, fn));
  }

  /** A request that changes kernel state. */
  async write<T>(operation: string, fn: (socket: RtNetlinkSocket) => Promise<T>): Promise<T> {
    this.counters.writes++;
    return this.writes.run(() => this.call(operation, fn));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.socket.close();
  }

  private async call<T>(
    operation: string,
    fn: (socket: RtNetlinkSocket) => Promise<T>,
  ): Promise<T> {
    if (this.closed) throw new NetlinkError(operation, 'ECLOSED');
    try {
      return await fn(this.socket);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const code = (e as { code?: unknown }).code;
      const errno = typeof code === 'string' ? code : /rejected: (\w+)/.exec(message)?.[1];
      // Anything else (a bug, a bad argument) keeps its own type.
      if (errno === undefined) throw e;
      throw new NetlinkError(operation, errno);
    }
  }
}

/** Runs the async steps with at most `depth` requests in flight: the kernel answers in order, so
 * pipelining saves a round trip per request when a reconciler applies hundreds of changes. */
export async function pipelined<T>(
  items: readonly T[],
  depth: number,
  step: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await step(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(depth, items.length) }, worker));
}
