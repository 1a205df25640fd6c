// Options that cannot work are refused before anything is sent or started.
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubeApiError, KubeOptionError } from '../src/errors.js';
import { Informer } from '../src/informer.js';
import { KubeClient } from '../src/kube-client.js';
import { LeaderElector, microTime } from '../src/leader-election.js';
import { patchObject, patchStatus, retryOnConflict } from '../src/patch.js';

// Port 9 (discard) on loopback: nothing listens, so anything actually sent would fail loudly.
function client(): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:9' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return new KubeClient(kc);
}

const noop = (): void => undefined;
const base = {
  client: client(),
  namespace: 'kube-system',
  name: 'lease',
  identity: 'me',
  onStartedLeading: noop,
  onStoppedLeading: noop,
};

describe('option checks', () => {
  it('LeaderElector needs renewDeadline < leaseDuration and a retry period well under it', () => {
    expect(
      () => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }),
    ).toThrow(KubeOptionError);
    expect(
      () => new LeaderElector({ ...base, renewDeadlineMs: 2000, retryPeriodMs: 1900 }),
    ).toThrow(/retryPeriodMs/);
    expect(() => new LeaderElector({ ...base, identity: '' })).toThrow(/identity/);
    expect(() => new LeaderElector({ ...base, name: 'Bad/Name' })).toThrow(/name/);
    expect(new LeaderElector(base).isLeader).toBe(false);
  });

  it('Informer refuses a zero watchdog or server timeout', () => {
    const resource = { version: 'v1', plural: 'pods' };
    expect(() => new Informer({ client: client(), resource, silenceTimeoutMs: 0 })).toThrow(
      KubeOptionError,
    );
    expect(() => new Informer({ client: client(), resource, watchTimeoutSeconds: 0 })).toThrow(
      /watchTimeoutSeconds/,
    );
  });

  it('server-side apply needs a field manager (and a kind for status)', async () => {
    const ref = { version: 'v1', plural: 'configmaps', namespace: 'a' };
    await expect(patchObject(client(), ref, 'x', {}, { type: 'apply' })).rejects.toThrow(
      /fieldManager/,
    );
    await expect(patchObject(client(), ref, 'x', {}, { type: 'nope' as 'merge' })).rejects.toThrow(
      /unknown patch type/,
    );
    await expect(
      patchStatus(client(), ref, 'x', {}, { type: 'apply', fieldManager: 'm' }),
    ).rejects.toThrow(KubeOptionError);
  });

  it('retryOnConflict retries 409 only, up to its attempts', async () => {
    let calls = 0;
    const conflict = new Error('not a 409');
    const err409 = new KubeApiError('PUT', '/x', 409, 'Conflict', '');
    await expect(
      retryOnConflict(
        () => {
          calls++;
          return Promise.reject(err409);
        },
        { attempts: 3, backoff: { initialMs: 1, maxMs: 1 } },
      ),
    ).rejects.toBe(err409);
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      retryOnConflict(() => {
        calls++;
        return Promise.reject(conflict);
      }),
    ).rejects.toBe(conflict);
    expect(calls).toBe(1);
    calls = 0;
    expect(
      await retryOnConflict(() => (++calls < 3 ? Promise.reject(err409) : Promise.resolve('ok')), {
        backoff: { initialMs: 1, maxMs: 1 },
      }),
    ).toBe('ok');
  });

  it('microTime has exactly six fractional digits', () => {
    expect(microTime(new Date(Date.UTC(2026, 10, 21, 12, 0, 0, 42)))).toBe(
      '2026-11-21T12:00:00.042000Z',
    );
  });
});
