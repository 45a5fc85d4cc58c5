import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The esbuild options of service/Dockerfile (the image runs `node service.js`, not tsx). */
interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/**
 * Bundles `entry` (relative to the repository root) the way service/Dockerfile bundles
 * service/main.ts, into a temporary directory. The optional peers (pg, ioredis, openai) stay
 * external and resolve from the repository's node_modules through NODE_PATH.
 */
export async function bundleLikeTheImage(entry: string): Promise<{ file: string; env: NodeJS.ProcessEnv; remove: () => void }> {
  // esbuild comes with tsx (and is what the image's build stage runs).
  const esbuild = require('esbuild') as EsbuildApi;
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-'));
  const file = join(dir, 'service.js');
  await esbuild.build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    tsconfig: join(ROOT, 'tsconfig.json'),
    external: ['pg', 'ioredis', 'openai'],
    outfile: file,
    logLevel: 'warning',
  });
  return {
    file,
    env: { NODE_PATH: join(ROOT, 'node_modules'), NODE_ENV: 'production' },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
