/**
 * Startup validation wall time of the example service's runtime (runtime.start(): environment,
 * connection strings, and a check of PostgreSQL, Redis and OpenAI in parallel) with healthy
 * dependencies, and with OpenAI hanging (its stand-in accepts the request and never answers).
 */
import { createRuntime, type ValidationSummary } from '@bulwark/runtime';
import { createLogDestination } from '../../runtime/src/internal';
import { providersService } from '../../lib/services/providers';
import { SUMMARY_MODEL } from '../../service/app';
import { startOpenAIServer } from '@bulwark/harness';
import { failToParent, toParent } from '../lib/child';

export interface StartupTiming {
  readonly wallMs: number;
  readonly validationMs: number;
  readonly status: ValidationSummary['status'];
  readonly failed: readonly string[];
}

async function startOnce(env: Record<string, string>): Promise<StartupTiming> {
  const runtime = createRuntime(providersService, {
    env,
    logDestination: createLogDestination('/dev/null'),
    admin: { port: 0 },
    exit: (code) => {
      throw new Error(`startup validation asked to exit with code ${code}`);
    },
  });
  runtime.postgres('db');
  runtime.redis('cache');
  runtime.openai('ai', { model: SUMMARY_MODEL });
  const start = performance.now();
  try {
    const summary = await runtime.start();
    return {
      wallMs: performance.now() - start,
      validationMs: summary.total_duration_ms,
      status: summary.status,
      failed: summary.results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.message}`),
    };
  } finally {
    await runtime.stop();
  }
}

async function main(): Promise<void> {
  const base = JSON.parse(process.env.BENCH_SERVICE_ENV ?? '{}') as Record<string, string>;
  const ai = await startOpenAIServer();
  try {
    const env = { ...base, OPENAI_BASE_URL: ai.baseURL };
    const healthy: StartupTiming[] = [];
    for (let i = 0; i < Number(process.argv[2] ?? 5); i++) healthy.push(await startOnce(env));
    ai.setMode('hang');
    const hanging = await startOnce(env);
    toParent({ type: 'result', healthy, hanging, declaredCheckTimeoutMs: providersService.startup.checkTimeoutMs });
    if (!process.send) console.log(JSON.stringify({ healthy, hanging }, null, 2));
  } finally {
    await ai.close();
  }
}

main().then(() => process.exit(0), failToParent);
