/**
 * A hang is seen while it hangs: a dependency that accepts calls and answers nothing is checked as
 * soon as a call has been in flight far longer than its calls usually take — not at the next
 * periodic check — while slow-but-working calls only cost an extra check that passes.
 */
import { createRuntime, defineService } from '@bulwark/runtime';
import { waitFor } from '@bulwark/harness';
import { LogCapture } from '../logging/capture';

const INTERVAL_MS = 30_000; // periodic checks far apart: what is seen early is seen by the hang watch
const declaration = defineService({
  name: 'quotes',
  dependencies: { pricing: { kind: 'http', healthCheck: { intervalMs: INTERVAL_MS, timeoutMs: 500 } } },
});

function setup(healthy: { value: boolean }) {
  const logs = new LogCapture();
  const runtime = createRuntime(declaration, { env: {}, logDestination: logs, nodeMetrics: false, admin: { port: 0 } });
  let checks = 0;
  const pricing = runtime.call('pricing', async () => {
    checks++;
    if (!healthy.value) await new Promise(() => undefined); // accepts, never answers: the check times out
  });
  return { runtime, pricing, logs, checks: () => checks };
}

describe('hangs', () => {
  it('are found within the check timeout of a call outliving what calls usually take', async () => {
    const healthy = { value: true };
    const { runtime, pricing, checks } = setup(healthy);
    await runtime.start();
    let hung: Promise<unknown> | undefined;
    try {
      for (let i = 0; i < 5; i++) await pricing.instrumentCall('quote', () => new Promise((r) => setTimeout(r, 20)));
      const before = checks();
      healthy.value = false;
      hung = pricing.instrumentCall('quote', () => new Promise(() => undefined)).catch(() => undefined);
      const startedAt = Date.now();
      await waitFor(() => runtime.degradation.levelName === 'LIMITED', 20_000, 'the hang to be seen');
      // Seen at about hang floor (1 s) + check timeout (0.5 s), long before the next periodic check (30 s).
      expect(Date.now() - startedAt).toBeLessThan(INTERVAL_MS / 2);
      expect(checks()).toBe(before + 1);
      expect(runtime.degradation.status().pricing?.lastError).toContain('did not answer within 500 ms');
    } finally {
      await runtime.stop();
      await hung; // settled by the breaker's shutdown: nothing outlives the test
    }
  });

  it('are not called on slow-but-working calls: the extra check passes and the level stays', async () => {
    const healthy = { value: true };
    const { runtime, pricing, checks, logs } = setup(healthy);
    await runtime.start();
    try {
      for (let i = 0; i < 5; i++) await pricing.instrumentCall('quote', () => new Promise((r) => setTimeout(r, 20)));
      const before = checks();
      await pricing.instrumentCall('quote', () => new Promise((r) => setTimeout(r, 1_600)));
      expect(checks()).toBe(before + 1);
      expect(logs.text).toContain('a call in flight for');
      expect(runtime.degradation.levelName).toBe('OPTIMAL');
    } finally {
      await runtime.stop();
    }
  });
});
