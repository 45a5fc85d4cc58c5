import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * The node flags the image runs the bundle with: service/Dockerfile's CMD is
 * `["node", ...these flags, "service.js"]` (test/service/node-flags.test.ts keeps the two equal).
 */
export function imageNodeFlags(): string[] {
  const flags: unknown = JSON.parse(readFileSync(join(ROOT, 'service', 'node-flags.json'), 'utf8'));
  if (!Array.isArray(flags) || !flags.every((f) => typeof f === 'string' && f.startsWith('--'))) {
    throw new Error('service/node-flags.json must be a JSON array of node flags such as ["--max-semi-space-size=8"]');
  }
  return flags as string[];
}

/** The esbuild options of service/Dockerfile (the image runs `node service.js`, not tsx). */
interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/**
 * Bundles `entry` (relative to the repository root) the way service/Dockerfile bundles
 * service/main.ts, into a temporary directory. The optional peers (pg, ioredis, openai) stay
 * external and resolve from the repository's node_modules through NODE_PATH.
 */
export async function bundleLikeTheImage(
  entry: string,
): Promise<{ file: string; env: NodeJS.ProcessEnv; nodeFlags: string[]; remove: () => void }> {
  // esbuild comes with tsx (and is what the image's build stage runs).
  const esbuild = require('esbuild') as EsbuildApi;
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-'));
  const file = join(dir, 'service.js');
  await esbuild.build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    tsconfig: join(ROOT, 'tsconfig.json'),
    external: ['pg', 'ioredis', 'openai'],
    outfile: file,
    logLevel: 'warning',
  });
  return {
    file,
    env: { NODE_PATH: join(ROOT, 'node_modules'), NODE_ENV: 'production' },
    nodeFlags: imageNodeFlags(),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
