/** The outcome of one conformance check. */
export interface CheckResult {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
}

/** Collects check outcomes; a check that throws is recorded as a failure with the message. */
export class CheckList {
  readonly results: CheckResult[] = [];

  get ok(): boolean {
    return this.results.every((r) => r.status !== 'fail');
  }

  pass(name: string, detail = ''): void {
    this.results.push({ name, status: 'pass', detail });
  }

  fail(name: string, detail: string): void {
    this.results.push({ name, status: 'fail', detail });
  }

  skip(name: string, detail: string): void {
    this.results.push({ name, status: 'skip', detail });
  }

  /** Runs `fn`; its string return is the pass detail, a throw is the failure detail. */
  async run(name: string, fn: () => Promise<string | void>): Promise<boolean> {
    try {
      this.pass(name, (await fn()) ?? '');
      return true;
    } catch (e) {
      this.fail(name, e instanceof Error ? e.message : String(e));
      return false;
    }
  }
}

/** A fixed-width pass/fail table for the terminal. */
export function formatTable(results: readonly CheckResult[]): string {
  const width = Math.max(5, ...results.map((r) => r.name.length));
  const lines = [`${'CHECK'.padEnd(width)}  RESULT  DETAIL`];
  for (const r of results) {
    lines.push(`${r.name.padEnd(width)}  ${r.status.toUpperCase().padEnd(6)}  ${r.detail}`);
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  const skipped = results.filter((r) => r.status === 'skip').length;
  lines.push('');
  lines.push(
    failed
      ? `FAILED: ${failed} of ${results.length} checks failed (${skipped} skipped)`
      : `PASSED: ${results.length - skipped} checks passed (${skipped} skipped)`,
  );
  return `${lines.join('\n')}\n`;
}
