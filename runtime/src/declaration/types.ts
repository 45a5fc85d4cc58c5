import type { Capability, ImpactLevel } from '../degradation/levels';

/** The kinds Bulwark ships; a team can register its own (`registerKind`). */
export const DEPENDENCY_KINDS = ['postgres', 'redis', 'openai', 's3', 'http'] as const;
/** A registered kind's name: a built-in one or a team's own. */
export type DependencyKind = (typeof DEPENDENCY_KINDS)[number] | (string & {});

export interface BreakerSettings {
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number;
  /** Time the breaker stays open before it lets one probe through (half-open), in ms. */
  readonly resetTimeoutMs: number;
  /** Consecutive successful probes needed to close from half-open. */
  readonly successThreshold: number;
  /** Per-call timeout, in ms; a call that takes longer counts as a failure. */
  readonly timeoutMs: number;
}

export interface HealthCheckSettings {
  /** Time between periodic health checks, in ms. */
  readonly intervalMs: number;
  /** Time one check may take before it counts as failed, in ms. */
  readonly timeoutMs: number;
  /** Consecutive healthy checks needed before an unhealthy dependency counts as recovered. */
  readonly healthyThreshold: number;
  /** Consecutive failed checks that mark a healthy dependency unhealthy. */
  readonly unhealthyThreshold: number;
}

export interface DependencyDeclaration {
  readonly kind: DependencyKind;
  /** Whether startup fails when this dependency is unreachable. */
  readonly critical: boolean;
  /** The level the service drops to while this dependency is down. */
  readonly impact: ImpactLevel;
  /** A check slower than this (ms) marks the dependency slow; 0 disables slowness detection. */
  readonly slowThresholdMs: number;
  /** The level the service drops to while this dependency is slow (usually MINIMAL for a database). */
  readonly slowImpact?: ImpactLevel;
  /** Environment variable holding its connection URL or key (checked at startup, never logged). */
  readonly env?: string;
  /** Instead of `env`: the variable of each connection setting, for kinds that take them split (PostgreSQL: host → PGHOST, …). */
  readonly connection?: Readonly<Record<string, string>>;
  /** Capabilities refused whenever this dependency is down, whatever the level (default: its kind's). */
  readonly provides: readonly Capability[];
  readonly breaker: BreakerSettings;
  readonly healthCheck: HealthCheckSettings;
}

export interface EnvVarDeclaration {
  /** A missing required variable is a critical startup failure; a missing optional one a warning. */
  readonly required: boolean;
  /** Secret values never reach logs, metrics, templates or error messages; deployments inject them from a secret store. */
  readonly secret: boolean;
  readonly description?: string;
}

export interface Objectives {
  /** Fraction of requests that must not fail with 5xx over the window, e.g. 0.995. */
  readonly availability: number;
  /** Latency objective: `target` fraction of requests faster than `thresholdMs`. */
  readonly latency: { readonly thresholdMs: number; readonly target: number };
  /** SLO window in days. */
  readonly windowDays: number;
}

export interface StartupSettings {
  /** Budget for the whole validation, in ms (seed: 5 s). */
  readonly timeoutMs: number;
  /** Timeout for one dependency check, in ms. */
  readonly checkTimeoutMs: number;
  /** On a critical failure: `exit` (exit 1) or `degraded` (start at the level the failures cause). */
  readonly onCriticalFailure: 'exit' | 'degraded';
}

/**
 * The admin listener: `/metrics` and `/health*` on a port of their own, so the application's port
 * (the one a load balancer or ingress exposes) serves the application and `/health/ready` only.
 */
export interface AdminSettings {
  /** Port of the admin listener; deployments point scrapes, probes and container health checks at it. */
  readonly port: number;
}

/** Per-client request rate limit of the application's port (a token bucket per client address). */
export interface RateLimitSettings {
  /** Requests one client may make per window, as a burst or spread out; 0 switches the limit off. */
  readonly requests: number;
  /** The window, in ms: a client's allowance refills evenly over it. */
  readonly windowMs: number;
}

/** A validated service declaration with every default filled in. JSON-serialisable. */
export interface ServiceDeclaration {
  readonly name: string;
  readonly version: string;
  readonly port: number;
  readonly admin: AdminSettings;
  readonly rateLimit: RateLimitSettings;
  readonly dependencies: Readonly<Record<string, DependencyDeclaration>>;
  readonly env: Readonly<Record<string, EnvVarDeclaration>>;
  readonly objectives: Objectives;
  readonly startup: StartupSettings;
  /** Route templates (e.g. `/providers/:id`) used as the bounded `endpoint` label. */
  readonly routes: readonly string[];
  /** The capabilities each route needs (only routes that declare some): refused with 503 + Retry-After while unavailable. */
  readonly routeRequires: Readonly<Record<string, readonly Capability[]>>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** What a team writes: only `kind` per dependency is required; everything else has a default. */
export interface DependencyInput extends DeepPartial<Omit<DependencyDeclaration, 'kind' | 'connection'>> {
  readonly kind: DependencyKind;
  /** `'split'`: the kind's settings from their default variables (libpq's PG*); or a variable per setting. */
  readonly connection?: 'split' | Readonly<Record<string, string>>;
}

export interface ServiceInput {
  readonly name: string;
  readonly version?: string;
  readonly port?: number;
  /** The admin listener serving `/metrics` and `/health*`; its port must differ from `port`. */
  readonly admin?: Partial<AdminSettings>;
  /** Per-client rate limit of the application's routes (`{ requests: 0 }` switches it off). */
  readonly rateLimit?: Partial<RateLimitSettings>;
  readonly dependencies?: Readonly<Record<string, DependencyInput>>;
  /** `true`/`false` is shorthand for `{ required }`. */
  readonly env?: Readonly<Record<string, boolean | Partial<EnvVarDeclaration>>>;
  readonly objectives?: DeepPartial<Objectives>;
  readonly startup?: Partial<StartupSettings>;
  /** Route templates; a route that needs capabilities says so: `{ path: '/orders/:id/summary', requires: ['ai'] }`. */
  readonly routes?: readonly (string | RouteInput)[];
}

export interface RouteInput {
  readonly path: string;
  /** Capabilities the route needs; `ai` and `cache` must be provided by a declared dependency. */
  readonly requires?: readonly Capability[];
}
