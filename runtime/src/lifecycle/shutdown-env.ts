export interface ShutdownOptions {
  /**
   * Time between readiness failing and the servers closing, so load balancers stop routing
   * here before connections close. Requests keep being served meanwhile.
   * @default SHUTDOWN_DRAIN_DELAY_MS from the environment, else 0
   */
  readonly drainDelayMs?: number;
  /** Hard bound on draining in-flight requests; connections still open then are destroyed. @default SHUTDOWN_TIMEOUT_MS from the environment, else 10000 */
  readonly timeoutMs?: number;
}

/** Environment variables that tune shutdown; deployments set them explicitly, like the flags. */
export const SHUTDOWN_ENV = {
  /** Milliseconds the service keeps serving after readiness starts failing (for load balancers and Kubernetes endpoints to notice). */
  drainDelayMs: 'SHUTDOWN_DRAIN_DELAY_MS',
  /** Hard bound, in milliseconds, on draining in-flight requests. */
  timeoutMs: 'SHUTDOWN_TIMEOUT_MS',
} as const;

export const SHUTDOWN_DEFAULTS: Required<ShutdownOptions> = { drainDelayMs: 0, timeoutMs: 10_000 };

const MAX_MS = 300_000;

/** Reads SHUTDOWN_DRAIN_DELAY_MS and SHUTDOWN_TIMEOUT_MS; an invalid value throws naming the variable and the accepted range. */
export function shutdownFromEnv(env: NodeJS.ProcessEnv): Required<ShutdownOptions> {
  const read = (key: keyof typeof SHUTDOWN_ENV): number => {
    const name = SHUTDOWN_ENV[key];
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return SHUTDOWN_DEFAULTS[key];
    const ms = Number(raw.trim());
    if (!Number.isInteger(ms) || ms < 0 || ms > MAX_MS) {
      throw new Error(`${name}=${JSON.stringify(raw.slice(0, 20))} is not valid; use a whole number of milliseconds from 0 to ${MAX_MS} (unset means ${SHUTDOWN_DEFAULTS[key]})`);
    }
    return ms;
  };
  return { drainDelayMs: read('drainDelayMs'), timeoutMs: read('timeoutMs') };
}
