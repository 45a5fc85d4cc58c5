import { BreakerOpenError, BreakerShutdownError, BreakerTimeoutError } from '@bulwark/runtime';
import { BreakerRegistry, createMetrics, LABEL, METRICS, type Breaker, type BreakerOptions, type BreakerStateChange, type RuntimeMetrics } from '../../../runtime/src/internal';
import { waitFor } from '@bulwark/harness';
import { captureLogger, deferred, metricValue, PINO_INFO, PINO_WARN, trackTimers, type LogLine } from './helpers';

// A reset timeout long enough that no stall of a busy machine lets it lapse between a failure and the next assertion.
const BASE = { failureThreshold: 3, resetTimeoutMs: 250, successThreshold: 1, timeoutMs: 1_000 } as const;
const fail = () => Promise.reject(new Error('dependency down'));
const ok = () => Promise.resolve('ok');

class CallerMistake extends Error {}

let metrics: RuntimeMetrics;
let lines: LogLine[];
let registry: BreakerRegistry;

function makeRegistry(enabled = true): BreakerRegistry {
  metrics = createMetrics({ nodeMetrics: false });
  const cap = captureLogger();
  lines = cap.lines;
  registry = new BreakerRegistry({ enabled, metrics, logger: cap.logger });
  return registry;
}

function create(opts: Partial<BreakerOptions> = {}): Breaker {
  return registry.create({ name: 'dep', ...BASE, ...opts });
}

async function failTimes(b: Breaker, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await expect(b.fire(fail)).rejects.toThrow('dependency down');
}

const calls = (result: string) => metricValue(metrics, METRICS.circuitBreakerCallsTotal.name, { [LABEL.name]: 'dep', [LABEL.result]: result });

afterEach(() => registry?.shutdown());

describe('opening on consecutive failures', () => {
  beforeEach(() => makeRegistry());

  it('stays closed after one failure (opossum alone would open on the first with volumeThreshold 0)', async () => {
    const b = create();
    await failTimes(b, 1);
    expect(b.state).toBe('closed');
  });

  it('opens only after failureThreshold CONSECUTIVE failures; a success resets the streak', async () => {
    const b = create();
    await failTimes(b, 2);
    await b.fire(ok);
    await failTimes(b, 2);
    expect(b.state).toBe('closed');
    await failTimes(b, 1);
    expect(b.state).toBe('open');
  });

  it('rejects fast while open with BreakerOpenError, without calling fn, or answers with the fallback', async () => {
    const b = create();
    await failTimes(b, 3);
    const fn = jest.fn(ok);
    const err = await b.fire(fn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BreakerOpenError);
    expect((err as BreakerOpenError).code).toBe('EOPENBREAKER');
    expect((err as BreakerOpenError).breaker).toBe('dep');
    expect((err as BreakerOpenError).retryAfterMs).toBeGreaterThan(0);
    expect((err as BreakerOpenError).retryAfterMs).toBeLessThanOrEqual(BASE.resetTimeoutMs);
    await expect(b.fire(fn, (e) => (e instanceof BreakerOpenError ? 'cached' : 'other'))).resolves.toBe('cached');
    expect(fn).not.toHaveBeenCalled();
    expect(await calls('rejected')).toBe(2);
  });

  it('answers a failed call with the fallback, and still counts the failure', async () => {
    const b = create();
    await expect(b.fire(fail, () => 'fallback')).resolves.toBe('fallback');
    expect(await calls('failure')).toBe(1);
  });
});

describe('half-open', () => {
  beforeEach(() => makeRegistry());

  it('admits exactly one probe; concurrent calls are rejected fast; success closes', async () => {
    const b = create();
    await failTimes(b, 3);
    await waitFor(() => b.state === 'half-open', 2_000, 'half-open');
    const probe = deferred<string>();
    const probeFn = jest.fn(() => probe.promise);
    const first = b.fire(probeFn);
    const other = jest.fn(ok);
    await expect(b.fire(other)).rejects.toBeInstanceOf(BreakerOpenError);
    await expect(b.fire(other)).rejects.toBeInstanceOf(BreakerOpenError);
    expect(other).not.toHaveBeenCalled();
    probe.resolve('probe ok');
    await expect(first).resolves.toBe('probe ok');
    expect(b.state).toBe('closed');
    await expect(b.fire(other)).resolves.toBe('ok');
  });

  it('a failed probe reopens the breaker', async () => {
    const b = create();
    await failTimes(b, 3);
    await waitFor(() => b.state === 'half-open', 2_000, 'half-open');
    await failTimes(b, 1);
    expect(b.state).toBe('open');
  });

  it('needs successThreshold consecutive successful probes, one at a time, before closing', async () => {
    const b = create({ successThreshold: 2 });
    await failTimes(b, 3);
    await waitFor(() => b.state === 'half-open', 2_000, 'half-open');
    await b.fire(ok);
    expect(b.state).toBe('half-open');
    // Still one probe at a time between probes.
    const probe = deferred<string>();
    const second = b.fire(() => probe.promise);
    await expect(b.fire(ok)).rejects.toBeInstanceOf(BreakerOpenError);
    probe.resolve('second');
    await expect(second).resolves.toBe('second');
    expect(b.state).toBe('closed');
  });

  it('a failure after a partial run of successful probes reopens the breaker', async () => {
    const b = create({ successThreshold: 3 });
    await failTimes(b, 3);
    await waitFor(() => b.state === 'half-open', 2_000, 'half-open');
    await b.fire(ok);
    await failTimes(b, 1);
    expect(b.state).toBe('open');
    await waitFor(() => b.state === 'half-open', 2_000, 'half-open again');
  });
});

describe('per-call timeout', () => {
  beforeEach(() => makeRegistry());

  it('aborts only the call that timed out, rejects it with BreakerTimeoutError, counts a failure', async () => {
    const b = create({ timeoutMs: 50 });
    let hungSignal: AbortSignal | undefined;
    const hung = b.fire(
      (signal) =>
        new Promise<string>((_resolve, reject) => {
          hungSignal = signal;
          signal.addEventListener('abort', () => reject(signal.reason as Error));
        }),
    );
    const err = await hung.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BreakerTimeoutError);
    expect((err as BreakerTimeoutError).timeoutMs).toBe(50);
    expect(hungSignal?.aborted).toBe(true);
    expect(hungSignal?.reason).toBeInstanceOf(BreakerTimeoutError);
    expect(await calls('timeout')).toBe(1);
    expect(await metricValue(metrics, METRICS.circuitBreakerFailuresTotal.name, { [LABEL.name]: 'dep' })).toBe(1);
  });

  it('a call that finishes in time keeps an un-aborted signal while another call times out', async () => {
    const b = create({ timeoutMs: 60 });
    const hung = b.fire((signal) => new Promise<never>((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
    let quickSignal: AbortSignal | undefined;
    await b.fire(async (signal) => {
      quickSignal = signal;
      return 1;
    });
    await expect(hung).rejects.toBeInstanceOf(BreakerTimeoutError);
    expect(quickSignal?.aborted).toBe(false);
  });

  it('gives a shared never-aborting signal to functions that take no parameter', async () => {
    const b = create();
    let seen: unknown;
    await b.fire(function noParams() {
      // eslint-disable-next-line prefer-rest-params
      seen = arguments[0];
      return Promise.resolve(1);
    });
    expect(seen).toBeInstanceOf(AbortSignal);
    expect((seen as AbortSignal).aborted).toBe(false);
  });
});

describe('caller errors', () => {
  beforeEach(() => makeRegistry());

  it('pass through to the caller, do not count as failures, never open the breaker, skip the fallback', async () => {
    const b = create({ isCallerError: (e) => e instanceof CallerMistake });
    const mistake = new CallerMistake('bad input');
    for (let i = 0; i < 5; i++) await expect(b.fire(() => Promise.reject(mistake))).rejects.toBe(mistake);
    await expect(b.fire(() => Promise.reject(mistake), () => 'fallback')).rejects.toBe(mistake);
    expect(b.state).toBe('closed');
    expect(await calls('ignored')).toBe(6);
    expect(await calls('failure')).toBe(0);
    expect(await metricValue(metrics, METRICS.circuitBreakerFailuresTotal.name, { [LABEL.name]: 'dep' })).toBe(0);
    expect(registry.snapshot().dep).toEqual({ state: 'closed', failures: 0, consecutiveFailures: 0 });
  });

  it('a caller error breaks a failure streak (the dependency answered)', async () => {
    const b = create({ isCallerError: (e) => e instanceof CallerMistake });
    await failTimes(b, 2);
    await expect(b.fire(() => Promise.reject(new CallerMistake('x')))).rejects.toBeInstanceOf(CallerMistake);
    await failTimes(b, 2);
    expect(b.state).toBe('closed');
  });
});

describe('ENABLE_CIRCUIT_BREAKER=false', () => {
  beforeEach(() => makeRegistry(false));

  it('is a pass-through: fn is called directly with a signal, errors propagate, it never opens', async () => {
    const b = create();
    let signal: unknown;
    await expect(
      b.fire(async (s) => {
        signal = s;
        return 42;
      }),
    ).resolves.toBe(42);
    expect(signal).toBeInstanceOf(AbortSignal);
    await failTimes(b, 10);
    expect(b.state).toBe('closed');
    b.open();
    expect(b.state).toBe('closed');
    await expect(b.fire(ok)).resolves.toBe('ok');
    await expect(
      b.fire(() => {
        throw new Error('sync throw');
      }),
    ).rejects.toThrow('sync throw');
    expect(registry.snapshot()).toEqual({ dep: { state: 'closed', failures: 0, consecutiveFailures: 0 } });
    expect(lines).toHaveLength(0);
  });
});

describe('metrics and logs', () => {
  beforeEach(() => makeRegistry());

  const state = () => metricValue(metrics, METRICS.circuitBreakerState.name, { [LABEL.name]: 'dep' });
  const transitions = (from: string, to: string) =>
    metricValue(metrics, METRICS.circuitBreakerTransitionsTotal.name, { [LABEL.name]: 'dep', [LABEL.fromState]: from, [LABEL.toState]: to });

  it('updates circuit_breaker_state (0/1/2), transitions, failures and calls by result', async () => {
    const b = create();
    expect(await state()).toBe(0);
    await b.fire(ok);
    await failTimes(b, 3);
    expect(await state()).toBe(1);
    await expect(b.fire(ok)).rejects.toBeInstanceOf(BreakerOpenError);
    await waitFor(() => b.state === 'half-open', 2_000, 'half-open');
    expect(await state()).toBe(2);
    await b.fire(ok);
    expect(await state()).toBe(0);
    expect(await transitions('closed', 'open')).toBe(1);
    expect(await transitions('open', 'half-open')).toBe(1);
    expect(await transitions('half-open', 'closed')).toBe(1);
    expect(await metricValue(metrics, METRICS.circuitBreakerFailuresTotal.name, { [LABEL.name]: 'dep' })).toBe(3);
    expect(await calls('success')).toBe(2);
    expect(await calls('failure')).toBe(3);
    expect(await calls('rejected')).toBe(1);
    expect(registry.snapshot().dep).toEqual({ state: 'closed', failures: 3, consecutiveFailures: 0 });
  });

  it('logs every state change exactly once (warn on open), and nothing per call', async () => {
    const b = create();
    for (let i = 0; i < 20; i++) await b.fire(ok);
    expect(lines).toHaveLength(0);
    await failTimes(b, 3);
    await expect(b.fire(ok)).rejects.toBeInstanceOf(BreakerOpenError);
    await waitFor(() => b.state === 'half-open', 2_000, 'half-open');
    await b.fire(ok);
    expect(lines.map((l) => [l.level, l.from, l.to])).toEqual([
      [PINO_WARN, 'closed', 'open'],
      [PINO_INFO, 'open', 'half-open'],
      [PINO_INFO, 'half-open', 'closed'],
    ]);
    expect(lines.every((l) => l.breaker === 'dep')).toBe(true);
  });

  it('notifies state-change listeners until they unsubscribe; a throwing listener is logged, not fatal', async () => {
    const b = create();
    const seen: BreakerStateChange[] = [];
    const off = registry.onStateChange((e) => seen.push(e));
    registry.onStateChange(() => {
      throw new Error('listener bug');
    });
    b.open();
    expect(seen).toEqual([{ name: 'dep', from: 'closed', to: 'open' }]);
    off();
    b.close();
    expect(seen).toHaveLength(1);
    expect(b.state).toBe('closed');
    expect(lines.filter((l) => l.msg.includes('listener threw'))).toHaveLength(2);
  });
});

describe('registry', () => {
  beforeEach(() => makeRegistry());

  it('refuses a duplicate name and invalid settings, naming the field', () => {
    create();
    expect(() => create()).toThrow(/already exists/);
    expect(() => registry.create({ name: 'x', ...BASE, failureThreshold: 0 })).toThrow(/failureThreshold must be a positive integer/);
    expect(() => registry.create({ name: 'y', ...BASE, timeoutMs: 1.5 })).toThrow(/timeoutMs/);
    expect(() => registry.create({ name: '', ...BASE })).toThrow(/name must be a non-empty string/);
    expect(registry.all().map((b) => b.name)).toEqual(['dep']);
    expect(registry.get('dep')?.name).toBe('dep');
    expect(registry.get('nope')).toBeUndefined();
  });

  it('shutdown() clears every timer it started (open reset timers, rolling windows) and later calls reject', async () => {
    const timers = trackTimers();
    try {
      const b = create({ resetTimeoutMs: 60_000 });
      create({ name: 'second' });
      await failTimes(b, 3);
      expect(b.state).toBe('open');
      expect(timers.pending()).toBeGreaterThan(0);
      registry.shutdown();
      expect(timers.pending()).toBe(0);
      await expect(b.fire(ok)).rejects.toBeInstanceOf(BreakerShutdownError);
    } finally {
      timers.restore();
    }
  });
});
