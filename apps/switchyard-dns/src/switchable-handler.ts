import { QueryHandler, type HandlerOptions, type QueryContext } from '@switchyard/dns';

/**
 * A QueryHandler whose resolver and forwarder can be replaced while the sockets keep running: a
 * Corefile reload swaps in a handler built from the new config, and queries already in flight
 * finish on the old one. (The DNS servers take a QueryHandler, so this extends it.)
 */
export class SwitchableHandler extends QueryHandler {
  private current: QueryHandler;

  constructor(options: HandlerOptions) {
    super(options);
    this.current = new QueryHandler(options);
  }

  switchTo(options: HandlerOptions): void {
    this.current = new QueryHandler(options);
  }

  override handle(request: Buffer, ctx: QueryContext): Promise<Buffer | undefined> {
    return this.current.handle(request, ctx);
  }
}
