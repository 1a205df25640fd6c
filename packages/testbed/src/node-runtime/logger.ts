export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

/** Structured logs: one JSON object per line on stdout (the daemon's log file). */
export function jsonLogger(component: string, base: Record<string, unknown> = {}): Logger {
  return (level, msg, fields) => {
    const line = { time: new Date().toISOString(), level, component, msg, ...base, ...fields };
    process.stdout.write(JSON.stringify(line) + '\n');
  };
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    // client-node ApiException carries the HTTP status and the Status body.
    const ex = e as Error & { code?: number; body?: unknown };
    if (typeof ex.code === 'number' && ex.body !== undefined) {
      const body = typeof ex.body === 'string' ? ex.body : JSON.stringify(ex.body);
      return `HTTP ${ex.code}: ${body.slice(0, 300)}`;
    }
    return e.message;
  }
  return String(e);
}

/** The HTTP status of a client-node ApiException, if it is one. */
export function httpStatus(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
