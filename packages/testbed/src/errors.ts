/** A testbed option was invalid; nothing was created. */
export class TestbedOptionError extends Error {
  override readonly name = 'TestbedOptionError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`testbed option ${option}: ${message}`);
  }
}

/** The testbed is not in the state an operation needs (not running, already running, not ready). */
export class TestbedStateError extends Error {
  override readonly name = 'TestbedStateError';
  constructor(
    readonly testbed: string,
    message: string,
  ) {
    super(`testbed ${testbed}: ${message}`);
  }
}

/** Something the testbed waited for did not happen in time; `logs` names the files to read. */
export class TestbedTimeoutError extends Error {
  override readonly name = 'TestbedTimeoutError';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly logs: readonly string[] = [],
    readonly lastError?: string,
  ) {
    super(
      `timed out after ${timeoutMs} ms waiting for ${what}` +
        (lastError ? ` (last error: ${lastError})` : '') +
        (logs.length ? `; see ${logs.join(', ')}` : ''),
    );
  }
}

/** The distribution's manifests (deploy/) are not what the testbed installs from. */
export class DistributionManifestError extends Error {
  override readonly name = 'DistributionManifestError';
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
  }
}
