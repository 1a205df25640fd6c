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
// README links to an example (`../../examples/x`) and from one example to another go to its page.
const exampleLinks = Object.fromEntries(
  examples.flatMap((name) => [
    [`../../examples/${name}`, `/examples/${name}/`],
    [`../${name}`, `/examples/${name}/`],
  ]),
);

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
          readme: embedReadme(read('packages', name, 'README.md'), exampleLinks),
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
      readme: embedReadme(read('examples', name, 'README.md'), exampleLinks),
      files,
    };
  }),
  ingressAnnotations: readmeSection(read('packages', 'ingress', 'README.md'), 'Annotations'),
};
