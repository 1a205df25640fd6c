// Turns a README into part of a docs page: its title line dropped (the page has its own h1), and
// its links into the repository pointed at the site's pages.
import { posix } from 'node:path';

/** Applies `fn` to each line outside fenced code blocks. */
function outsideFences(markdown, fn) {
  let fence = null;
  return markdown
    .split('\n')
    .map((line) => {
      const m = /^\s*(`{3,}|~{3,})/.exec(line);
      if (m) {
        if (fence === null) fence = m[1];
        else if (m[1].startsWith(fence)) fence = null;
        return line;
      }
      return fence === null ? fn(line) : line;
    })
    .join('\n');
}

/**
 * How a README's relative links land on the site. `dir` is the README's directory in the
 * repository (`packages/dns`); a link resolves against it to a repository path, then:
 * - a path with a site page (`pages`, e.g. `examples/dns-embedded` -> `/examples/dns-embedded/`)
 *   links to that page;
 * - any other existing path (`exists`) becomes its name as code: the site does not carry sources;
 * - a path that does not exist stays a link, which the docs test reports as broken.
 */
export function embedReadme(markdown, { dir, pages, exists }) {
  const body = markdown.replace(/^# .*\n/, '');
  return outsideFences(body, (line) =>
    line.replace(/(!?)\[([^\]]*)\]\(([^)\s]+)\)/g, (all, bang, text, target) => {
      if (/^([a-z][a-z0-9+.-]*:|#|\/)/i.test(target)) return all;
      const [path = '', fragment] = target.split('#');
      const repoPath = posix
        .normalize(posix.join(dir, path))
        .replace(/\/(README\.md)?$/, '')
        .replace(/\/$/, '');
      const page = pages[repoPath];
      if (page) return `${bang}[${text}](${page}${fragment ? `#${fragment}` : ''})`;
      if (exists(repoPath)) {
        return `${text} (<code class="repo-path" data-repo-path="${repoPath}">${repoPath}</code>)`;
      }
      return all;
    }),
  );
}

/** The section under `## <title>`, up to the next `## `. */
export function readmeSection(markdown, title) {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${title}`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}
