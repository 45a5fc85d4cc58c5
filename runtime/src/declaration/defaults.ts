import type { ImpactLevel } from '../degradation/levels';
import type { BreakerSettings, DependencyKind, HealthCheckSettings, Objectives, StartupSettings } from './types';

interface KindDefaults {
  readonly breaker: BreakerSettings;
  readonly impact: ImpactLevel;
  readonly slowImpact?: ImpactLevel;
  readonly slowThresholdMs: number;
}

/**
 * Per-kind defaults. Breaker thresholds come from seed 004: OpenAI opens after 5 failures and
 * retries after 60 s, PostgreSQL after 3 and 30 s, Redis after 5 and 20 s.
 */
export const KIND_DEFAULTS: Readonly<Record<DependencyKind, KindDefaults>> = {
  postgres: {
    breaker: { failureThreshold: 3, resetTimeoutMs: 30_000, successThreshold: 1, timeoutMs: 3_000 },
    impact: 'EMERGENCY',
    slowImpact: 'MINIMAL',
    slowThresholdMs: 500,
  },
  redis: {
    breaker: { failureThreshold: 5, resetTimeoutMs: 20_000, successThreshold: 1, timeoutMs: 500 },
    impact: 'DEGRADED',
    slowThresholdMs: 0,
  },
  openai: {
    breaker: { failureThreshold: 5, resetTimeoutMs: 60_000, successThreshold: 1, timeoutMs: 30_000 },
    impact: 'LIMITED',
    slowThresholdMs: 0,
  },
  s3: {
    breaker: { failureThreshold: 5, resetTimeoutMs: 60_000, successThreshold: 1, timeoutMs: 10_000 },
    impact: 'LIMITED',
    slowThresholdMs: 0,
  },
  http: {
    breaker: { failureThreshold: 5, resetTimeoutMs: 30_000, successThreshold: 1, timeoutMs: 5_000 },
    impact: 'LIMITED',
    slowThresholdMs: 0,
  },
};

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
export const DEFAULT_VERSION = '0.0.0';
