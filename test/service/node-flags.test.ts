/**
 * service/node-flags.json is the one list of node flags the service image runs with: the
 * Dockerfile's CMD must carry exactly these, and the bench runs the bundled service with them
 * (bench/service/bundle.ts), so the RSS the bench reports is the image's.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageNodeFlags } from '../../bench/service/bundle';

const ROOT = join(__dirname, '..', '..');
const flags = JSON.parse(readFileSync(join(ROOT, 'service', 'node-flags.json'), 'utf8')) as unknown;

/** The exec-form CMD of the Dockerfile's last stage, as an array. */
function imageCommand(): unknown {
  const dockerfile = readFileSync(join(ROOT, 'service', 'Dockerfile'), 'utf8');
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const cmds = lastStage.match(/^CMD .*$/gm) ?? [];
  expect(cmds).toHaveLength(1);
  return JSON.parse(cmds[0]!.slice('CMD '.length));
}

describe('service/node-flags.json', () => {
  it('is a list of node flags', () => {
    expect(Array.isArray(flags)).toBe(true);
    for (const flag of flags as unknown[]) expect(flag).toMatch(/^--[a-z0-9-]+(=\S+)?$/);
  });

  it('is exactly what service/Dockerfile runs: CMD ["node", ...flags, "service.js"]', () => {
    expect(imageCommand()).toEqual(['node', ...(flags as string[]), 'service.js']);
  });

  it('is what the bench runs the bundled service with', () => {
    expect(imageNodeFlags()).toEqual(flags);
  });

  it('is accepted by this node (a mistyped V8 flag makes node refuse to start)', () => {
    const run = spawnSync(process.execPath, [...(flags as string[]), '-e', 'process.stdout.write("ok")'], { encoding: 'utf8', timeout: 10_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('ok');
    expect(run.status).toBe(0);
  });
});
