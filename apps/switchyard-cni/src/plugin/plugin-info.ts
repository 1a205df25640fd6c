import { SUPPORTED_VERSIONS, type PluginInfo } from '@switchyard/cni-spec/plugin';

export const PLUGIN_INFO: PluginInfo = {
  supportedVersions: SUPPORTED_VERSIONS,
  about: 'switchyard: bridge + in-process host-local IPAM, served by switchyard-agent',
};
