// Turns a README into part of a docs page: its title line dropped (the page has its own h1), and
// links into the repository pointed at the site's pages where there is one.

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
 * `links` maps a repository path (as the README spells it, relative to the README's directory)
 * to a site URL. A relative link with no mapping is left as is; the link check then fails the
 * build's test, which is the point: it must get a page or become plain text.
 */
export function embedReadme(markdown, links = {}) {
  const body = markdown.replace(/^# .*\n/, '');
  return outsideFences(body, (line) =>
    line.replace(/\]\(([^)\s]+)\)/g, (all, target) =>
      target in links ? `](${links[target]})` : all,
    ),
  );
}

/** The section under `## <title>`, up to the next `## `. */
export function readmeSection(markdown, title) {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${title}`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  return embedReadme(lines.slice(start + 1, end < 0 ? undefined : end).join('\n'));
}
