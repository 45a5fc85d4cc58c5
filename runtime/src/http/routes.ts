import { UNMATCHED_ENDPOINT } from '../metrics/catalog';

/** Maps a request to the route template used as its `endpoint` label, or 'unmatched'. Never the raw path. */
export type RouteMatcher = (method: string, rawPath: string) => string;

interface Node {
  readonly statics: Map<string, Node>;
  /** The same children as a list: a request's segments are compared in place, never sliced or hashed. */
  readonly staticList: Array<readonly [string, Node]>;
  param?: Node;
  /** Templates ending here: by method (upper case), or for any method under '*'. */
  readonly endpoints: Map<string, string>;
}

const ANY_METHOD = '*';
const TEMPLATE = /^(?:([A-Z]+) )?(\/\S*)$/;

function newNode(): Node {
  return { statics: new Map(), staticList: [], endpoints: new Map() };
}

function segmentsOf(path: string): string[] {
  const parts = path.split('/');
  // '/a/b/' and '/a/b' are the same route; '/' is the root (no segments).
  const start = 1;
  let end = parts.length;
  if (end > start && parts[end - 1] === '') end--;
  return start >= end ? [] : parts.slice(start, end);
}

/**
 * Precompiles route templates (`/providers/:id`, optionally method-qualified: `POST /providers`)
 * into a segment tree. Static segments win over `:param` segments; the query string and a
 * trailing slash are ignored. Static templates are answered by one map lookup.
 */
export function createRouteMatcher(templates: readonly string[]): RouteMatcher {
  const root = newNode();
  const staticPaths = new Map<string, Map<string, string>>();
  // Lengths of the static paths: most request paths (with ids in them) skip the map lookup, which
  // would hash each new path string.
  const staticLengths = new Set<number>();
  for (const template of templates) {
    const m = TEMPLATE.exec(template);
    if (!m) {
      throw new Error(`route template "${template}" is invalid: write a path starting with "/" (e.g. "/providers/:id"), optionally after a method ("POST /providers")`);
    }
    const method = m[1] ?? ANY_METHOD;
    const path = m[2]!;
    const segments = segmentsOf(path);
    let node = root;
    let isStatic = true;
    for (const segment of segments) {
      if (segment.startsWith(':')) {
        if (segment.length === 1) throw new Error(`route template "${template}": a ":" segment needs a parameter name (e.g. ":id")`);
        isStatic = false;
        node = node.param ??= newNode();
      } else {
        let next = node.statics.get(segment);
        if (!next) {
          node.statics.set(segment, (next = newNode()));
          node.staticList.push([segment, next]);
        }
        node = next;
      }
    }
    if (!node.endpoints.has(method)) node.endpoints.set(method, path);
    if (isStatic) {
      const key = segments.length === 0 ? '/' : `/${segments.join('/')}`;
      let byMethod = staticPaths.get(key);
      if (!byMethod) staticPaths.set(key, (byMethod = new Map()));
      staticLengths.add(key.length);
      if (!byMethod.has(method)) byMethod.set(method, path);
    }
  }

  const pick = (endpoints: Map<string, string> | undefined, method: string): string | undefined =>
    endpoints === undefined || endpoints.size === 0 ? undefined : (endpoints.get(method) ?? endpoints.get(ANY_METHOD));

  // Walks the segments of path[start, end) (as segmentsOf would split it) without building an
  // array or slicing: each segment is compared in place. start > end: no segment left.
  const walk = (node: Node, path: string, start: number, end: number, method: string): string | undefined => {
    if (start > end) return pick(node.endpoints, method);
    let slash = path.indexOf('/', start);
    if (slash === -1 || slash > end) slash = end;
    const length = slash - start;
    const statics = node.staticList;
    for (let i = 0; i < statics.length; i++) {
      const child = statics[i]!;
      const segment = child[0];
      if (segment.length === length && path.startsWith(segment, start)) {
        const found = walk(child[1], path, slash + 1, end, method);
        if (found !== undefined) return found;
        break;
      }
    }
    if (node.param && length > 0) return walk(node.param, path, slash + 1, end, method);
    return undefined;
  };

  return (method, rawPath) => {
    const q = rawPath.indexOf('?');
    let path = q === -1 ? rawPath : rawPath.slice(0, q);
    const hash = path.indexOf('#');
    if (hash !== -1) path = path.slice(0, hash);
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    if (staticLengths.has(path.length)) {
      const direct = pick(staticPaths.get(path), method);
      if (direct !== undefined) return direct;
    }
    if (path.charCodeAt(0) !== 47 /* '/' */) return UNMATCHED_ENDPOINT;
    // segmentsOf ignores one trailing slash (after the one removed above).
    const end = path.charCodeAt(path.length - 1) === 47 /* '/' */ ? path.length - 1 : path.length;
    return walk(root, path, 1, end, method) ?? UNMATCHED_ENDPOINT;
  };
}
