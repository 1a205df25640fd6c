// The docs site: Eleventy 3 over docs/ (Markdown pages + a Nunjucks layout), output in docs/site/
// (gitignored). Build from the repository root:
//   npx @11ty/eleventy --config=docs/eleventy.config.mjs
// Package and example pages pull their READMEs and sources from the repository at build time
// (_data/repo.mjs), so the site cannot drift from what the packages say about themselves.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HtmlBasePlugin } from '@11ty/eleventy';
import { headingIds } from './_lib/heading-ids.mjs';

const DOCS = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

export default function (eleventyConfig) {
  // Eleventy resolves its directories against the working directory.
  const input = relative(process.cwd(), DOCS) || '.';
  eleventyConfig.ignores.add(`${input}/README.md`);
  eleventyConfig.ignores.add(`${input}/test/**`);
  eleventyConfig.ignores.add(`${input}/site/**`);
  eleventyConfig.addGlobalData('layout', 'layout.njk');
  eleventyConfig.amendLibrary('md', (md) => md.use(headingIds));
  // Lets the site live under a path prefix (--pathprefix) while pages link with absolute URLs.
  eleventyConfig.addPlugin(HtmlBasePlugin);

  // {% repo "path" %}: a file or directory of the repository (not part of the site). The build
  // fails when it does not exist, so the docs never name a file that is gone.
  eleventyConfig.addShortcode('repo', (path) => {
    if (!existsSync(`${ROOT}/${path}`))
      throw new Error(`docs name a missing repository path: ${path}`);
    return `<code class="repo-path" data-repo-path="${path}">${path}</code>`;
  });

  // {{ "examples/x/src/main.ts" | source }}: a repository file's text, for code blocks that must
  // stay what the tested example holds.
  eleventyConfig.addFilter('source', (path) => readFileSync(`${ROOT}/${path}`, 'utf8').trimEnd());

  // Pages kept as plain Markdown for GitHub (contributing.md, the ADRs) bring their own `# Title`
  // instead of front matter: the layout then takes the title from that heading.
  eleventyConfig.addFilter('ownHeading', (html) => {
    const m = /^\s*<h1[^>]*>(.*?)<\/h1>/s.exec(html);
    return m ? m[1].replace(/<[^>]+>/g, '') : undefined;
  });

  return {
    // --output (or the programmatic API's output argument with source 'cli') overrides this.
    dir: { input, output: `${input}/site`, includes: '_includes', data: '_data' },
    markdownTemplateEngine: 'njk',
    htmlTemplateEngine: 'njk',
  };
}
