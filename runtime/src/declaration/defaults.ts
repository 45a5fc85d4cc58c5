import { BUILTIN_KINDS } from '../kinds/builtin';
import type { KindDefaults } from '../kinds/kind';
import type { DEPENDENCY_KINDS, HealthCheckSettings, Objectives, RateLimitSettings, StartupSettings } from './types';

/** The built-in kinds' defaults, by kind (a kind describes its own: `kindOf(name).defaults`). */
export const KIND_DEFAULTS: Readonly<Record<(typeof DEPENDENCY_KINDS)[number], KindDefaults>> = Object.fromEntries(
  BUILTIN_KINDS.map((k) => [k.name, k.defaults]),
) as Record<(typeof DEPENDENCY_KINDS)[number], KindDefaults>;

/** Periodic checks every 5 s (the seed's 30 s is too slow to matter); recover after 2 healthy checks. */
export const HEALTH_CHECK_DEFAULTS: HealthCheckSettings = {
  intervalMs: 5_000,
  timeoutMs: 2_000,
  healthyThreshold: 2,
  unhealthyThreshold: 1,
};

/**
 * The fastest error-budget burn rate the generated SLO alerts page on: 14.4× the budget rate over
 * 1 h spends 2 % of a 30-day budget (the SRE workbook's multi-window, multi-burn-rate alerts).
 * An objective whose budget is so large that even every request failing burns slower than this
 * could never page, so declarations must leave a budget below 1/14.4 (objective ≥ 93.06 %).
 */
export const SLO_PAGE_BURN_RATE = 14.4;

export const OBJECTIVE_DEFAULTS: Objectives = {
  availability: 0.995,
  latency: { thresholdMs: 100, target: 0.95 },
  windowDays: 30,
};

/** The seed's startup budget: validation completes in under 5 s. */
export const STARTUP_DEFAULTS: StartupSettings = {
  timeoutMs: 5_000,
  checkTimeoutMs: 2_000,
  onCriticalFailure: 'exit',
};

export const DEFAULT_PORT = 8080;
/** The admin listener's port: the one Prometheus exporters conventionally use (OpenTelemetry's among them). */
export const DEFAULT_ADMIN_PORT = 9464;

/** 10 requests a second per client on average, with bursts up to 600: generous for people, a brake on scripts. */
export const RATE_LIMIT_DEFAULTS: RateLimitSettings = { requests: 600, windowMs: 60_000 };
export const DEFAULT_VERSION = '0.0.0';
