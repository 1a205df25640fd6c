#!/usr/bin/env node
import { pluginMain } from '@switchyard/cni-spec/plugin';

// The verbs' code (and the child_process/fs modules it needs) loads only when a verb runs, so
// VERSION, the call runtimes make most often, starts as fast as the skeleton allows.
const impl = () => import('./loopback.js');

await pluginMain(
  {
    add: async (a) => (await impl()).add(a),
    check: async (a) => (await impl()).check(a),
    del: async (a) => (await impl()).del(a),
    // Nothing on the node can make this plugin unavailable; it holds nothing for GC to collect.
    status: async () => undefined,
  },
  { about: 'CNI plugin sy-loopback (example for @switchyard/cni-spec)' },
);
