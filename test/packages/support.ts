/**
 * What the consumer test needs to act as a team would: build and pack the workspace packages,
 * run commands in projects outside the checkout, and read the README samples it compiles.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');

/** The published packages: workspace folder → package name. */
export const PACKAGES = {
  runtime: '@bulwark/runtime',
  alerts: '@bulwark/alerts',
  dashboards: '@bulwark/dashboards',
  constructs: '@bulwark/constructs',
  cli: '@bulwark/cli',
} as const;
export type PackageFolder = keyof typeof PACKAGES;

export interface Packed {
  readonly name: string;
  readonly folder: PackageFolder;
  /** Absolute path of the tarball. */
  readonly tarball: string;
  /** Paths inside the tarball (without the `package/` prefix), sorted. */
  readonly files: readonly string[];
}

/** Runs a command to completion; throws with its output when it fails or outlives `timeoutMs`. */
export function run(command: string, args: readonly string[], options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): string {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error || result.status !== 0) {
    const why = result.error ? String(result.error) : `exit ${result.status ?? result.signal}`;
    throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) failed: ${why}\n${output.slice(-6000)}`);
  }
  return output;
}

/** Builds every package (`npm run build`) and packs each into `destination`. */
export function buildAndPack(destination: string): Packed[] {
  run('npm', ['run', 'build'], { cwd: REPO_ROOT, timeoutMs: 600_000 });
  const workspaces = Object.values(PACKAGES).flatMap((name) => ['--workspace', name]);
  const out = run('npm', ['pack', ...workspaces, '--pack-destination', destination, '--json', '--silent'], { cwd: REPO_ROOT, timeoutMs: 600_000 });
  const packs = JSON.parse(out.slice(out.indexOf('['))) as { name: string; filename: string; files: { path: string }[] }[];
  return packs.map((p) => ({
    name: p.name,
    folder: (Object.keys(PACKAGES) as PackageFolder[]).find((f) => PACKAGES[f] === p.name)!,
    tarball: join(destination, p.filename),
    files: p.files.map((f) => f.path).sort(),
  }));
}

/** The version of a package this repository installed: the consumer projects pin the same, so npm's cache has it. */
export function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The code samples a README marks as files of a team's project: a fenced block right after
 * `<!-- file: path/in/project.ts -->`. Returns path → code.
 */
export function readmeSamples(readme: string): Map<string, string> {
  const samples = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- file: (\S+) -->\n```[a-z]*\n([\s\S]*?)```/g)) {
    const [, path, code] = m;
    if (samples.has(path!)) throw new Error(`two samples are marked as ${path}`);
    samples.set(path!, code!);
  }
  return samples;
}
