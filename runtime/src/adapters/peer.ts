/**
 * ioredis, pg and openai are optional peer dependencies: a service installs only the clients it
 * uses, so adapters load them on first use instead of when the runtime is imported.
 */
const cache = new Map<string, unknown>();

export function loadPeer<T>(pkg: 'ioredis' | 'pg' | 'openai', adapter: string): T {
  let mod = cache.get(pkg);
  if (mod === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(pkg) as unknown;
    } catch (err) {
      throw new Error(`the ${adapter} adapter needs the "${pkg}" package; add it to your service's dependencies (npm install ${pkg})`, { cause: err });
    }
    cache.set(pkg, mod);
  }
  return mod as T;
}
