#!/usr/bin/env node
// switchyard-ipam: a CNI IPAM plugin that reads host-local's configuration and keeps host-local's
// on-disk format. The verbs are loaded on first use so that VERSION stays as cheap as possible.
import { type PluginHandlers, pluginMain } from '@switchyard/cni-spec';

const verbs = (): Promise<Required<PluginHandlers>> => import('../plugin/ipam-plugin.js');

await pluginMain(
  {
    add: async (args) => (await verbs()).add(args),
    check: async (args) => (await verbs()).check(args),
    del: async (args) => (await verbs()).del(args),
    status: async (args) => (await verbs()).status(args),
    gc: async (args) => (await verbs()).gc(args),
  },
  { about: 'switchyard-ipam: host-local compatible IPAM (Switchyard)' },
);
