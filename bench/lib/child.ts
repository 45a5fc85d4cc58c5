import { fork, spawn, type ChildProcess } from 'node:child_process';
import { isAbsolute, join } from 'node:path';

/** Messages a bench child sends and receives over IPC: plain objects with a `type`. */
export interface BenchMessage {
  readonly type: string;
  readonly [field: string]: unknown;
}

const live = new Set<ChildProcess>();

/** Kills every child still running (SIGKILL); called on exit and on failure. */
export function killAllChildren(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

process.once('exit', killAllChildren);

/**
 * A bench child process running a TypeScript entry through tsx, with IPC. Its output goes to
 * this process's stderr so a crash is visible; it is killed when this process exits.
 */
export class BenchChild {
  readonly process: ChildProcess;
  private readonly inbox: BenchMessage[] = [];
  private readonly waiters: Array<{ type: string; resolve: (m: BenchMessage) => void; reject: (e: Error) => void }> = [];
  private exited = false;

  /**
   * `entry`: a TypeScript file under bench/ (run through tsx), or an absolute path to a bundled
   * JavaScript file (run by plain node, as the service image runs its bundle). `nodeFlags` go
   * to node before the entry (the image's flags: service/node-flags.json). `cpus`: run it pinned
   * to these CPUs (taskset's list syntax, e.g. "1"), every thread of it from the start.
   */
  constructor(entry: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}, nodeFlags: readonly string[] = [], cpus?: string) {
    const bundled = isAbsolute(entry) && entry.endsWith('.js');
    const file = bundled ? entry : join(__dirname, '..', entry);
    const execArgv = bundled ? [...nodeFlags] : [...nodeFlags, '--import', 'tsx'];
    const options = { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] as ('ignore' | 'inherit' | 'ipc')[] };
    // taskset execs node with the same file descriptors and environment, so the IPC channel works as with fork.
    this.process = cpus === undefined ? fork(file, [...args], { ...options, execArgv }) : spawn('taskset', ['-c', cpus, process.execPath, ...execArgv, file, ...args], options);
    live.add(this.process);
    this.process.on('message', (m: BenchMessage) => this.deliver(m));
    this.process.once('exit', (code, signal) => {
      this.exited = true;
      live.delete(this.process);
      const err = new Error(`bench child ${entry} exited (code ${String(code)}, signal ${String(signal)}) before answering`);
      for (const w of this.waiters.splice(0)) w.reject(err);
    });
  }

  send(message: BenchMessage): void {
    this.process.send(message);
  }

  /** The next message of `type` (queued ones first); rejects after `timeoutMs` or when the child dies. */
  next<T extends BenchMessage>(type: string, timeoutMs: number): Promise<T> {
    const queued = this.inbox.findIndex((m) => m.type === type || m.type === 'error');
    if (queued !== -1) return this.settle<T>(this.inbox.splice(queued, 1)[0]!);
    if (this.exited) return Promise.reject(new Error(`bench child exited; no "${type}" message will come`));
    return new Promise<BenchMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(new Error(`bench child sent no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        type,
        resolve: (m: BenchMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
    }).then((m) => this.settle<T>(m));
  }

  /** Sends `request` and waits for the answer of type `answer`. */
  async ask<T extends BenchMessage>(request: BenchMessage, answer: string, timeoutMs: number): Promise<T> {
    const reply = this.next<T>(answer, timeoutMs);
    this.send(request);
    return reply;
  }

  /** Asks the child to stop, then kills it if it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.process.once('exit', () => r()));
    try {
      this.send({ type: 'stop' });
    } catch {
      // IPC already closed: the kill below ends it.
    }
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  private deliver(m: BenchMessage): void {
    const i = this.waiters.findIndex((w) => w.type === m.type || m.type === 'error');
    if (i === -1) {
      this.inbox.push(m);
      return;
    }
    this.waiters.splice(i, 1)[0]!.resolve(m);
  }

  private settle<T extends BenchMessage>(m: BenchMessage): Promise<T> {
    if (m.type === 'error') return Promise.reject(new Error(`bench child failed: ${String(m.message)}`));
    return Promise.resolve(m as T);
  }
}

/** In a child: sends a message to the parent. */
export function toParent(message: BenchMessage): void {
  process.send?.(message);
}

/** In a child: handles parent messages; an exception is reported as an `error` message. */
export function onParentMessage(handler: (m: BenchMessage) => void | Promise<void>): void {
  process.on('message', (m: BenchMessage) => {
    Promise.resolve()
      .then(() => handler(m))
      .catch((err: unknown) => toParent({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
  });
  // The parent going away (IPC closed) ends the child: nothing is left running.
  process.once('disconnect', () => process.exit(0));
}

/** In a child: reports a startup failure to the parent, then exits 1 once the message is out. */
export function failToParent(err: unknown): void {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (!process.send) {
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
  process.send({ type: 'error', message }, () => process.exit(1));
}
