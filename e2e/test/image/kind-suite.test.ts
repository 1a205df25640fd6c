// e2e/kind's scripts where no kind cluster can exist. connectivity.sh, the suite run.sh runs on
// kind, runs here against the testbed with the full distribution (pod network, proxy, DNS,
// ingress from the deploy/ manifests) through kubectl only, with the testbed's images as client
// and server; a second run with an IngressClass nobody serves shows a failing check is reported.
// run.sh itself must skip cleanly where no container engine answers.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runUnchecked } from '@switchyard/linux';
import {
  ECHO_IMAGE,
  TOOLBOX_IMAGE,
  findBinaries,
  startTestbed,
  type Testbed,
} from '@switchyard/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const KIND_DIR = fileURLToPath(new URL('../../kind/', import.meta.url));
const NAME = `ks${process.pid}`.slice(0, 12);

describe('e2e/kind/run.sh', () => {
  it('skips with exit 0 when docker is not installed', async () => {
    const r = await runUnchecked(['/bin/bash', join(KIND_DIR, 'run.sh')], {
      env: { PATH: '/nonexistent' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      'e2e/kind/run.sh: skipped: no container engine (docker is not installed)\n',
    );
  });

  let docker: string | undefined;
  try {
    docker = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
  } catch {
    docker = undefined;
  }
  it.skipIf(!docker)(
    `skips with exit 0 when the docker client reaches no engine${docker ? '' : ' (skipped: no docker client here)'}`,
    async () => {
      // The real client, pointed at a socket nobody serves: `docker info` fails as it does on a
      // machine with the client and no engine.
      const r = await runUnchecked(['/bin/bash', join(KIND_DIR, 'run.sh')], {
        env: { PATH: process.env.PATH, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
        timeoutMs: 60_000,
      });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toBe('e2e/kind/run.sh: skipped: no container engine (docker info failed)\n');
    },
  );
});

describe('e2e/kind/connectivity.sh against the testbed', () => {
  let tb: Testbed;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    tb = await startTestbed({
      name: NAME,
      nodes: 2,
      underlay: '172.31.219.0/24',
      components: ['proxy', 'dns', 'ingress'],
    });
    env = {
      PATH: process.env.PATH,
      // kubectl keeps its discovery cache under $HOME/.kube; without HOME it writes ./.kube.
      HOME: process.env.HOME,
      KUBECTL: (await findBinaries()).kubectl,
      KUBECONFIG: tb.kubeconfigPath,
      CLIENT_IMAGE: TOOLBOX_IMAGE,
      SERVER_IMAGE: ECHO_IMAGE,
    };
  }, 300_000);
  afterAll(async () => {
    await tb?.down();
  });

  it('passes every check through kubectl alone', async () => {
    const r = await runUnchecked(['bash', join(KIND_DIR, 'connectivity.sh')], {
      env,
      timeoutMs: 400_000,
    });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const results = r.stdout.split('\n').filter((l) => /^(not )?ok - /.test(l));
    expect(results.map((l) => l.replace(/ \(.*$/, '').replace(/:.*$/, ''))).toEqual([
      'ok - pod to pod across nodes',
      'ok - pod to pod across nodes',
      'ok - Service ClusterIP',
      'ok - DNS',
      'ok - DNS',
      'ok - Ingress',
    ]);
  }, 420_000);

  it('reports a check that fails (an Ingress of a class nobody serves)', async () => {
    const r = await runUnchecked(['bash', join(KIND_DIR, 'connectivity.sh')], {
      env: { ...env, CHECKS: 'ingress', INGRESS_CLASS: 'nobody', CHECK_TIMEOUT: '5' },
      timeoutMs: 300_000,
    });
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^not ok - Ingress: Host connectivity\.switchyard\.test/m);
    expect(r.stdout).not.toMatch(/^ok - /m);
  }, 320_000);
});
