#!/usr/bin/env node
// The `switchyard` CNI plugin as its own process: what the C shim execs when the agent's socket
// is not there. It answers every verb itself, on the same on-disk store the agent uses.
import { pluginMain } from '@switchyard/cni-spec/plugin';
import { pluginHandlers } from './handlers.js';
import { PLUGIN_INFO } from './plugin-info.js';
import { standaloneContext } from './standalone-context.js';

await pluginMain(pluginHandlers(standaloneContext()), PLUGIN_INFO);
