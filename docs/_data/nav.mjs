// The site's navigation, in reading order. Package and example entries come from repo.mjs.
import { PACKAGES } from '../_lib/packages.mjs';

export default [
  { title: 'Overview', url: '/' },
  { title: 'Getting started', url: '/getting-started/' },
  { title: 'Architecture', url: '/architecture/' },
  {
    title: 'Packages',
    url: '/packages/',
    children: PACKAGES.map((name) => ({ title: `@switchyard/${name}`, url: `/packages/${name}/` })),
  },
  { title: 'Examples', url: '/examples/' },
  { title: 'Ingress annotations', url: '/ingress-annotations/' },
  { title: 'Troubleshooting: my pods cannot connect', url: '/troubleshooting/' },
  { title: 'Writing a CNI plugin', url: '/writing-a-cni-plugin/' },
  { title: 'Releasing', url: '/releasing/' },
  { title: 'Contributing', url: '/contributing/' },
  { title: 'Architecture decisions', url: '/adr/' },
];
