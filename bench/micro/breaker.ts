/**
 * Cost per call of a breaker-protected call: a direct call, bare opossum with the options the
 * runtime gives it, bare opossum with its defaults (rolling percentiles on) and the runtime's
 * breaker (consecutive-failure counting, per-call result metrics, caller-error filter), in one
 * process. Calls are sequential (each awaited), as a request handler makes them.
 */
import CircuitBreaker from 'opossum';
import { KIND_DEFAULTS } from '@bulwark/runtime';
import { BreakerRegistry, createLogDestination, createLogger, createMetrics } from '../../runtime/src/internal';
import { failToParent, toParent } from '../lib/child';
import { compareCases, type MicroCase } from './timing';

const SETTINGS = KIND_DEFAULTS.redis.breaker; // the example service's cache breaker: 500 ms per call
const VALUE = { ok: true };
const call = (): Promise<typeof VALUE> => Promise.resolve(VALUE);
const callWithArg = (v: typeof VALUE): Promise<typeof VALUE> => Promise.resolve(v);

async function sequential(n: number, fire: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < n; i++) await fire();
}

/** The options OpossumBreaker passes to opossum (runtime/src/breakers/breaker.ts). */
export const RUNTIME_OPOSSUM_OPTIONS: CircuitBreaker.Options = {
  timeout: SETTINGS.timeoutMs,
  resetTimeout: SETTINGS.resetTimeoutMs,
  errorThresholdPercentage: Number.POSITIVE_INFINITY,
  rollingPercentilesEnabled: false,
  enableSnapshots: false,
};

export function breakerCases(): { cases: MicroCase[]; shutdown: () => void } {
  const sameOptions = new CircuitBreaker(callWithArg, { ...RUNTIME_OPOSSUM_OPTIONS, name: 'bare-same-options' });
  const defaults = new CircuitBreaker(callWithArg, { timeout: SETTINGS.timeoutMs, resetTimeout: SETTINGS.resetTimeoutMs, name: 'bare-defaults' });
  const registry = new BreakerRegistry({
    enabled: true,
    metrics: createMetrics({ nodeMetrics: false }),
    logger: createLogger({ service: 'bench', structured: true, destination: createLogDestination('/dev/null') }),
  });
  const runtime = registry.create({ name: 'cache', ...SETTINGS });
  return {
    cases: [
      { name: 'direct', run: (n) => sequential(n, call) },
      { name: 'opossum-same-options', run: (n) => sequential(n, () => sameOptions.fire(VALUE)) },
      { name: 'opossum-defaults', run: (n) => sequential(n, () => defaults.fire(VALUE)) },
      { name: 'runtime', run: (n) => sequential(n, () => runtime.fire(call)) },
    ],
    shutdown: () => {
      sameOptions.shutdown();
      defaults.shutdown();
      registry.shutdown();
    },
  };
}

async function main(): Promise<void> {
  const { cases, shutdown } = breakerCases();
  const results = await compareCases(cases, Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 7));
  shutdown();
  toParent({ type: 'result', results });
  if (!process.send) console.log(results.map((r) => `${r.name.padEnd(22)} ${r.nsPerOp.toFixed(0)} ns/call`).join('\n'));
}

if (require.main === module) main().then(() => process.exit(0), failToParent);
