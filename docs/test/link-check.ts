import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** A link in the built site that leads nowhere. */
export interface BrokenLink {
  /** The page holding the link, as a site URL (`/packages/dns/`). */
  page: string;
  href: string;
  reason: string;
}

export interface SiteReport {
  /** Site URLs of every HTML page. */
  pages: string[];
  broken: BrokenLink[];
  /** Links leaving the site; listed, never fetched. */
  external: string[];
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&quot;': '"',
  '&#39;': "'",
  '&lt;': '<',
  '&gt;': '>',
};

/** Undoes the five escapes markdown-it and Nunjucks write. */
export function decodeHtml(s: string): string {
  return s.replace(/&(amp|quot|#39|lt|gt);/g, (e) => ENTITIES[e] ?? e);
}

function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return htmlFiles(path);
    return name.endsWith('.html') ? [path] : [];
  });
}

/** `/a/b/index.html` -> `/a/b/`, `/x.html` -> `/x.html`. */
function urlOf(root: string, file: string): string {
  const rel = `/${relative(root, file).split(sep).join('/')}`;
  return rel.endsWith('/index.html') ? rel.slice(0, -'index.html'.length) : rel;
}

/** The file a site path is served from, or undefined when there is none. */
function fileFor(root: string, path: string): string | undefined {
  const candidate = join(root, decodeURIComponent(path));
  if (existsSync(candidate) && statSync(candidate).isDirectory()) {
    const index = join(candidate, 'index.html');
    return existsSync(index) ? index : undefined;
  }
  return existsSync(candidate) ? candidate : undefined;
}

/**
 * Checks every `href` and `src` of every page of a built site: a link inside the site must reach
 * a file, and a `#fragment` must name an element `id` on the target page (or `#top`/empty).
 * Relative links resolve against the page's URL, as a browser would.
 */
export function checkSite(root: string): SiteReport {
  const files = htmlFiles(root);
  const html = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
  const ids = new Map<string, Set<string>>();
  const idsOf = (file: string): Set<string> => {
    let set = ids.get(file);
    if (!set) {
      set = new Set(
        [...(html.get(file) ?? '').matchAll(/\sid="([^"]*)"/g)].map((m) => decodeHtml(m[1] ?? '')),
      );
      ids.set(file, set);
    }
    return set;
  };
  const report: SiteReport = {
    pages: files.map((f) => urlOf(root, f)).sort(),
    broken: [],
    external: [],
  };
  for (const file of files) {
    const page = urlOf(root, file);
    for (const m of (html.get(file) ?? '').matchAll(/\s(?:href|src)="([^"]*)"/g)) {
      const href = decodeHtml(m[1] ?? '');
      if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) {
        report.external.push(href);
        continue;
      }
      const url = new URL(href, `http://site${page}`);
      const target = fileFor(root, url.pathname);
      if (!target) {
        report.broken.push({ page, href, reason: `no page at ${url.pathname}` });
        continue;
      }
      const fragment = decodeURIComponent(url.hash.slice(1));
      if (
        fragment &&
        fragment !== 'top' &&
        target.endsWith('.html') &&
        !idsOf(target).has(fragment)
      ) {
        report.broken.push({ page, href, reason: `no id "${fragment}" on ${urlOf(root, target)}` });
      }
    }
  }
  report.external = [...new Set(report.external)].sort();
  return report;
}
