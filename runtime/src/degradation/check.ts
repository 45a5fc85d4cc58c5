/** A dependency health check: resolves when healthy, rejects when not. The caller measures its latency. */
export type DependencyCheck = () => Promise<void>;

export class CheckTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`did not answer within ${timeoutMs} ms`);
    this.name = 'CheckTimeoutError';
  }
}

/**
 * Calls `expire` once `ms` have passed, but only after the I/O that arrived meanwhile has been read.
 * Node runs expired timers before it polls for I/O: when this process was stalled past the
 * deadline (a busy host, a long garbage collection), a plain timer would report a timeout although
 * the answer is already waiting to be read. `setImmediate` runs after that poll.
 */
export function deadline(ms: number, expire: () => void): NodeJS.Timeout {
  return setTimeout(() => setImmediate(expire), ms);
}

/**
 * Runs `check` and rejects with CheckTimeoutError if it has not settled after `timeoutMs`
 * (an answer that arrived while this process was stalled still counts: see `deadline`).
 * The timer is always cleared, so a finished check leaves nothing behind.
 */
export function runWithTimeout(check: DependencyCheck, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = deadline(timeoutMs, () => reject(new CheckTimeoutError(timeoutMs)));
    let started: Promise<void>;
    try {
      started = Promise.resolve(check());
    } catch (e) {
      started = Promise.reject(e);
    }
    started.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** The message of anything thrown, on one line (an AggregateError, e.g. from a dual-stack connect, shows its parts). */
export function errorMessage(e: unknown): string {
  let raw: string;
  if (e instanceof AggregateError && !e.message && e.errors.length) raw = e.errors.map(errorMessage).join('; ');
  else if (e instanceof Error) raw = e.message || String((e as { code?: unknown }).code ?? '') || e.name;
  else raw = typeof e === 'string' ? e : String(e);
  return raw.replace(/\s*[\r\n]+\s*/g, ' ').trim() || 'unknown error';
}
