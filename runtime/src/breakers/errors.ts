/** Thrown (or handed to the fallback) when a breaker refuses a call: it is open, or half-open with its probe in flight. */
export class BreakerOpenError extends Error {
  readonly code = 'EOPENBREAKER';
  constructor(
    readonly breaker: string,
    /** How long until the breaker lets a probe through (0 when a probe may already be running). */
    readonly retryAfterMs: number,
  ) {
    super(`circuit breaker "${breaker}" is open; retry in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'BreakerOpenError';
  }
}

/** A call that outlived its breaker's per-call timeout; its AbortSignal was aborted with this error. */
export class BreakerTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly breaker: string,
    readonly timeoutMs: number,
  ) {
    super(`call through circuit breaker "${breaker}" timed out after ${timeoutMs} ms`);
    this.name = 'BreakerTimeoutError';
  }
}

/** Thrown by `fire` after the registry was shut down. */
export class BreakerShutdownError extends Error {
  readonly code = 'ESHUTDOWN';
  constructor(readonly breaker: string) {
    super(`circuit breaker "${breaker}" has been shut down`);
    this.name = 'BreakerShutdownError';
  }
}
