import { describe, expect, it } from 'vitest';

describe('@switchyard/cni-spec/plugin', () => {
  it('offers what a plugin needs and nothing of the runtime side', async () => {
    const mod = await import('../src/plugin.js');
    expect(Object.keys(mod).sort()).toEqual([
      'CniError',
      'DecodingFailureError',
      'ErrorCode',
      'IncompatibleVersionError',
      'InternalError',
      'InvalidEnvironmentError',
      'InvalidNetnsError',
      'InvalidNetworkConfigError',
      'IoFailureError',
      'LimitedConnectivityError',
      'PluginNotAvailableError',
      'SUPPORTED_VERSIONS',
      'TryAgainLaterError',
      'UnknownContainerError',
      'UnsupportedFieldError',
      'checkCniArgs',
      'delegateAdd',
      'delegateAddWithRollback',
      'delegateCheck',
      'delegateDel',
      'delegateGc',
      'delegateStatus',
      'parseCniArgs',
      'parseResult',
      'pluginMain',
      'versionAtLeast',
    ]);
    // The same classes as the root entry, so `instanceof` works whichever entry a caller used.
    const root = await import('../src/index.js');
    expect(mod.CniError).toBe(root.CniError);
    expect(mod.pluginMain).toBe(root.pluginMain);
  });
});
