import type { PathMatch, PathModifier } from './route.js';

/** Strips one trailing slash except from the root, as Prefix matching ignores it. */
function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/**
 * Whether a normalised request path satisfies a path match. Prefix is element-wise on '/':
 * `/aaa/bbb` matches `/aaa/bbb`, `/aaa/bbb/` and `/aaa/bbb/ccc`, never `/aaa/bbbxyz`; a trailing
 * slash on either side is ignored. Regular expressions must match the whole path.
 */
export function pathMatches(m: PathMatch, path: string): boolean {
  switch (m.type) {
    case 'Exact':
      return path === m.value;
    case 'Prefix': {
      const prefix = trimSlash(m.value);
      if (prefix === '/') return true;
      return path === prefix || path.startsWith(`${prefix}/`);
    }
    case 'RegularExpression':
      return m.regex.test(path);
  }
}

/**
 * Gateway API ReplacePrefixMatch: the matched prefix (trailing slash ignored) is replaced and the
 * rest of the path kept, so `/foo` + `/xyz` turns `/foo/bar` into `/xyz/bar` and `/foo` + `/`
 * turns `/foo/bar` into `/bar` and `/foo` into `/`.
 */
export function replacePrefix(path: string, matchedPrefix: string, replacement: string): string {
  const prefix = trimSlash(matchedPrefix);
  const remainder = prefix === '/' ? (path === '/' ? '' : path) : path.slice(prefix.length);
  const head = replacement.endsWith('/') ? replacement.slice(0, -1) : replacement;
  const out = head + remainder;
  return out === '' ? '/' : out.startsWith('/') ? out : `/${out}`;
}

/** Applies a path modifier (rewrite or redirect); `match` is the route's path match. */
export function modifyPath(mod: PathModifier, path: string, match: PathMatch): string {
  switch (mod.type) {
    case 'ReplaceFullPath':
      return mod.value;
    case 'ReplacePrefixMatch':
      return match.type === 'Prefix' ? replacePrefix(path, match.value, mod.value) : mod.value;
    case 'RegexReplace': {
      const m = mod.regex.exec(path);
      if (!m) return path;
      return mod.replacement.replace(/\$(\d)/g, (_, n: string) => m[Number(n)] ?? '');
    }
  }
}
