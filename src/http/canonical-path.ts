/** A request target in the one spelling the bot routes on. */
export interface CanonicalTarget {
  /** Decoded, dot segments resolved, slashes collapsed, no trailing slash, lower case. */
  path: string;
  /** The query string as sent (with its `?`), or empty: no route reads it. */
  search: string;
  /**
   * The same path with its case as sent, for the few routes that serve names where case matters
   * (the queue dashboard's files and queue names). Routers still match on `path`.
   */
  casedPath: string;
}

/** Absolute-form targets (`http://host/path`), which HTTP/1.1 servers must accept from proxies. */
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/**
 * After one decoding: a `%` is a second layer of escapes, `?` and `#` would move the boundary of
 * the path, and control characters are dropped or altered by URL parsers (WHATWG strips tabs and
 * newlines). None has an honest use in our routes, and each could make a later parser see another
 * path than the one that was guarded.
 */
// eslint-disable-next-line no-control-regex
const REFUSED = /[%?#\x00-\x1f\x7f]/;

/**
 * The path every router behind the guard sees, so that `/slack/events/`, `//slack/events`,
 * `/SLACK/events`, `/slack/./events` and `/slack/%65vents` are one route, guarded once, rather
 * than spellings that slip past a guard comparing strings and then match (or 404) elsewhere.
 * Backslashes count as slashes, as WHATWG URL parsing treats them for http. Routes must therefore
 * be registered in lower case. Undefined for a target that cannot be decoded or holds what
 * REFUSED names: answer those 400.
 */
export function canonicalTarget(target: string): CanonicalTarget | undefined {
  let rest = target.replace(ABSOLUTE_FORM, '');
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const query = rest.indexOf('?');
  const rawPath = query >= 0 ? rest.slice(0, query) : rest;
  const search = query >= 0 ? rest.slice(query) : '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  if (REFUSED.test(decoded)) return undefined;
  const segments: string[] = [];
  for (const segment of decoded.replaceAll('\\', '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  // Re-serialised by the URL parser Bolt routes with, so what Bolt parses is exactly what was checked.
  const casedPath = new URL(`/${segments.join('/')}`, 'http://localhost').pathname;
  const path = new URL(`/${segments.map((s) => s.toLowerCase()).join('/')}`, 'http://localhost').pathname;
  return { path, search, casedPath };
}
