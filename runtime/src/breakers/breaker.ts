import CircuitBreaker from 'opossum';
import type { BreakerSettings } from '../declaration/types';
import { BreakerOpenError, BreakerShutdownError, BreakerTimeoutError } from './errors';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions extends BreakerSettings {
  readonly name: string;
  /**
   * True when the error is the caller's fault (e.g. OpenAI 400, pg unique violation 23505): it
   * passes through to the caller and does not count as a failure. The dependency did answer, so
   * it ends a failure streak and counts as a successful half-open probe.
   */
  readonly isCallerError?: (err: unknown) => boolean;
}

export interface Breaker {
  readonly name: string;
  readonly state: BreakerState;
  /**
   * Runs `fn` through the breaker. `fn` receives an AbortSignal that fires on THIS call's
   * timeout only. The signal is created only when `fn` declares a parameter (creating one costs
   * microseconds); a function without parameters gets a shared signal that never aborts.
   * `fallback` answers instead when the breaker refuses the call, the call fails or it times
   * out — not for caller errors, which always reach the caller.
   */
  fire<T>(fn: (signal: AbortSignal) => Promise<T>, fallback?: (err: unknown) => T | Promise<T>): Promise<T>;
  /** Forces the breaker open (it half-opens again after `resetTimeoutMs`). */
  open(): void;
  /** Forces the breaker closed. */
  close(): void;
}

/** What a breaker reports to its registry: transitions and per-call results (metrics). */
export interface BreakerHooks {
  transition(breaker: Breaker, from: BreakerState, to: BreakerState, retryAfterMs: number): void;
  readonly calls: {
    readonly success: Countable;
    readonly failure: Countable;
    readonly timeout: Countable;
    readonly rejected: Countable;
    readonly ignored: Countable;
  };
  readonly failures: Countable;
}

export interface Countable {
  inc(): void;
}

let neverAborted: AbortSignal | undefined;
/** One signal shared by every call whose function takes no signal (and by pass-through breakers). */
export function neverAbortedSignal(): AbortSignal {
  return (neverAborted ??= new AbortController().signal);
}

const PENDING = 0;
const FAILED = 1;
const TIMED_OUT = 2;
const IGNORED = 3;
type Outcome = typeof PENDING | typeof FAILED | typeof TIMED_OUT | typeof IGNORED;

/** One call's context; it is opossum's only argument, so opossum's events hand it back to us. */
class Call {
  outcome: Outcome = PENDING;
  readonly controller: AbortController | undefined;
  constructor(
    readonly fn: (signal: AbortSignal) => Promise<unknown>,
    /** The half-open generation this call probes, 0 when it is not a probe. */
    readonly probe: number,
  ) {
    this.controller = fn.length > 0 ? new AbortController() : undefined;
  }
  run(): Promise<unknown> {
    return this.fn(this.controller ? this.controller.signal : neverAbortedSignal());
  }
}

function runCall(call: Call): Promise<unknown> {
  return call.run();
}

function isOpossumTimeout(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === 'ETIMEDOUT' && CircuitBreaker.isOurError(err);
}

/**
 * A breaker on opossum 10. opossum runs each call (per-call timeout, open-state timer, half-open
 * admission of one probe); on top of it this class counts CONSECUTIVE failures (opossum opens
 * on an error percentage), keeps the breaker half-open until `successThreshold` probes in a row
 * succeed, gives every call its own AbortController, and filters caller errors.
 */
export class OpossumBreaker implements Breaker {
  private current: BreakerState = 'closed';
  private streak = 0;
  private totalFailures = 0;
  private openedAt = 0;
  private probeInFlight = false;
  private probeStartedAt = 0;
  private probeSuccesses = 0;
  private halfOpenGeneration = 0;
  /** Set by the error filter, read by the 'success' event opossum emits right after it. */
  private ignoredPending = false;
  private stopped = false;
  private readonly cb: CircuitBreaker<[Call], unknown>;
  private readonly mapRejection: (err: unknown) => never;

  constructor(
    private readonly options: BreakerOptions,
    private readonly hooks: BreakerHooks,
  ) {
    const isCallerError = options.isCallerError;
    this.cb = new CircuitBreaker<[Call], unknown>(runCall, {
      name: options.name,
      timeout: options.timeoutMs,
      resetTimeout: options.resetTimeoutMs,
      // Never open on opossum's rolling percentage (failures/0 fires is Infinity); we count consecutive failures.
      errorThresholdPercentage: Number.POSITIVE_INFINITY,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      errorFilter: ((err: unknown, call: Call) => {
        if (!isCallerError || CircuitBreaker.isOurError(err as Error)) return false;
        if (!isCallerError(err)) return false;
        call.outcome = IGNORED;
        this.ignoredPending = true;
        return true;
      }) as (err: unknown) => boolean,
    });
    // opossum passes (err, latency, args) to 'timeout'; @types/opossum declares only err.
    (this.cb as unknown as NodeJS.EventEmitter).on('timeout', (_err: Error, _latency: number, args: [Call]) => this.onTimeout(args[0]));
    this.cb.on('failure', (_err, _latency, args) => this.onFailure(args[0]));
    this.cb.on('success', () => this.onSuccess());
    this.cb.on('open', () => this.transition('open'));
    this.cb.on('halfOpen', () => this.transition('half-open'));
    const timeoutMs = options.timeoutMs;
    const name = options.name;
    this.mapRejection = (err: unknown): never => {
      throw isOpossumTimeout(err) ? new BreakerTimeoutError(name, timeoutMs) : err;
    };
  }

  get name(): string {
    return this.options.name;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Failures counted since creation (errors and timeouts, not caller errors). */
  get failures(): number {
    return this.totalFailures;
  }

  get consecutiveFailures(): number {
    return this.streak;
  }

  fire<T>(fn: (signal: AbortSignal) => Promise<T>, fallback?: (err: unknown) => T | Promise<T>): Promise<T> {
    if (this.stopped) return Promise.reject(new BreakerShutdownError(this.options.name));
    let probe = 0;
    if (this.current !== 'closed') {
      if (this.current === 'half-open' && !this.probeInFlight) {
        this.probeInFlight = true;
        this.probeStartedAt = Date.now();
        probe = this.halfOpenGeneration;
      } else {
        this.hooks.calls.rejected.inc();
        const err = new BreakerOpenError(this.options.name, this.retryAfterMs());
        return fallback ? Promise.resolve().then(() => fallback(err)) : Promise.reject(err);
      }
    }
    const call = new Call(fn, probe);
    let promise = this.cb.fire(call) as Promise<T>;
    if (probe !== 0) {
      promise = promise.then(
        (value) => {
          this.settleProbe(call);
          return value;
        },
        (err: unknown) => {
          this.settleProbe(call);
          throw err;
        },
      );
    }
    if (!fallback) return promise.then(undefined, this.mapRejection);
    return promise.then(undefined, (err: unknown) => {
      if (call.outcome === IGNORED) throw err;
      return fallback(isOpossumTimeout(err) ? new BreakerTimeoutError(this.options.name, this.options.timeoutMs) : err);
    });
  }

  open(): void {
    if (this.stopped) return;
    this.cb.open();
  }

  close(): void {
    if (this.stopped) return;
    this.transition('closed');
    this.cb.close();
  }

  /** Clears opossum's timers; later calls reject with BreakerShutdownError. */
  shutdown(): void {
    this.stopped = true;
    this.cb.shutdown();
  }

  private retryAfterMs(): number {
    const now = Date.now();
    if (this.current === 'open') return Math.max(0, this.openedAt + this.options.resetTimeoutMs - now);
    return Math.max(0, this.probeStartedAt + this.options.timeoutMs - now);
  }

  private onTimeout(call: Call): void {
    call.outcome = TIMED_OUT;
    this.hooks.calls.timeout.inc();
    call.controller?.abort(new BreakerTimeoutError(this.options.name, this.options.timeoutMs));
  }

  private onFailure(call: Call): void {
    this.totalFailures++;
    this.hooks.failures.inc();
    if (call.outcome !== TIMED_OUT) {
      call.outcome = FAILED;
      this.hooks.calls.failure.inc();
    }
    // Probes are settled in settleProbe; failures of calls that started before the breaker opened change nothing.
    if (call.probe === 0 && this.current === 'closed' && ++this.streak >= this.options.failureThreshold) this.cb.open();
  }

  private onSuccess(): void {
    if (this.ignoredPending) {
      this.ignoredPending = false;
      this.hooks.calls.ignored.inc();
    } else {
      this.hooks.calls.success.inc();
    }
    if (this.current === 'closed') this.streak = 0;
  }

  private settleProbe(call: Call): void {
    if (call.probe !== this.halfOpenGeneration || this.current !== 'half-open') return;
    this.probeInFlight = false;
    if (call.outcome === FAILED || call.outcome === TIMED_OUT) {
      // opossum reopens by itself when it was half-open; after a partial success it is closed and we reopen it.
      this.cb.open();
      return;
    }
    if (++this.probeSuccesses >= this.options.successThreshold) {
      this.transition('closed');
      this.cb.close();
    }
    // Otherwise stay half-open: opossum closed itself after the probe, our gate in fire() still admits one probe at a time.
  }

  private transition(to: BreakerState): void {
    const from = this.current;
    if (from === to || this.stopped) return;
    this.current = to;
    this.streak = 0;
    this.probeInFlight = false;
    if (to === 'open') this.openedAt = Date.now();
    if (to === 'half-open') {
      this.probeSuccesses = 0;
      this.halfOpenGeneration++;
    }
    this.hooks.transition(this, from, to, to === 'open' ? this.options.resetTimeoutMs : 0);
  }
}

/** ENABLE_CIRCUIT_BREAKER=false: calls go straight to `fn`, always closed, never throws on its own. */
export class PassThroughBreaker implements Breaker {
  readonly state: BreakerState = 'closed';
  constructor(readonly name: string) {}

  fire<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return fn(neverAbortedSignal());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  open(): void {}

  close(): void {}
}
