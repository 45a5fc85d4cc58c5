/**
 * Slowness is the dependency's, never the service's own stalls: a call that was in flight while
 * this process's event loop was blocked looks slow but is not, and the degradation manager takes
 * the stall out; a call that is really slow is still caught, and the reason gives the figures.
 */
import { defineService } from '@bulwark/runtime';
import { createMetrics, DegradationManager, SLOW_CALLS_TO_DEGRADE } from '../../../runtime/src/internal';
import { StallClock } from '../../../runtime/src/degradation/stalls';
import { captureLogs } from './log-capture';

/** Blocks this process's event loop for `ms`, as a long synchronous computation or a GC pause would. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** A call to a dependency that answers in `answerMs`; `during` runs while it is in flight. */
async function call(answerMs: number, during?: () => void): Promise<number> {
  const start = performance.now();
  const answered = new Promise((resolve) => setTimeout(resolve, answerMs));
  during?.();
  await answered;
  return performance.now() - start;
}

describe('StallClock', () => {
  it('records how long the process could not run, including a stall still going on', () => {
    let now = 0;
    const clock = new StallClock(() => now);
    clock.start();
    for (now = 10; now <= 50; now += 10) clock.tick(); // on time: no stall
    expect(clock.stalledBetween(0, 50)).toBe(0);
    now = 450; // the next tick was due at 60: 390 ms late
    clock.tick();
    expect(clock.stalledBetween(0, 450)).toBe(390);
    expect(clock.stalledBetween(100, 200)).toBe(100);
    now = 700; // no tick since 450 (due 460): the code asking is the first to run after 240 ms
    expect(clock.stalledBetween(400, 700)).toBe(50 + 240);
    clock.stop();
  });
});

describe('slowness detection under the service’s own stalls', () => {
  const declaration = defineService({ name: 'ledger', dependencies: { db: { kind: 'postgres', env: 'DB_URL', critical: true, slowThresholdMs: 100 } } });

  function manager(): DegradationManager {
    const m = new DegradationManager({ declaration, metrics: createMetrics({ nodeMetrics: false }), logger: captureLogs().logger });
    m.start();
    return m;
  }

  it('keeps a dependency healthy when fast calls are delayed by an event-loop stall', async () => {
    const m = manager();
    try {
      for (let i = 0; i < SLOW_CALLS_TO_DEGRADE + 1; i++) {
        const ms = await call(5, () => block(300));
        expect(ms).toBeGreaterThan(300); // what the caller measured…
        m.observeLatency('db', ms); // …is not the database's doing
      }
      expect(m.status().db).toMatchObject({ state: 'healthy', slow: false });
      expect(m.levelName).toBe('OPTIMAL');
    } finally {
      await m.stop();
    }
  });

  it('still marks a really slow dependency slow, and says which calls and what was taken out', async () => {
    const m = manager();
    try {
      for (let i = 0; i < SLOW_CALLS_TO_DEGRADE; i++) m.observeLatency('db', await call(250));
      const db = m.status().db!;
      expect(db).toMatchObject({ state: 'slow', slow: true });
      expect(db.lastError).toMatch(/^slow: 3 calls in a row took \d+, \d+, \d+ ms against the 100 ms threshold \(after taking out \d+, \d+, \d+ ms of this service's own stalls\)$/);
      expect(m.levelName).toBe('MINIMAL');
    } finally {
      await m.stop();
    }
  });
});
