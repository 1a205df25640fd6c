import { modifyPath } from './path-match.js';
import type { PathMatch, Redirect } from './route.js';

export interface RedirectRequest {
  scheme: 'http' | 'https';
  /** Hostname without port (normalised Host). */
  host: string;
  /** Port the request arrived on (the listener port). */
  port: number;
  path: string;
  query: string;
}

/**
 * Builds the Location for a Gateway API RequestRedirect. Without an explicit port: the scheme's
 * well-known port when the scheme changes, else the listener port; 80 for http and 443 for https
 * are left out of the URL.
 */
export function redirectLocation(r: Redirect, req: RedirectRequest, match: PathMatch): string {
  const scheme = r.scheme ?? req.scheme;
  const port = r.port ?? (r.scheme ? (r.scheme === 'https' ? 443 : 80) : req.port);
  const host = r.hostname ?? req.host;
  const path = r.path ? modifyPath(r.path, req.path, match) : req.path;
  const defaultPort = (scheme === 'http' && port === 80) || (scheme === 'https' && port === 443);
  return `${scheme}://${host}${defaultPort ? '' : `:${port}`}${path}${req.query}`;
}
