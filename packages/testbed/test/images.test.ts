import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/binaries.js';
import { echoPorts, imageName, resolveImage, workspaceBins } from '../src/node-runtime/images.js';

const pod: V1Pod = { metadata: { name: 'web-1', namespace: 'shop' } };
const ctx = {
  node: '/usr/bin/node',
  echoMain: '/x/echo-main.js',
  repoRoot: '/ws',
  workspaceBins: new Map([['switchyard-dns', '/ws/apps/switchyard-dns/dist/main.js']]),
};

function c(partial: Partial<V1Container>): V1Container {
  return { name: 'c', ...partial };
}

describe('images', () => {
  it.each([
    ['switchyard/echo', 'switchyard/echo'],
    ['switchyard/echo:1.2', 'switchyard/echo'],
    ['docker.io/switchyard/echo:latest', 'switchyard/echo'],
    ['localhost:5000/switchyard/toolbox@sha256:abcd', 'switchyard/toolbox'],
    ['docker.io/library/busybox', 'busybox'],
  ])('normalizes %s to %s', (input, want) => expect(imageName(input)).toBe(want));

  it('echo serves its container ports, 8080 by default, and knows its pod', () => {
    expect(
      echoPorts(
        c({
          ports: [
            { containerPort: 80 },
            { containerPort: 80, protocol: 'UDP' },
            { containerPort: 9000 },
          ],
        }),
      ),
    ).toEqual([80, 9000]);
    const r = resolveImage(c({ image: 'switchyard/echo' }), pod, ctx);
    expect(r).toEqual({
      argv: ['/usr/bin/node', '/x/echo-main.js'],
      env: { ECHO_PORTS: '8080', ECHO_POD: 'web-1', ECHO_NAMESPACE: 'shop' },
    });
  });

  it('toolbox sleeps unless given a command, like CMD ["sleep","infinity"]', () => {
    expect(resolveImage(c({ image: 'switchyard/toolbox' }), pod, ctx)).toMatchObject({
      argv: ['sleep', 'infinity'],
    });
    expect(
      resolveImage(
        c({ image: 'switchyard/toolbox', command: ['sh', '-c'], args: ['echo hi'] }),
        pod,
        ctx,
      ),
    ).toMatchObject({ argv: ['sh', '-c', 'echo hi'] });
    expect(
      resolveImage(c({ image: 'switchyard/toolbox', args: ['sleep', '5'] }), pod, ctx),
    ).toMatchObject({ argv: ['sleep', '5'] });
  });

  it('the switchyard image runs a workspace executable named by command[0]', () => {
    const r = resolveImage(
      c({
        image: 'switchyard/switchyard:dev',
        command: ['switchyard-dns', '--port=53'],
        args: ['-v'],
      }),
      pod,
      ctx,
    );
    expect(r).toEqual({
      argv: ['/usr/bin/node', '/ws/apps/switchyard-dns/dist/main.js', '--port=53', '-v'],
      env: { SWITCHYARD_HOME: '/ws' },
    });
    const bad = resolveImage(c({ image: 'switchyard/switchyard', command: ['bash'] }), pod, ctx);
    expect(bad).toMatchObject({ reason: 'CreateContainerError' });
    expect((bad as { message: string }).message).toContain('switchyard-dns');
  });

  it('an unknown image fails like a pull error, naming what exists', () => {
    const r = resolveImage(c({ image: 'nginx:1.27' }), pod, ctx);
    expect(r).toMatchObject({ reason: 'ErrImagePull' });
    expect((r as { message: string }).message).toContain('switchyard/echo');
  });

  it('finds the workspace executables from package.json bin fields', () => {
    const bins = workspaceBins(REPO_ROOT);
    expect(bins.get('switchyard')).toBe(`${REPO_ROOT}/apps/switchyard/dist/main.js`);
  });
});
