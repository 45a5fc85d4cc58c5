import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { DependencyDeclaration, DependencyKind, ServiceDeclaration } from '../declaration/types';
import { LABEL } from '../metrics/catalog';
import type { RuntimeMetrics } from '../metrics/registry';
import { SecretRedactor } from '../secrets/redact';
import { errorMessage, runWithTimeout, type DependencyCheck } from './check';
import { CAPABILITY, LEVEL, levelName, type Capability, type LevelName, type LevelValue } from './levels';
import { StallClock } from './stalls';

export type { DependencyCheck } from './check';

export interface DependencyStatus {
  readonly name: string;
  readonly kind: DependencyKind;
  /** disabled: an optional dependency that is not configured; it counts for nothing in the level. */
  readonly state: 'healthy' | 'slow' | 'down' | 'disabled';
  /** Why it is disabled (what to set to enable it). */
  readonly disabledReason?: string;
  readonly healthy: boolean;
  /** Reachable but slower than its slowThresholdMs. */
  readonly slow: boolean;
  /** Latency of the last check, in ms. */
  readonly lastCheckMs?: number;
  /** Why the dependency is (or last was) not fully healthy; redacted. */
  readonly lastError?: string;
  /** Healthy, not slow checks in a row. */
  readonly consecutiveHealthy: number;
  /** Failed checks in a row. */
  readonly consecutiveFailures: number;
  /** When the dependency entered its current state (ISO 8601). */
  readonly since: string;
}

export interface LevelTransition {
  readonly from: LevelName;
  readonly to: LevelName;
  readonly reason: string;
  readonly at: Date;
}

export type GuardResult =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly status: 503; readonly retryAfterSeconds: number; readonly reason: string };

export interface DegradationManagerOptions {
  readonly declaration: ServiceDeclaration;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  /** ENABLE_GRACEFUL_DEGRADATION; when false the level stays OPTIMAL and every capability is allowed. @default true */
  readonly enabled?: boolean;
  /** Clock in epoch milliseconds; check latency is measured with it. @default Date.now */
  readonly now?: () => number;
  /** Removes secrets from check errors before they are logged or reported. @default SecretRedactor.forDeclaration(declaration, process.env) */
  readonly redactor?: SecretRedactor;
  /** The service's own stalls, taken out of call and check latencies. @default a StallClock started with the manager */
  readonly stalls?: StallClock;
}

/** The level from which each capability is refused. */
const REFUSED_FROM: Readonly<Record<Capability, LevelValue>> = {
  [CAPABILITY.business]: LEVEL.EMERGENCY,
  [CAPABILITY.writes]: LEVEL.MINIMAL,
  [CAPABILITY.ai]: LEVEL.LIMITED,
  [CAPABILITY.cache]: LEVEL.DEGRADED,
};


type Outcome = 'ok' | 'slow' | 'failed';

/**
 * Consecutive slow real calls that mark a dependency slow before its next health check. Three in
 * a row, each over the declared threshold, are already a strong signal; more would make detection
 * wait on the dependency's call rate (at a few queries a second, five took about 2 s).
 */
export const SLOW_CALLS_TO_DEGRADE = 3;

/** How often calls in flight are looked at for a hang. */
const HANG_WATCH_MS = 250;
/** Weight of the latest call in the recent-latency average. */
const LATENCY_EWMA_WEIGHT = 0.2;
/** A call is suspected hung after this many times the recent latency… */
const HANG_FACTOR = 2;
/** …and at least this long (ms). */
const HANG_FLOOR_MS = 1_000;

/** How long a call may be in flight before the dependency is checked at once: well past what its calls take now, and before the next periodic check. */
function hangAfterMs(s: { readonly latencyEwmaMs?: number; readonly decl: DependencyDeclaration }): number {
  const recent = HANG_FACTOR * (s.latencyEwmaMs ?? 0);
  return Math.min(Math.max(HANG_FLOOR_MS, recent, s.decl.slowThresholdMs), s.decl.healthCheck.intervalMs);
}

interface DependencyState {
  readonly name: string;
  readonly decl: DependencyDeclaration;
  check?: DependencyCheck;
  healthy: boolean;
  slow: boolean;
  lastCheckMs?: number;
  lastError?: string;
  consecutiveHealthy: number;
  /** Successful checks in a row, slow or not: enough of them bring an unhealthy dependency back (possibly as slow). */
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  /** Slow or failed checks in a row: enough of them mark a fully healthy dependency slow. */
  consecutiveSlowOrFailed: number;
  /** Successful real calls in a row slower than slowThresholdMs (see observeLatency), with the stalls taken out. */
  slowCalls: { readonly ms: number; readonly stalledMs: number }[];
  /** Set when the dependency is disabled: why, naming what to set. */
  disabled?: string;
  /** Calls in flight: id → start (clock ms); the first entry is the oldest. */
  calls: Map<number, number>;
  /** Recent latency of successful calls (exponentially weighted), ms. */
  latencyEwmaMs?: number;
  /** When a suspected hang last started a check (clock ms). */
  hangCheckAt?: number;
  since: number;
  inFlight?: Promise<void>;
  timer?: NodeJS.Timeout;
}

/**
 * Graceful degradation (seed 004, corrected): the service level is the worst impact among
 * unhealthy dependencies (a slow one contributes its slowImpact). Periodic health checks
 * confirm failures and recover; an opened breaker degrades at once via markUnhealthy().
 */
export class DegradationManager {
  private readonly declaration: ServiceDeclaration;
  private readonly metrics: RuntimeMetrics;
  private readonly logger: Logger;
  private readonly enabled: boolean;
  private readonly now: () => number;
  private readonly redactor: SecretRedactor;
  private readonly stalls: StallClock;
  private nextCall = 0;
  private watchdog?: NodeJS.Timeout;
  private readonly states = new Map<string, DependencyState>();
  private readonly transitionHandlers = new Set<(t: LevelTransition) => void | Promise<void>>();
  private readonly recoveredHandlers = new Set<(dependency: string) => void>();
  private readonly pendingHandlers = new Set<Promise<void>>();
  private current: LevelValue = LEVEL.OPTIMAL;
  private running = false;

  constructor(opts: DegradationManagerOptions) {
    this.declaration = opts.declaration;
    this.metrics = opts.metrics;
    this.logger = opts.logger.child({ component: 'degradation' });
    this.enabled = opts.enabled ?? true;
    this.now = opts.now ?? Date.now;
    this.redactor = opts.redactor ?? SecretRedactor.forDeclaration(opts.declaration, process.env);
    this.stalls = opts.stalls ?? new StallClock();
    const at = this.now();
    for (const [name, decl] of Object.entries(this.declaration.dependencies)) {
      this.states.set(name, {
        name,
        decl,
        healthy: true,
        slow: false,
        consecutiveHealthy: 0,
        consecutiveSuccesses: 0,
        consecutiveFailures: 0,
        consecutiveSlowOrFailed: 0,
        slowCalls: [],
        calls: new Map(),
        since: at,
      });
    }
    for (const name of this.states.keys()) this.metrics.dependencyConfigured.set({ [LABEL.dependency]: name }, 1);
    this.metrics.degradationLevel.set(this.current);
  }

  get level(): LevelValue {
    return this.current;
  }

  get levelName(): LevelName {
    return levelName(this.current);
  }

  /** Registers the health check of a declared dependency (one per dependency). */
  register(dependency: string, check: DependencyCheck): void {
    const s = this.state(dependency);
    if (s.check) throw new Error(`dependency "${dependency}" already has a health check registered; register one check per dependency`);
    s.check = check;
    if (this.running) this.schedule(s);
  }

  /**
   * Disables an optional dependency that is not configured: it is reported as disabled, counts for
   * nothing in the level, exports no dependency_up (so no alert fires for it), and the capabilities
   * it provides are refused naming `reason` (what to set).
   */
  disable(dependency: string, reason: string): void {
    const s = this.state(dependency);
    if (s.decl.critical) throw new Error(`dependency "${dependency}" is critical: it cannot be disabled (${reason})`);
    s.disabled = this.redactor.redact(reason);
    s.healthy = true;
    s.slow = false;
    s.since = this.now();
    this.metrics.dependencyConfigured.set({ [LABEL.dependency]: dependency }, 0);
    this.metrics.dependencyUp.remove({ [LABEL.dependency]: dependency });
    const off = s.decl.provides.length ? `; off: ${s.decl.provides.join(', ')}` : '';
    this.logger.info({ dependency, kind: s.decl.kind, reason: s.disabled }, `dependency ${dependency} disabled: ${s.disabled}${off}`);
    this.evaluate();
  }

  /** Starts periodic checks, each dependency every healthCheck.intervalMs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stalls.start();
    this.watchdog = setInterval(() => this.watchForHangs(), HANG_WATCH_MS);
    this.watchdog.unref();
    for (const s of this.states.values()) if (s.check && !s.disabled) this.schedule(s);
  }

  /** Stops periodic checks and waits for in-flight checks and transition handlers to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.stalls.stop();
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    for (const s of this.states.values()) {
      if (s.timer) clearInterval(s.timer);
      s.timer = undefined;
    }
    await Promise.all([...this.states.values()].map((s) => s.inFlight));
    await this.settleHandlers();
  }

  /** Runs the check of one dependency (or of every registered one) now; joins a check already in flight. */
  async checkNow(dependency?: string): Promise<void> {
    if (dependency !== undefined) {
      const s = this.state(dependency);
      if (!s.check) throw new Error(`dependency "${dependency}" has no health check; call register("${dependency}", check) first`);
      await this.runCheck(s);
    } else {
      await Promise.all([...this.states.values()].filter((s) => s.check && !s.disabled).map((s) => this.runCheck(s)));
    }
    await this.settleHandlers();
  }

  /** Marks a dependency unhealthy at once (an opened breaker); periodic checks recover it. */
  markUnhealthy(dependency: string, reason: string): void {
    const s = this.state(dependency);
    if (s.disabled) return;
    s.lastError = this.redactor.redact(reason);
    s.consecutiveHealthy = 0;
    s.consecutiveSuccesses = 0;
    if (!s.healthy) return;
    const wasSlow = s.slow;
    s.healthy = false;
    s.slow = false;
    this.stateChanged(s, true, wasSlow);
  }

  /**
   * The latency of a successful real call (adapters report every one, as it ends). The service's
   * own stalls during the call are taken out first: a call is slow by the dependency's doing only.
   * SLOW_CALLS_TO_DEGRADE calls in a row still slower than the dependency's slowThresholdMs mark it
   * slow at once, without waiting for the next health check; health checks recover it as usual.
   */
  observeLatency(dependency: string, ms: number): void {
    const s = this.states.get(dependency);
    if (!s || s.disabled) return;
    s.latencyEwmaMs = s.latencyEwmaMs === undefined ? ms : s.latencyEwmaMs + LATENCY_EWMA_WEIGHT * (ms - s.latencyEwmaMs);
    if (s.decl.slowThresholdMs <= 0 || ms <= s.decl.slowThresholdMs) {
      s.slowCalls.length = 0;
      return;
    }
    const end = performance.now();
    const stalledMs = this.stalls.stalledBetween(end - ms, end);
    if (ms - stalledMs <= s.decl.slowThresholdMs) {
      s.slowCalls.length = 0;
      return;
    }
    s.slowCalls.push({ ms, stalledMs });
    if (s.slowCalls.length < SLOW_CALLS_TO_DEGRADE || !s.healthy || s.slow) {
      if (s.slowCalls.length > SLOW_CALLS_TO_DEGRADE) s.slowCalls.shift();
      return;
    }
    const calls = s.slowCalls.splice(0);
    s.slow = true;
    s.consecutiveHealthy = 0;
    s.lastError =
      `slow: ${calls.length} calls in a row took ${calls.map((c) => Math.round(c.ms)).join(', ')} ms against the ${s.decl.slowThresholdMs} ms threshold` +
      ` (after taking out ${calls.map((c) => Math.round(c.stalledMs)).join(', ')} ms of this service's own stalls)`;
    this.stateChanged(s, true, false);
  }

  /** A call to `dependency` starts; pass what this returns to callEnded when it ends, however it ends. */
  callStarted(dependency: string): number {
    const id = ++this.nextCall;
    this.states.get(dependency)?.calls.set(id, performance.now());
    return id;
  }

  callEnded(dependency: string, call: number): void {
    this.states.get(dependency)?.calls.delete(call);
  }

  /**
   * A call in flight far longer than the dependency's recent calls took may be a hang (connected,
   * answering nothing): check the dependency now instead of at the next interval. The check
   * decides; a slow-but-working call only costs one extra check.
   */
  private watchForHangs(): void {
    const now = performance.now();
    for (const s of this.states.values()) {
      if (s.disabled || !s.check || s.inFlight || !s.healthy) continue;
      const oldest = s.calls.values().next();
      if (oldest.done) continue;
      const age = now - oldest.value;
      if (age < hangAfterMs(s) || (s.hangCheckAt !== undefined && now - s.hangCheckAt < s.decl.healthCheck.intervalMs)) continue;
      s.hangCheckAt = now;
      this.logger.info({ dependency: s.name, inFlightMs: Math.round(age), recentMs: Math.round(s.latencyEwmaMs ?? 0) }, `dependency ${s.name}: a call in flight for ${Math.round(age)} ms; checking it now`);
      this.runCheck(s).catch((e: unknown) => this.logger.error({ dependency: s.name, err: this.redactor.redact(errorMessage(e)) }, 'dependency health check crashed'));
    }
  }

  /** Runs `handler` on every level change. Returns a function that removes it. */
  onTransition(handler: (t: LevelTransition) => void | Promise<void>): () => void {
    this.transitionHandlers.add(handler);
    return () => this.transitionHandlers.delete(handler);
  }

  /** Runs `handler` when an unhealthy dependency is reachable again. Returns a function that removes it. */
  onRecovered(handler: (dependency: string) => void): () => void {
    this.recoveredHandlers.add(handler);
    return () => this.recoveredHandlers.delete(handler);
  }

  status(): Record<string, DependencyStatus> {
    const out: Record<string, DependencyStatus> = {};
    for (const s of this.states.values()) {
      out[s.name] = {
        name: s.name,
        kind: s.decl.kind,
        state: s.disabled ? 'disabled' : !s.healthy ? 'down' : s.slow ? 'slow' : 'healthy',
        ...(s.disabled ? { disabledReason: s.disabled } : {}),
        healthy: s.healthy,
        slow: s.slow,
        ...(s.lastCheckMs !== undefined ? { lastCheckMs: s.lastCheckMs } : {}),
        ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
        consecutiveHealthy: s.consecutiveHealthy,
        consecutiveFailures: s.consecutiveFailures,
        since: new Date(s.since).toISOString(),
      };
    }
    return out;
  }

  allows(capability: Capability): boolean {
    return this.blockers(capability).length === 0;
  }

  /** Whether a request needing `capability` may proceed; if not, the 503 and Retry-After to answer with. */
  guard(capability: Capability): GuardResult {
    const blockers = this.blockers(capability);
    if (blockers.length === 0) return { allowed: true };
    const retryAfterSeconds = Math.max(
      1,
      ...blockers.map((s) => Math.ceil((s.decl.healthCheck.intervalMs * s.decl.healthCheck.healthyThreshold) / 1000)),
    );
    return {
      allowed: false,
      status: 503,
      retryAfterSeconds,
      reason: `${capability} unavailable at level ${this.levelName}: ${blockers.map(describe).join(', ')}`,
    };
  }

  private state(dependency: string): DependencyState {
    const s = this.states.get(dependency);
    if (!s) {
      const known = [...this.states.keys()];
      throw new Error(
        `dependency "${dependency}" is not declared in service "${this.declaration.name}"; declared: ${known.length ? known.join(', ') : 'none'}`,
      );
    }
    return s;
  }

  private blockers(capability: Capability): DependencyState[] {
    const refusedFrom = REFUSED_FROM[capability];
    if (refusedFrom === undefined) {
      throw new TypeError(`unknown capability "${String(capability)}"; expected one of ${Object.keys(REFUSED_FROM).join(', ')}`);
    }
    if (!this.enabled) return [];
    // A capability is also refused whenever a dependency that provides it is down, whatever the level.
    return [...this.states.values()].filter((s) => contribution(s) >= refusedFrom || ((!s.healthy || s.disabled !== undefined) && s.decl.provides.includes(capability)));
  }

  private schedule(s: DependencyState): void {
    if (s.timer) return;
    // An interval that skips a tick while the previous check is still running: checks never overlap.
    s.timer = setInterval(() => {
      if (s.inFlight) return;
      this.runCheck(s).catch((e: unknown) => this.logger.error({ dependency: s.name, err: this.redactor.redact(errorMessage(e)) }, 'dependency health check crashed'));
    }, s.decl.healthCheck.intervalMs);
    s.timer.unref();
  }

  private runCheck(s: DependencyState): Promise<void> {
    if (s.inFlight) return s.inFlight;
    const p = this.execute(s).finally(() => {
      s.inFlight = undefined;
    });
    s.inFlight = p;
    return p;
  }

  private async execute(s: DependencyState): Promise<void> {
    const check = s.check;
    if (!check) return;
    const { timeoutMs } = s.decl.healthCheck;
    const started = this.now();
    const clockStart = performance.now();
    let failure: unknown;
    let failed = false;
    try {
      await runWithTimeout(check, timeoutMs);
    } catch (e) {
      failed = true;
      failure = e;
    }
    const elapsedMs = Math.max(0, this.now() - started);
    const clockEnd = performance.now();
    const stalledMs = this.stalls.stalledBetween(clockStart, clockEnd);
    this.metrics.dependencyCheckDurationSeconds.observe({ [LABEL.dependency]: s.name }, elapsedMs / 1000);
    s.lastCheckMs = elapsedMs;

    let outcome: Outcome = 'ok';
    if (failed) {
      outcome = 'failed';
      s.lastError = this.redactor.redact(errorMessage(failure));
    } else if (s.decl.slowThresholdMs > 0 && elapsedMs - stalledMs > s.decl.slowThresholdMs) {
      outcome = 'slow';
      s.lastError =
        `slow: the health check answered in ${Math.round(elapsedMs)} ms against the ${s.decl.slowThresholdMs} ms threshold` +
        ` (after taking out ${Math.round(stalledMs)} ms of this service's own stalls)`;
    }
    this.apply(s, outcome);
  }

  /** The per-dependency state machine: thresholds of consecutive checks, so a flapping dependency does not flap the level. */
  private apply(s: DependencyState, outcome: Outcome): void {
    const { healthyThreshold, unhealthyThreshold } = s.decl.healthCheck;
    const wasHealthy = s.healthy;
    const wasSlow = s.slow;
    if (outcome === 'failed') {
      s.consecutiveFailures++;
      s.consecutiveSlowOrFailed++;
      s.consecutiveHealthy = 0;
      s.consecutiveSuccesses = 0;
      if (s.healthy && s.consecutiveFailures >= unhealthyThreshold) {
        s.healthy = false;
        s.slow = false;
      } else if (s.healthy && !s.slow && s.decl.slowThresholdMs > 0 && s.consecutiveSlowOrFailed >= unhealthyThreshold) {
        s.slow = true;
      }
    } else {
      s.consecutiveFailures = 0;
      s.consecutiveSuccesses++;
      if (outcome === 'ok') {
        s.consecutiveHealthy++;
        s.consecutiveSlowOrFailed = 0;
      } else {
        s.consecutiveHealthy = 0;
        s.consecutiveSlowOrFailed++;
      }
      if (!s.healthy) {
        if (s.consecutiveSuccesses >= healthyThreshold) {
          s.healthy = true;
          // Reachable again; fully recovered only if those checks were also fast.
          s.slow = s.consecutiveHealthy < healthyThreshold;
        }
      } else if (s.slow) {
        if (s.consecutiveHealthy >= healthyThreshold) s.slow = false;
      } else if (outcome === 'slow' && s.consecutiveSlowOrFailed >= unhealthyThreshold) {
        s.slow = true;
      }
      if (s.healthy && !s.slow) s.lastError = undefined;
    }
    this.metrics.dependencyUp.set({ [LABEL.dependency]: s.name }, s.healthy ? 1 : 0);
    if (s.healthy !== wasHealthy || s.slow !== wasSlow) this.stateChanged(s, wasHealthy, wasSlow);
  }

  private stateChanged(s: DependencyState, wasHealthy: boolean, wasSlow: boolean): void {
    s.since = this.now();
    this.metrics.dependencyUp.set({ [LABEL.dependency]: s.name }, s.healthy ? 1 : 0);
    const fields = { dependency: s.name, kind: s.decl.kind, healthy: s.healthy, slow: s.slow, ...(s.lastError ? { err: s.lastError } : {}) };
    const before = wasHealthy ? (wasSlow ? 'slow' : 'healthy') : 'unhealthy';
    const after = s.healthy ? (s.slow ? 'slow' : 'healthy') : 'unhealthy';
    const better = rank(after) < rank(before);
    this.logger[better ? 'info' : 'warn'](fields, `dependency ${s.name} ${before} → ${after}`);
    if (!wasHealthy && s.healthy) this.runRecoveredHandlers(s.name);
    this.evaluate();
  }

  private evaluate(): void {
    const next = this.enabled ? Math.max(LEVEL.OPTIMAL, ...[...this.states.values()].map(contribution)) : LEVEL.OPTIMAL;
    if (next === this.current) return;
    const from = levelName(this.current);
    const to = levelName(next);
    const worse = next > this.current;
    this.current = next as LevelValue;
    this.metrics.degradationLevel.set(next);
    this.metrics.degradationTransitionsTotal.inc({ [LABEL.fromLevel]: from, [LABEL.toLevel]: to });
    const bad = [...this.states.values()].filter((s) => contribution(s) > LEVEL.OPTIMAL).sort((a, b) => contribution(b) - contribution(a));
    const reason = bad.length ? bad.map((s) => `${describe(s)} → ${levelName(contribution(s))}`).join('; ') : 'all dependencies healthy';
    const transition: LevelTransition = { from, to, reason, at: new Date(this.now()) };
    this.logger[worse ? 'warn' : 'info']({ from, to, levelValue: next, reason }, `degradation level ${from} → ${to}: ${reason}`);
    for (const handler of this.transitionHandlers) this.runHandler('transition', () => handler(transition));
  }

  private runRecoveredHandlers(dependency: string): void {
    for (const handler of this.recoveredHandlers) this.runHandler('recovered', () => handler(dependency));
  }

  /** Runs a handler; a throw or rejection is logged, never propagated. Async handlers are tracked so stop() can await them. */
  private runHandler(kind: string, run: () => void | Promise<void>): void {
    const fail = (e: unknown): void => {
      this.logger.error({ handler: kind, err: this.redactor.redact(errorMessage(e)) }, `degradation ${kind} handler failed`);
    };
    try {
      const result = run();
      if (result && typeof result.then === 'function') {
        const tracked: Promise<void> = result.then(() => undefined, fail).finally(() => this.pendingHandlers.delete(tracked));
        this.pendingHandlers.add(tracked);
      }
    } catch (e) {
      fail(e);
    }
  }

  private async settleHandlers(): Promise<void> {
    while (this.pendingHandlers.size) await Promise.all([...this.pendingHandlers]);
  }
}

/** The level a dependency's current state pushes the service to. */
function contribution(s: DependencyState): LevelValue {
  if (s.disabled) return LEVEL.OPTIMAL;
  if (!s.healthy) return LEVEL[s.decl.impact];
  if (s.slow && s.decl.slowImpact) return LEVEL[s.decl.slowImpact];
  return LEVEL.OPTIMAL;
}

function describe(s: DependencyState): string {
  if (s.disabled) return `${s.name} (${s.decl.kind}) disabled: ${s.disabled}`;
  return `${s.name} (${s.decl.kind}) ${s.healthy ? (s.slow ? 'slow' : 'healthy') : 'down'}`;
}

function rank(state: 'healthy' | 'slow' | 'unhealthy'): number {
  return state === 'healthy' ? 0 : state === 'slow' ? 1 : 2;
}
