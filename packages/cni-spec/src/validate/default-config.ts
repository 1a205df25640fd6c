import { join } from 'node:path';

/** The private subnet the default validation config allocates from. */
export const DEFAULT_VALIDATE_SUBNET = '10.199.0.0/24';

/**
 * The config validate-plugin uses without `--config`: the plugin under test with host-local IPAM
 * in a throwaway dataDir, on a private subnet. Plugins ignore keys they do not know.
 */
export function defaultValidateConfig(
  type: string,
  cniVersion: string,
  dataDir: string,
): Record<string, unknown> {
  return {
    cniVersion,
    name: 'sy-validate',
    type,
    ipam: {
      type: 'host-local',
      dataDir: join(dataDir, 'ipam'),
      ranges: [[{ subnet: DEFAULT_VALIDATE_SUBNET }]],
      routes: [{ dst: '0.0.0.0/0' }],
    },
  };
}
