// The distribution's manifests against a real kube-apiserver (the testbed's, v1.36.3): every
// file a user or the testbed applies passes `kubectl apply --dry-run=server --validate=strict`
// (schema, unknown fields, admission: PriorityClasses, RBAC escalation checks), nothing of it is
// persisted, a broken manifest is rejected, and the generated files match their sources.
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runUnchecked } from '@switchyard/linux';
import { type Testbed, findBinaries, startTestbed } from '@switchyard/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
const DEPLOY = `${ROOT}/deploy`;
const APPS = ['switchyard-cni', 'switchyard-proxy', 'switchyard-dns', 'switchyard-ingress'];
const NAME = `dp${process.pid}`.slice(0, 12);

let tb: Testbed;

/** `kubectl apply --dry-run=server --validate=strict` of files/dirs (-f) or a kustomization (-k). */
async function dryRun(
  source: { file: string } | { kustomization: string } | { input: string },
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const base = ['apply', '--dry-run=server', '--validate=strict', '-o', 'name'];
  if ('file' in source) return tb.kubectl([...base, '-f', source.file]);
  if ('kustomization' in source) return tb.kubectl([...base, '-k', source.kustomization]);
  return tb.kubectl([...base, '-f', '-'], { input: source.input });
}

interface Workload {
  kind: string;
  metadata: { name: string };
  spec: {
    template: {
      spec: {
        affinity?: {
          nodeAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: unknown[] };
          podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: unknown[] };
        };
      };
    };
  };
}

/** The objects in kustomize output: each has its top-level `kind:` at column 0. */
function objectCount(text: string): number {
  return text.match(/^kind: /gm)?.length ?? 0;
}

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await tb.kubectl(args, input === undefined ? {} : { input });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  // The apiserver is all that is needed: one node, no pod network to wait for.
  tb = await startTestbed({ name: NAME, nodes: 1, underlay: '172.31.218.0/24', cni: 'external' });
  // What must exist before switchyard.yaml can be checked object by object: the Gateway API CRDs
  // (their GatewayClass is in it; a user applies them first too) and the ingress namespace (a
  // server dry run creates nothing, so objects in a namespace it would create are NotFound).
  await kubectlOk(['apply', '-f', `${DEPLOY}/gateway-api-crds.yaml`]);
  await kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    '-f',
    `${DEPLOY}/gateway-api-crds.yaml`,
  ]);
  await kubectlOk(['create', 'namespace', 'switchyard-ingress', '--save-config']);
}, 180_000);

afterAll(async () => {
  await tb?.down();
});

describe('server-side validation', () => {
  it('accepts every object of deploy/switchyard.yaml and persists none', async () => {
    const text = await readFile(`${DEPLOY}/switchyard.yaml`, 'utf8');
    const r = await dryRun({ file: `${DEPLOY}/switchyard.yaml` });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const names = r.stdout.trim().split('\n');
    expect(names).toHaveLength(objectCount(text));
    expect(names).toEqual(
      expect.arrayContaining([
        'daemonset.apps/switchyard-agent',
        'daemonset.apps/switchyard-proxy',
        'deployment.apps/switchyard-dns',
        'deployment.apps/switchyard-ingress',
        'service/kube-dns',
        'poddisruptionbudget.policy/switchyard-dns',
        'poddisruptionbudget.policy/switchyard-ingress',
        'ingressclass.networking.k8s.io/switchyard',
        'gatewayclass.gateway.networking.k8s.io/switchyard',
      ]),
    );
    const left = await tb.kubectl(['get', '-n', 'kube-system', 'daemonset', 'switchyard-agent']);
    expect(left.exitCode).not.toBe(0);
    expect(left.stderr).toContain('NotFound');
  });

  it.each(['testbed', 'kind'])('accepts the %s overlay as kustomize renders it', async (o) => {
    const { kubectl } = await findBinaries();
    const rendered = await runUnchecked([kubectl, 'kustomize', `${DEPLOY}/overlays/${o}`]);
    expect(rendered.exitCode).toBe(0);
    const r = await dryRun({ input: rendered.stdout });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(objectCount(rendered.stdout));
  });

  it('the kind overlay prefers the ingress-ready node and keeps the anti-affinity', async () => {
    const { kubectl } = await findBinaries();
    const rendered = await runUnchecked([kubectl, 'kustomize', `${DEPLOY}/overlays/kind`]);
    const r = await tb.kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], {
      input: rendered.stdout,
    });
    expect(r.exitCode).toBe(0);
    const items = (JSON.parse(r.stdout) as { items: Workload[] }).items;
    const ingress = items.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'switchyard-ingress',
    );
    const affinity = ingress?.spec.template.spec.affinity;
    expect(affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      {
        weight: 100,
        preference: {
          matchExpressions: [{ key: 'ingress-ready', operator: 'In', values: ['true'] }],
        },
      },
    ]);
    expect(affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(
      1,
    );
    // Only that Deployment differs from what a user applies without the overlay.
    const plain = await readFile(`${DEPLOY}/switchyard.yaml`, 'utf8');
    expect(objectCount(rendered.stdout)).toBe(objectCount(plain));
    expect(plain).not.toContain('ingress-ready');
  });

  it.each(APPS)('accepts the %s base (kubectl apply -k)', async (app) => {
    const r = await dryRun({ kustomization: `${ROOT}/apps/${app}/manifests` });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^(daemonset|deployment)\.apps\/switchyard-/m);
  });

  it('accepts the Gateway API CRDs and the coredns ConfigMap for clusters without one', async () => {
    for (const file of [
      `${DEPLOY}/gateway-api-crds.yaml`,
      `${ROOT}/apps/switchyard-dns/manifests/coredns-configmap.yaml`,
    ]) {
      const r = await dryRun({ file });
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
    }
  });

  it('rejects a manifest with an unknown field, and one the apiserver finds invalid', async () => {
    const text = await readFile(
      `${ROOT}/apps/switchyard-dns/manifests/switchyard-dns.yaml`,
      'utf8',
    );
    const typo = text.replace('readinessProbe:', 'readinesProbe:');
    expect(typo).not.toBe(text);
    const r = await dryRun({ input: typo });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('unknown field "spec.template.spec.containers[0].readinesProbe"');
    // The apiserver's own validation, beyond the schema: a PDB cannot set both bounds.
    const both = text.replace(
      '\n  maxUnavailable: 1\n',
      '\n  maxUnavailable: 1\n  minAvailable: 1\n',
    );
    expect(both).not.toBe(text);
    const v = await dryRun({ input: both });
    expect(v.exitCode).not.toBe(0);
    expect(v.stderr).toContain('minAvailable and maxUnavailable cannot be both set');
  });
});

describe('generated files', () => {
  it('deploy/switchyard.yaml and deploy/gateway-api-crds.yaml match their sources', async () => {
    const r = await runUnchecked(['bash', `${DEPLOY}/generate.sh`, '--check'], {
      timeoutMs: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('the check fails when a source changed and switchyard.yaml was not regenerated', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'sy-deploy-'));
    try {
      await cp(DEPLOY, `${tmp}/deploy`, { recursive: true });
      for (const app of APPS) {
        await mkdir(`${tmp}/apps/${app}`, { recursive: true });
        await cp(`${ROOT}/apps/${app}/manifests`, `${tmp}/apps/${app}/manifests`, {
          recursive: true,
        });
      }
      await symlink(`${ROOT}/node_modules`, `${tmp}/node_modules`);
      const dns = `${tmp}/apps/switchyard-dns/manifests/switchyard-dns.yaml`;
      await writeFile(dns, (await readFile(dns, 'utf8')).replace('replicas: 2', 'replicas: 3'));
      const { kubectl } = await findBinaries();
      const r = await runUnchecked(['bash', `${tmp}/deploy/generate.sh`, '--check'], {
        timeoutMs: 60_000,
        env: { ...process.env, SWITCHYARD_K8S_BIN_DIR: join(kubectl, '..') },
      });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('deploy/switchyard.yaml is stale');
      expect(r.stderr).toContain('+  replicas: 3');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
