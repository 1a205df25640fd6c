import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';

/** The images the testbed can "pull": each maps to a local program. */
export const ECHO_IMAGE = 'switchyard/echo';
export const TOOLBOX_IMAGE = 'switchyard/toolbox';
export const SWITCHYARD_IMAGE = 'switchyard/switchyard';
export const KNOWN_IMAGES = [ECHO_IMAGE, TOOLBOX_IMAGE, SWITCHYARD_IMAGE] as const;

export interface ImageContext {
  /** The Node.js binary that runs our programs. */
  node: string;
  /** The echo server's entry point. */
  echoMain: string;
  /** Where the Switchyard image's files are (the repository; `SWITCHYARD_HOME` in its env). */
  repoRoot: string;
  /** Executable name -> script, from the workspace packages' `bin` fields. */
  workspaceBins: ReadonlyMap<string, string>;
}

/** What to exec for a container, or why it cannot run (as kubelet's waiting reasons). */
export type ImageResolution =
  | { argv: string[]; env: Record<string, string> }
  | { reason: 'ErrImagePull' | 'CreateContainerError'; message: string };

/** `docker.io/switchyard/echo:1.0@sha256:..` -> `switchyard/echo`. */
export function imageName(image: string): string {
  let name = image.split('@')[0] ?? '';
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  const parts = name.split('/');
  const first = parts[0] ?? '';
  // A registry host has a dot or a port, or is localhost (the Docker reference rules).
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    parts.shift();
  }
  if (parts[0] === 'library') parts.shift();
  return parts.join('/');
}

/** Container ports the echo image serves (TCP+HTTP and UDP on each), 8080 when none are listed. */
export function echoPorts(container: V1Container): number[] {
  const ports = [...new Set((container.ports ?? []).map((p) => p.containerPort))];
  return ports.length ? ports : [8080];
}

export function resolveImage(
  container: V1Container,
  pod: V1Pod,
  ctx: ImageContext,
): ImageResolution {
  const image = imageName(container.image ?? '');
  const command = container.command ?? [];
  const args = container.args ?? [];
  switch (image) {
    case ECHO_IMAGE:
      return {
        argv: [ctx.node, ctx.echoMain],
        env: {
          ECHO_PORTS: echoPorts(container).join(','),
          ECHO_POD: pod.metadata?.name ?? '',
          ECHO_NAMESPACE: pod.metadata?.namespace ?? '',
        },
      };
    case TOOLBOX_IMAGE: {
      // Like an image with no ENTRYPOINT and CMD ["sleep", "infinity"]; the host's dig, curl and
      // ping are what it carries.
      const argv = command.length
        ? [...command, ...args]
        : args.length
          ? args
          : ['sleep', 'infinity'];
      return { argv, env: {} };
    }
    case SWITCHYARD_IMAGE: {
      const [bin, ...rest] = command;
      const script = bin === undefined ? undefined : ctx.workspaceBins.get(bin);
      if (script === undefined) {
        return {
          reason: 'CreateContainerError',
          message: `the ${SWITCHYARD_IMAGE} image runs one of [${[...ctx.workspaceBins.keys()].join(', ')}] as command[0], got ${JSON.stringify(bin ?? null)}`,
        };
      }
      // SWITCHYARD_HOME locates the image's other files, e.g. the CNI shim the agent installs.
      return { argv: [ctx.node, script, ...rest, ...args], env: { SWITCHYARD_HOME: ctx.repoRoot } };
    }
    default:
      return {
        reason: 'ErrImagePull',
        message: `image ${JSON.stringify(container.image)} is not available in the testbed (it has ${KNOWN_IMAGES.join(', ')})`,
      };
  }
}

/** Reads the `bin` entries of every workspace package under `<repoRoot>/{apps,packages}`. */
export function workspaceBins(repoRoot: string): Map<string, string> {
  const bins = new Map<string, string>();
  for (const group of ['apps', 'packages']) {
    let dirs: string[];
    try {
      dirs = readdirSync(`${repoRoot}/${group}`);
    } catch {
      continue;
    }
    for (const dir of dirs) {
      const root = `${repoRoot}/${group}/${dir}`;
      let pkg: { name?: string; bin?: string | Record<string, string> };
      try {
        pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as typeof pkg;
      } catch {
        continue;
      }
      if (typeof pkg.bin === 'string' && pkg.name) {
        bins.set(pkg.name.replace(/^@[^/]+\//, ''), resolve(root, pkg.bin));
      } else if (pkg.bin && typeof pkg.bin === 'object') {
        for (const [name, path] of Object.entries(pkg.bin)) bins.set(name, resolve(root, path));
      }
    }
  }
  return bins;
}
