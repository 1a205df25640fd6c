import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Eleventy from '@11ty/eleventy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from '@switchyard/cli';
import { ANNOTATION_PREFIX, parseIngressAnnotations } from '@switchyard/ingress';
import { checkSite, decodeHtml } from './link-check.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'sy-docs-'));
const SITE = join(tmp, 'site');

beforeAll(async () => {
  // The same build as `npx @11ty/eleventy --config=docs/eleventy.config.mjs`, into a temp dir.
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    // source 'cli': the input and output given here win over the config's, as --output does.
    const elev = new Eleventy('docs', SITE, {
      source: 'cli',
      configPath: 'docs/eleventy.config.mjs',
      quietMode: true,
    });
    await elev.write();
  } finally {
    process.chdir(cwd);
  }
}, 120_000);

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const page = (url: string): string => readFileSync(join(SITE, url, 'index.html'), 'utf8');
const text = (html: string): string => decodeHtml(html.replace(/<[^>]+>/g, ''));

describe('docs site', () => {
  it('builds, and every internal link and anchor resolves', () => {
    const report = checkSite(SITE);
    expect(report.broken).toEqual([]);
    expect(report.pages).toEqual(
      expect.arrayContaining([
        '/',
        '/getting-started/',
        '/architecture/',
        '/ingress-annotations/',
        '/troubleshooting/',
        '/writing-a-cni-plugin/',
        '/releasing/',
        '/contributing/',
        '/adr/',
        '/adr/0001-publish-linux/',
      ]),
    );
  });

  it('has a page for every package, holding its README', () => {
    const packages = readdirSync(join(ROOT, 'packages')).filter(
      (name) => existsSync(join(ROOT, 'packages', name, 'package.json')) && name !== 'testbed',
    );
    expect(packages).toEqual(
      expect.arrayContaining([
        'cni-spec',
        'ipam',
        'overlay',
        'proxy-rules',
        'dns',
        'ingress',
        'linux',
        'kube',
      ]),
    );
    for (const name of packages) {
      const html = page(`packages/${name}`);
      expect(html, name).toContain(`<h1>@switchyard/${name}</h1>`);
      // The README's first section heading made it onto the page, with an id to link to.
      const readme = readFileSync(join(ROOT, 'packages', name, 'README.md'), 'utf8');
      const firstSection = /^## (.+)$/m.exec(readme)?.[1];
      expect(firstSection, name).toBeDefined();
      expect(text(html), name).toContain(firstSection?.replace(/`/g, ''));
    }
    // Each SDK package links to a runnable example workspace.
    for (const name of ['cni-spec', 'ipam', 'overlay', 'proxy-rules', 'dns', 'ingress']) {
      expect(page(`packages/${name}`), name).toMatch(/href="\/examples\/[a-z-]+\/"/);
    }
  });

  it('has a page for every example workspace, with its sources', () => {
    const examples = readdirSync(join(ROOT, 'examples')).filter((name) =>
      existsSync(join(ROOT, 'examples', name, 'package.json')),
    );
    expect(examples.length).toBeGreaterThanOrEqual(4);
    for (const name of examples) {
      const html = page(`examples/${name}`);
      const src = readdirSync(join(ROOT, 'examples', name, 'src')).filter((f) => f.endsWith('.ts'));
      expect(src.length, name).toBeGreaterThan(0);
      for (const file of src) {
        expect(text(html), name).toContain(`src/${file}`);
        const firstLine =
          readFileSync(join(ROOT, 'examples', name, 'src', file), 'utf8').split('\n')[0] ?? '';
        expect(text(html), `${name}/src/${file}`).toContain(firstLine);
      }
    }
  });
});

/** Shell words of a command line: quotes grouped, a trailing `# comment` dropped. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(#.*$)|(\S+)/g)) {
    if (m[3] !== undefined) break;
    words.push(m[1] ?? m[2] ?? m[4] ?? '');
  }
  return words;
}

describe('switchyard command lines in the docs', () => {
  /** Every `switchyard ...` line in a code block of any page, with the troubleshooting aliases. */
  function commandLines(): { page: string; argv: string[] }[] {
    const aliases: Record<string, string[]> = {
      k: ['testbed', 'kubectl'],
      tbx: ['testbed', 'exec'],
    };
    const out: { page: string; argv: string[] }[] = [];
    for (const url of checkSite(SITE).pages) {
      const html = readFileSync(join(SITE, url, url.endsWith('/') ? 'index.html' : ''), 'utf8');
      for (const block of html.matchAll(/<pre><code[^>]*>([\s\S]*?)<\/code><\/pre>/g)) {
        const code = decodeHtml(block[1] ?? '');
        for (const line of code.split('\n')) {
          const words = shellWords(line.replace(/^\$ /, ''));
          if (words[0] === 'npx' && words[1] === 'switchyard')
            out.push({ page: url, argv: words.slice(2) });
          else if (words[0] === 'switchyard') out.push({ page: url, argv: words.slice(1) });
          else if (url === '/troubleshooting/' && words[0] && aliases[words[0]])
            out.push({ page: url, argv: [...(aliases[words[0]] ?? []), ...words.slice(1)] });
        }
      }
    }
    return out;
  }

  it("are all accepted by the CLI's own argument parser", () => {
    const lines = commandLines();
    // getting started and troubleshooting use testbed up/status/kubectl/exec/logs/down and explain.
    const verbs = new Set(lines.map((l) => `${l.argv[0]} ${l.argv[1]}`));
    expect([...verbs]).toEqual(
      expect.arrayContaining([
        'testbed up',
        'testbed status',
        'testbed kubectl',
        'testbed exec',
        'testbed logs',
        'testbed down',
        'explain service',
      ]),
    );
    const rejected = lines.flatMap(({ page, argv }) => {
      try {
        parseArgs(argv);
        return [];
      } catch (e) {
        return [`${page}: switchyard ${argv.join(' ')}: ${(e as Error).message}`];
      }
    });
    expect(rejected).toEqual([]);
  });
});

describe('the ingress annotation table', () => {
  /** First-column names of the table rows: `-value` after `canary-by-header` is its suffix. */
  function documentedNames(): { names: string[]; snippets: string[] } {
    const html = page('ingress-annotations');
    const names: string[] = [];
    const snippets: string[] = [];
    for (const row of html.matchAll(/<tr>\s*<td>(.*?)<\/td>/gs)) {
      const codes = [...(row[1] ?? '').matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1] ?? '');
      let last = '';
      for (const code of codes) {
        const name = code.startsWith('-') ? `${last}${code}` : (code.split(':')[0] ?? '').trim();
        if (name.includes('snippet')) {
          if (!name.includes('*')) snippets.push(name);
          continue;
        }
        names.push(name);
        if (!code.startsWith('-')) last = name;
      }
    }
    return { names, snippets };
  }

  /** The names the code knows, read from its source (the set is not exported). */
  function knownNames(): string[] {
    const source = readFileSync(join(ROOT, 'packages/ingress/src/annotations.ts'), 'utf8');
    const set = /const KNOWN = new Set\(\[([^\]]*)\]\)/.exec(source)?.[1];
    if (set === undefined)
      throw new Error('annotations.ts no longer has `const KNOWN = new Set([...])`');
    return [...set.matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '');
  }

  it('lists exactly the annotations the code understands', () => {
    const { names } = documentedNames();
    expect(names.length).toBeGreaterThan(20);
    expect([...new Set(names)].sort()).toEqual([...new Set(knownNames())].sort());
    for (const name of names) {
      const parsed = parseIngressAnnotations({ [`${ANNOTATION_PREFIX}${name}`]: 'x' });
      expect(parsed.warnings.join('\n'), name).not.toMatch(/not supported/);
    }
  });

  it('says snippets are rejected, and the code rejects them', () => {
    const { snippets } = documentedNames();
    expect(snippets).toEqual(expect.arrayContaining(['configuration-snippet', 'server-snippet']));
    for (const name of snippets) {
      expect(
        parseIngressAnnotations({ [`nginx.ingress.kubernetes.io/${name}`]: 'x' }).rejected,
        name,
      ).toMatch(/snippet/);
    }
  });
});

describe('the link checker', () => {
  it('reports broken links and anchors, and only those', () => {
    const copy = join(tmp, 'broken');
    cpSync(SITE, copy, { recursive: true });
    const file = join(copy, 'troubleshooting', 'index.html');
    const html = readFileSync(file, 'utf8').replace(
      '</main>',
      [
        '<a href="/packages/nope/">gone</a>',
        '<a href="/packages/dns/#no-such-section">bad anchor</a>',
        '<a href="../missing.html">relative</a>',
        '<a href="#nowhere">same page</a>',
        '<a href="/packages/dns/">fine</a>',
        '<a href="../getting-started/">fine, relative</a>',
        '</main>',
      ].join('\n'),
    );
    writeFileSync(file, html);
    const report = checkSite(copy);
    expect(report.broken.map((b) => `${b.page} ${b.href}`).sort()).toEqual([
      '/troubleshooting/ #nowhere',
      '/troubleshooting/ ../missing.html',
      '/troubleshooting/ /packages/dns/#no-such-section',
      '/troubleshooting/ /packages/nope/',
    ]);
  });
});
