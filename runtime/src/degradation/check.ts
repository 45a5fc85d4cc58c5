/** A dependency health check: resolves when healthy, rejects when not. The caller measures its latency. */
export type DependencyCheck = () => Promise<void>;

export class CheckTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`did not answer within ${timeoutMs} ms`);
    this.name = 'CheckTimeoutError';
  }
}

/**
 * Runs `check` and rejects with CheckTimeoutError if it has not settled after `timeoutMs`.
 * The timer is always cleared, so a finished check leaves nothing behind.
 */
export function runWithTimeout(check: DependencyCheck, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new CheckTimeoutError(timeoutMs)), timeoutMs);
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
