/**
 * Feature flags: every capability can be switched off instantly from the environment.
 * Unset means on (adopting Bulwark is what turns monitoring on); `false` switches a
 * capability off and it becomes a pass-through.
 */
export const FLAG = {
  startupValidation: 'ENABLE_STARTUP_VALIDATION',
  startupFailOnWarning: 'STARTUP_FAIL_ON_WARNING',
  circuitBreaker: 'ENABLE_CIRCUIT_BREAKER',
  prometheusMetrics: 'ENABLE_PROMETHEUS_METRICS',
  structuredLogging: 'ENABLE_STRUCTURED_LOGGING',
  gracefulDegradation: 'ENABLE_GRACEFUL_DEGRADATION',
} as const;

export type FlagKey = keyof typeof FLAG;
export type FlagName = (typeof FLAG)[FlagKey];
export type Flags = Readonly<Record<FlagKey, boolean>>;

/** Value when the variable is unset. STARTUP_FAIL_ON_WARNING is the one flag that is off unless asked for. */
export const FLAG_DEFAULTS: Flags = {
  startupValidation: true,
  startupFailOnWarning: false,
  circuitBreaker: true,
  prometheusMetrics: true,
  structuredLogging: true,
  gracefulDegradation: true,
};

/** The runtime's words for on and off, any case: the feature flags and every boolean setting (e.g. REDIS_TLS). */
export const TRUE_VALUES: readonly string[] = ['true', '1', 'yes', 'on'];
export const FALSE_VALUES: readonly string[] = ['false', '0', 'no', 'off'];
export const ACCEPTED_FLAG_VALUES: readonly string[] = ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'];

export class FlagError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid feature flag${problems.length > 1 ? 's' : ''}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'FlagError';
  }
}

/**
 * Parses every flag strictly. Throws one FlagError listing each invalid variable with the
 * accepted values; never echoes more than a short prefix of the bad value.
 */
export function parseFlags(env: NodeJS.ProcessEnv = process.env): Flags {
  const problems: string[] = [];
  const out = { ...FLAG_DEFAULTS };
  for (const key of Object.keys(FLAG) as FlagKey[]) {
    const name = FLAG[key];
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const v = raw.trim().toLowerCase();
    if (TRUE_VALUES.includes(v)) out[key] = true;
    else if (FALSE_VALUES.includes(v)) out[key] = false;
    else {
      const shown = JSON.stringify(raw.length > 20 ? `${raw.slice(0, 20)}…` : raw);
      problems.push(`${name}=${shown} is not a boolean; use one of ${ACCEPTED_FLAG_VALUES.join(', ')} (unset means ${FLAG_DEFAULTS[key]})`);
    }
  }
  if (problems.length) throw new FlagError(problems);
  return Object.freeze(out);
}

/** The environment a deployment sets so that every flag is explicit. */
export function flagsToEnv(flags: Partial<Flags> = {}): Record<FlagName, string> {
  const out = {} as Record<FlagName, string>;
  for (const key of Object.keys(FLAG) as FlagKey[]) out[FLAG[key]] = String(flags[key] ?? FLAG_DEFAULTS[key]);
  return out;
}
