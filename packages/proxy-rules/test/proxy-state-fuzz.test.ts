import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { conntrackCleanup } from '../src/conntrack-cleanup.js';
import { renderIncremental } from '../src/nft-diff.js';
import { renderFullSync } from '../src/nft-render.js';
import { ProxyRules } from '../src/proxy-state.js';
import { NODE, model } from './fixtures.js';
import { type EventWorld, prng, randomEvent } from './random-events.js';

// Random informer events: after every commit the partial state must equal a full compile, and
// its transaction must equal the whole-ruleset diff (as a set of commands); the conntrack cleanup
// from the commit's changed services equals the one over every port, and the counts hold.

const normalise = (text: string): string[] =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      const m = /^((?:add|delete) element \S+ \S+ \S+) \{ (.*) \}$/.exec(l);
      return m ? m[2]!.split(', ').map((e) => `${m[1]} ${e}`) : [l];
    })
    .sort();

describe('ProxyRules against full compiles (random events)', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 120 events`, () => {
      const rand = prng(seed);
      const state = new ProxyRules(NODE);
      const world: EventWorld = { services: new Map(), slices: new Map() };
      let prev = compile(model([], [])).ruleset;
      let prevPorts = state.commit().servicePorts;
      const argvs = (xs: string[][]): string[] => xs.map((a) => a.join(' ')).sort();
      for (let step = 0; step < 120; step++) {
        randomEvent(rand, state, world);
        const commit = state.commit();
        const full = compile(
          model([...world.services.values()], [...world.slices.values()]),
        ).ruleset;
        expect(normalise(renderFullSync(commit.ruleset))).toEqual(normalise(renderFullSync(full)));
        expect(normalise(commit.transaction.text)).toEqual(
          normalise(renderIncremental(prev, full).text),
        );
        prev = full;
        const ports = commit.servicePorts;
        expect(commit.servicePortCount).toBe(ports.length);
        expect(commit.skippedCount).toBe(commit.skipped.length);
        const changes = [...commit.changes.values()];
        expect(
          argvs(
            conntrackCleanup(
              changes.flatMap((c) => c.before),
              changes.flatMap((c) => c.after),
            ),
          ),
        ).toEqual(argvs(conntrackCleanup(prevPorts, ports)));
        prevPorts = ports;
      }
    }, 30_000); // 120 full compiles and renders: seconds on a loaded machine
  }
});
