import type { Logger } from 'pino';
import { BREAKER_STATE_VALUE, LABEL } from '../metrics/catalog';
import type { RuntimeMetrics } from '../metrics/registry';
import { OpossumBreaker, PassThroughBreaker, type Breaker, type BreakerHooks, type BreakerOptions, type BreakerState } from './breaker';

export interface BreakerStateChange {
  readonly name: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
}

export interface BreakerSnapshot {
  readonly state: BreakerState;
  /** Failures (errors and timeouts, not caller errors) counted since the breaker was created. */
  readonly failures: number;
  /** The current run of consecutive failures (resets on success and on every state change). */
  readonly consecutiveFailures: number;
}

export interface BreakerRegistryOptions {
  /** False when ENABLE_CIRCUIT_BREAKER=false: every breaker is a pass-through. */
  readonly enabled: boolean;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
}


/** Creates, names and shuts down the process's breakers; logs and counts every state change once. */
export class BreakerRegistry {
  private readonly breakers = new Map<string, Breaker>();
  private readonly listeners = new Set<(e: BreakerStateChange) => void>();
  private readonly enabled: boolean;
  private readonly metrics: RuntimeMetrics;
  private readonly logger: Logger;

  constructor(opts: BreakerRegistryOptions) {
    this.enabled = opts.enabled;
    this.metrics = opts.metrics;
    this.logger = opts.logger;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Creates a breaker; throws if `name` is taken or a setting is invalid. */
  create(opts: BreakerOptions): Breaker {
    validate(opts);
    if (this.breakers.has(opts.name)) {
      throw new Error(`circuit breaker "${opts.name}" already exists; give each breaker a unique name or reuse registry.get("${opts.name}")`);
    }
    const breaker = this.enabled ? new OpossumBreaker(opts, this.hooksFor(opts.name)) : new PassThroughBreaker(opts.name);
    this.breakers.set(opts.name, breaker);
    this.metrics.circuitBreakerState.set({ [LABEL.name]: opts.name }, BREAKER_STATE_VALUE.closed);
    return breaker;
  }

  get(name: string): Breaker | undefined {
    return this.breakers.get(name);
  }

  all(): Breaker[] {
    return [...this.breakers.values()];
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: (e: BreakerStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  snapshot(): Record<string, BreakerSnapshot> {
    const out: Record<string, BreakerSnapshot> = {};
    for (const b of this.breakers.values()) {
      const counted = b instanceof OpossumBreaker;
      out[b.name] = {
        state: b.state,
        failures: counted ? b.failures : 0,
        consecutiveFailures: counted ? b.consecutiveFailures : 0,
      };
    }
    return out;
  }

  /** Stops every breaker and clears every opossum timer; later calls reject with BreakerShutdownError. */
  shutdown(): void {
    for (const b of this.breakers.values()) if (b instanceof OpossumBreaker) b.shutdown();
    this.listeners.clear();
  }

  private hooksFor(name: string): BreakerHooks {
    const m = this.metrics;
    const calls = (result: string) => m.circuitBreakerCallsTotal.labels({ [LABEL.name]: name, [LABEL.result]: result });
    return {
      calls: {
        success: calls('success'),
        failure: calls('failure'),
        timeout: calls('timeout'),
        rejected: calls('rejected'),
        ignored: calls('ignored'),
      },
      failures: m.circuitBreakerFailuresTotal.labels({ [LABEL.name]: name }),
      transition: (breaker, from, to, retryAfterMs) => this.onTransition(breaker, from, to, retryAfterMs),
    };
  }

  private onTransition(breaker: Breaker, from: BreakerState, to: BreakerState, retryAfterMs: number): void {
    const name = breaker.name;
    this.metrics.circuitBreakerState.set({ [LABEL.name]: name }, BREAKER_STATE_VALUE[to]);
    this.metrics.circuitBreakerTransitionsTotal.inc({ [LABEL.name]: name, [LABEL.fromState]: from, [LABEL.toState]: to });
    const fields = { breaker: name, from, to };
    if (to === 'open') this.logger.warn({ ...fields, retryAfterMs }, `circuit breaker ${name} opened; calls fail fast for ${retryAfterMs} ms`);
    else if (to === 'half-open') this.logger.info(fields, `circuit breaker ${name} half-open; letting one probe through`);
    else this.logger.info(fields, `circuit breaker ${name} closed`);
    const event: BreakerStateChange = { name, from, to };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error({ breaker: name, err }, 'circuit breaker state-change listener threw');
      }
    }
  }
}

function validate(opts: BreakerOptions): void {
  const problems: string[] = [];
  if (typeof opts.name !== 'string' || opts.name.trim() === '') problems.push('name must be a non-empty string');
  const where = `circuit breaker "${String(opts.name)}"`;
  const positiveInt = (field: keyof BreakerOptions, hint: string) => {
    const v = opts[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) problems.push(`${field} must be a positive integer (got ${String(v)}); ${hint}`);
  };
  positiveInt('failureThreshold', 'e.g. 5 consecutive failures open the breaker');
  positiveInt('successThreshold', 'e.g. 1 successful probe closes it');
  positiveInt('resetTimeoutMs', 'e.g. 30000 ms open before a probe');
  positiveInt('timeoutMs', 'e.g. 3000 ms per call');
  if (opts.isCallerError !== undefined && typeof opts.isCallerError !== 'function') problems.push('isCallerError must be a function');
  if (problems.length) throw new Error(`${where}: ${problems.join('; ')}`);
}
