import { RequestPathError } from './errors.js';

export interface RequestTarget {
  /** Normalised path, always starting with '/'; what routing matches and the backend receives. */
  path: string;
  /** The query string including its leading '?', or '' (passed through untouched). */
  query: string;
  /** Host from an absolute-form target (`GET http://host/x`), which overrides the Host header. */
  authority?: string;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** What steps 1-4 below can change or refuse: escapes, backslashes, `/.`, `//`. */
const NEEDS_WORK = /%|\\|\/\.|\/\//;

/**
 * Normalises a request target so that no spelling of a path can reach a route that its plain
 * spelling would not (e.g. `/public/../admin` must route as `/admin`, never under `/public`):
 *  1. percent-decode unreserved characters (`%2e` -> `.`, `%41` -> `A`); other escapes are kept,
 *     with upper-case hex;
 *  2. reject (400) malformed escapes, NUL, backslashes, encoded `/` or `\`, and dot segments with
 *     path parameters (`..;x`) — a backend that decodes or strips them after us would see a
 *     different path than the one we routed;
 *  3. merge repeated slashes (`//a///b` -> `/a/b`);
 *  4. remove `.` and `..` segments (RFC 3986 5.2.4); `..` at the root stays at the root.
 * A trailing slash is kept, so `Exact /foo` and `Exact /foo/` stay distinct.
 */
export function normalizeRequestTarget(url: string): RequestTarget {
  let rest = url;
  let authority: string | undefined;
  const abs = rest.startsWith('/') ? null : /^https?:\/\/([^/?#]*)/i.exec(rest);
  if (abs) {
    authority = abs[1];
    rest = rest.slice(abs[0].length) || '/';
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const rawPath = q >= 0 ? rest.slice(0, q) : rest;
  const query = q >= 0 ? rest.slice(q) : '';
  if (!rawPath.startsWith('/')) throw new RequestPathError('request target is not a path', url);
  // Most paths are already normal: nothing to decode, no dot segment, no empty segment.
  const path = NEEDS_WORK.test(rawPath)
    ? removeDotSegments(decodeUnreserved(rawPath, url))
    : rawPath;
  return authority === undefined ? { path, query } : { path, query, authority };
}

function decodeUnreserved(raw: string, url: string): string {
  if (raw.includes('\\')) throw new RequestPathError('backslash in path', url);
  if (!raw.includes('%')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c !== '%') {
      out += c;
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new RequestPathError('malformed percent escape', url);
    const ch = String.fromCharCode(parseInt(hex, 16));
    if (ch === '/' || ch === '\\' || ch === '\0') {
      throw new RequestPathError(`encoded ${JSON.stringify(ch)} in path`, url);
    }
    out += UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

function removeDotSegments(path: string): string {
  const segments = path.split('/').slice(1);
  const out: string[] = [];
  let trailing = false;
  for (const seg of segments) {
    trailing = false;
    // `..;x` is `..` to servlet containers (path parameters): refuse rather than guess.
    const semi = seg.indexOf(';');
    if (semi >= 0 && /^\.\.?$/.test(seg.slice(0, semi))) {
      throw new RequestPathError('dot segment with path parameters', path);
    }
    if (seg === '' || seg === '.') {
      trailing = true;
    } else if (seg === '..') {
      out.pop();
      trailing = true;
    } else {
      out.push(seg);
    }
  }
  const joined = `/${out.join('/')}`;
  return trailing && out.length > 0 ? `${joined}/` : joined;
}
