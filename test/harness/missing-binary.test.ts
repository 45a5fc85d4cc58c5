/**
 * A missing program is named before anything starts — with the Debian package that brings it —
 * and nothing is left behind: no process, no temporary directory. Also through `npm run demo`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MissingBinaryError, startProcessStack, startRedis } from '@bulwark/harness';

const ROOT = join(__dirname, '..', '..');
const NO_BINARIES = join(tmpdir(), 'bulwark-no-such-bin-dir');

describe('a missing program', () => {
  const { PATH, TMPDIR } = process.env;
  // A temporary directory of this test's own: whatever the harness would create and leave lands here.
  const temp = mkdtempSync(join(tmpdir(), 'bulwark-missing-binary-'));
  const leftovers = () => readdirSync(temp).filter((n) => n.startsWith('bulwark-'));
  beforeEach(() => {
    process.env.TMPDIR = temp;
  });
  afterEach(() => {
    process.env.PATH = PATH;
    if (TMPDIR === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = TMPDIR;
  });
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('stops the example stack before it starts anything, naming the package', async () => {
    process.env.PATH = NO_BINARIES;
    const err = await startProcessStack({ prometheus: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MissingBinaryError);
    expect((err as Error).message).toBe(
      'redis-server is not installed: it comes with the Debian package redis-server (apt-get install redis-server; npm run setup:test-deps installs every test dependency)',
    );
    expect(leftovers()).toEqual([]);
    await expect(startRedis()).rejects.toThrow('redis-server is not installed');
    expect(leftovers()).toEqual([]);
  });

  it('makes npm run demo say so and exit 1, leaving nothing behind', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bin/demo.ts', '--duration', '5'], {
      cwd: ROOT,
      env: { ...process.env, PATH: NO_BINARIES, TMPDIR: temp },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('demo: could not start: redis-server is not installed: it comes with the Debian package redis-server');
    expect(run.stderr).not.toMatch(/ENOENT|^\s+at /m);
    expect(leftovers()).toEqual([]);
  });
});
