// What the site reads from the repository at build time: the packages' and examples' READMEs and
// the examples' sources.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGES } from '../_lib/packages.mjs';
import { embedReadme, readmeSection } from '../_lib/readme.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const read = (...parts) => readFileSync(join(ROOT, ...parts), 'utf8');

function listExamples() {
  return readdirSync(join(ROOT, 'examples'))
    .filter((name) => {
      try {
        return statSync(join(ROOT, 'examples', name, 'package.json')).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

/** Every .ts file under `dir` (relative paths, sorted), skipping build output. */
function sources(dir, base = '') {
  if (!existsSync(join(dir, base))) return [];
  return readdirSync(join(dir, base), { withFileTypes: true })
    .flatMap((e) => {
      const rel = base ? `${base}/${e.name}` : e.name;
      if (e.isDirectory()) return sources(dir, rel);
      return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
    })
    .sort();
}

const examples = listExamples();

/** Repository paths that have a page on this site. */
const pages = {
  ...Object.fromEntries(PACKAGES.map((name) => [`packages/${name}`, `/packages/${name}/`])),
  ...Object.fromEntries(examples.map((name) => [`examples/${name}`, `/examples/${name}/`])),
  'docs/contributing.md': '/contributing/',
  'docs/adr/0001-publish-linux.md': '/adr/0001-publish-linux/',
};
const exists = (path) => existsSync(join(ROOT, path));
const embed = (dir, markdown) => embedReadme(markdown, { dir, pages, exists });

export default {
  packages: Object.fromEntries(
    PACKAGES.map((name) => {
      const pkg = JSON.parse(read('packages', name, 'package.json'));
      return [
        name,
        {
          name: pkg.name,
          description: pkg.description,
          published: pkg.private !== true,
          readme: embed(`packages/${name}`, read('packages', name, 'README.md')),
        },
      ];
    }),
  ),
  examples: examples.map((name) => {
    const dir = join(ROOT, 'examples', name);
    const pkg = JSON.parse(read('examples', name, 'package.json'));
    // Data files at the top (cluster.yaml), then the sources, then the tests.
    const data = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
    const files = [
      ...data.map((path) => ({ path, lang: 'yaml', text: read('examples', name, path) })),
      ...['src', 'test'].flatMap((sub) =>
        sources(join(dir, sub)).map((path) => ({
          path: `${sub}/${path}`,
          lang: 'ts',
          text: read('examples', name, sub, path),
        })),
      ),
    ];
    return {
      name,
      description: pkg.description,
      readme: embed(`examples/${name}`, read('examples', name, 'README.md')),
      files,
    };
  }),
  ingressAnnotations: embed(
    'packages/ingress',
    readmeSection(read('packages', 'ingress', 'README.md'), 'Annotations'),
  ),
};
