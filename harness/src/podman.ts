/**
 * podman as these machines can run it: the `runc` runtime and the `cgroupfs` cgroup manager on
 * every call (crun fails on the hybrid cgroup layout here), and explicit, unraised ulimits on
 * every container (raising a limit is refused). Arguments are arrays, never a shell line; output
 * is captured; a failure's message carries podman's own stderr (its tail).
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { requireBinary } from './binaries';

/** Where Debian puts runc and debootstrap; not always on PATH (a non-login root shell, a test runner). */
export const SBIN_DIRS: readonly string[] = ['/usr/sbin', '/sbin'];

/** Limits at (not above) what this machine grants; podman would otherwise try to raise them. */
export const PODMAN_ULIMITS: readonly string[] = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

/** Subcommands that start a container (or build steps in one): each gets PODMAN_ULIMITS. */
const CONTAINER_SUBCOMMANDS = new Set(['run', 'build', 'create']);

/** A podman call bounded this long unless told otherwise: minutes, the machine is shared and often loaded. */
export const PODMAN_DEFAULT_TIMEOUT_MS = 5 * 60_000;

export interface PodmanPrograms {
  readonly podman: string;
  readonly runc: string;
}

/** podman and runc, found (or a MissingBinaryError naming the Debian package). */
export function requirePodman(): PodmanPrograms {
  return { podman: requireBinary('podman', 'podman', SBIN_DIRS), runc: requireBinary('runc', 'runc', SBIN_DIRS) };
}

/** podman's global flags for this machine. */
export function podmanGlobalArgs(programs: PodmanPrograms = requirePodman()): string[] {
  return ['--runtime', programs.runc, '--cgroup-manager', 'cgroupfs'];
}

/** The full argument list for `podman <args>`: global flags first, ulimits right after a container subcommand. */
export function podmanArgs(args: readonly string[], programs: PodmanPrograms = requirePodman()): string[] {
  const [sub, ...rest] = args;
  const withLimits = sub !== undefined && CONTAINER_SUBCOMMANDS.has(sub) ? [sub, ...PODMAN_ULIMITS, ...rest] : [...args];
  return [...podmanGlobalArgs(programs), ...withLimits];
}

export interface PodmanResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface PodmanOptions {
  /** Killed (SIGKILL) after this long; the error says so. @default PODMAN_DEFAULT_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** Fed to podman's stdin (a string, or a stream piped in, e.g. a tar of a root file system). */
  readonly input?: string | Readable;
  /** Resolve with the result whatever the exit code, instead of rejecting on a non-zero one. */
  readonly allowFailure?: boolean;
  /** Called with each chunk of stdout as it arrives (progress, logs of a running container). */
  readonly onStdout?: (chunk: string) => void;
}

export class PodmanError extends Error {
  constructor(
    message: string,
    readonly result: PodmanResult,
  ) {
    super(message);
    this.name = 'PodmanError';
  }
}

/** Keeps the last `max` characters of what a process printed (a build prints a lot). */
function tail(text: string, max = 4_000): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/** Runs `podman <args>` with this machine's flags; resolves with its output, rejects on failure or timeout. */
export function podman(args: readonly string[], options: PodmanOptions = {}): Promise<PodmanResult> {
  const programs = requirePodman();
  const full = podmanArgs(args, programs);
  const timeoutMs = options.timeoutMs ?? PODMAN_DEFAULT_TIMEOUT_MS;
  const what = `podman ${args.slice(0, 3).join(' ')}${args.length > 3 ? ' …' : ''}`;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(programs.podman, full, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError: Error | undefined;
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => {
      stdout += c;
      options.onStdout?.(c);
    });
    child.stderr!.on('data', (c: string) => {
      // Keep a bounded amount: the tail is what explains a failure.
      stderr = (stderr + c).slice(-64_000);
    });
    if (options.input !== undefined) {
      child.stdin!.on('error', () => undefined); // podman exiting early: its exit code and stderr tell why
      if (typeof options.input === 'string') child.stdin!.end(options.input);
      else options.input.pipe(child.stdin!);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => (spawnError = err));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: PodmanResult = { code, signal, stdout, stderr, ms: Date.now() - started };
      if (spawnError) return reject(new PodmanError(`${what} could not start: ${spawnError.message}`, result));
      if (timedOut) return reject(new PodmanError(`${what} did not finish within ${timeoutMs} ms (killed); stderr: ${tail(stderr)}`, result));
      if (code !== 0 && !options.allowFailure) {
        return reject(new PodmanError(`${what} failed (exit ${code ?? signal}); stderr: ${tail(stderr) || '(empty)'}${stderr ? '' : `; stdout: ${tail(stdout, 2_000)}`}`, result));
      }
      resolve(result);
    });
  });
}

/** Whether a local image with this name exists (`podman image exists`: exit 0 yes, 1 no). */
export async function podmanImageExists(image: string, options: { readonly timeoutMs?: number } = {}): Promise<boolean> {
  const r = await podman(['image', 'exists', image], { allowFailure: true, timeoutMs: options.timeoutMs ?? 60_000 });
  if (r.code === 0) return true;
  if (r.code === 1) return false;
  throw new PodmanError(`podman image exists ${image} failed (exit ${r.code ?? r.signal}); stderr: ${tail(r.stderr)}`, r);
}

/** `podman image inspect --format <format> <image>`, trimmed. */
export async function podmanImageInspect(image: string, format: string): Promise<string> {
  const r = await podman(['image', 'inspect', '--format', format, image], { timeoutMs: 60_000 });
  return r.stdout.trim();
}
