/** The packages that get a docs page, in the order the site lists them. */
export const PACKAGES = [
  'cni-spec',
  'ipam',
  'overlay',
  'proxy-rules',
  'dns',
  'ingress',
  'linux',
  'kube',
];
