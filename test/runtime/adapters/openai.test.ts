// The OpenAI API is stood in for by a local HTTP server (no internet here); the client is the real `openai` SDK.
import { BreakerOpenError, BreakerTimeoutError, type OpenAIAdapter, type OpenAIAdapterError } from '@bulwark/runtime';
import { BreakerRegistry, createMetrics, createOpenAIAdapter, LABEL, METRICS, type RuntimeMetrics } from '../../../runtime/src/internal';
import { BadRequestError } from 'openai';
import { startOpenAIServer, type OpenAIServer } from '@bulwark/harness';
import { waitFor } from '@bulwark/harness';
import { captureLogger, metricSum, metricValue, type LogLine } from '../breakers/helpers';

const API_KEY = 'sk-live-SECRETSECRETSECRET1234';
const MODEL = 'gpt-4o-mini';
const BREAKER = { failureThreshold: 2, resetTimeoutMs: 200, successThreshold: 1, timeoutMs: 400 };

let ai: OpenAIServer;
let metrics: RuntimeMetrics;
let registry: BreakerRegistry;
let adapter: OpenAIAdapter;
let lines: LogLine[];

beforeEach(async () => {
  ai = await startOpenAIServer();
  metrics = createMetrics({ nodeMetrics: false });
  const cap = captureLogger();
  lines = cap.lines;
  registry = new BreakerRegistry({ enabled: true, metrics, logger: cap.logger });
  adapter = createOpenAIAdapter({ name: 'openai', apiKey: API_KEY, model: MODEL, baseURL: ai.baseURL, breaker: BREAKER, breakers: registry, metrics, logger: cap.logger });
});

afterEach(async () => {
  registry.shutdown();
  await adapter.close();
  await ai.close();
});

const chat = () => adapter.chatCompletion({ model: MODEL, messages: [{ role: 'user', content: 'say something nice' }] });
const errors = (errorType: string) => metricValue(metrics, METRICS.openaiErrorsTotal.name, { [LABEL.model]: MODEL, [LABEL.errorType]: errorType });

it('creates the SDK client without retries and with the breaker timeout', () => {
  expect(adapter.client.maxRetries).toBe(0);
  expect(adapter.client.timeout).toBe(BREAKER.timeoutMs);
});

it('counts requests, latency and tokens from usage', async () => {
  const res = await chat();
  expect(res.choices[0].message.content).toBe('echo: say something nice');
  await adapter.embeddings({ model: 'text-embedding-3-small', input: 'one two three four' });
  expect(await metricValue(metrics, METRICS.openaiRequestsTotal.name, { [LABEL.model]: MODEL, [LABEL.operation]: 'chat' })).toBe(1);
  expect(await metricValue(metrics, METRICS.openaiTokensTotal.name, { [LABEL.model]: MODEL, [LABEL.tokenType]: 'prompt' })).toBe(3);
  expect(await metricValue(metrics, METRICS.openaiTokensTotal.name, { [LABEL.model]: MODEL, [LABEL.tokenType]: 'completion' })).toBe(4);
  expect(await metricValue(metrics, METRICS.openaiTokensTotal.name, { [LABEL.model]: 'text-embedding-3-small', [LABEL.tokenType]: 'prompt' })).toBe(4);
  const hist = await metrics.openaiRequestDurationSeconds.get();
  expect(hist.values.find((v) => v.metricName === `${METRICS.openaiRequestDurationSeconds.name}_count` && v.labels.model === MODEL)?.value).toBe(1);
  expect((await adapter.listModels()).map((m) => m.id)).toContain(MODEL);
  expect((await adapter.retrieveModel(MODEL)).id).toBe(MODEL);
});

it('500s open the breaker; then calls fail fast without reaching the API', async () => {
  ai.setMode('error500');
  await expect(chat()).rejects.toMatchObject({ status: 500 });
  await expect(chat()).rejects.toMatchObject({ status: 500 });
  expect(adapter.breaker.state).toBe('open');
  const before = ai.requests('/v1/chat/completions');
  await expect(chat()).rejects.toBeInstanceOf(BreakerOpenError);
  expect(ai.requests('/v1/chat/completions')).toBe(before);
  expect(await errors('server_error')).toBe(2);
  expect(await errors('circuit_open')).toBe(1);
  ai.setMode('ok');
  await waitFor(() => adapter.breaker.state === 'half-open', 3_000, 'half-open');
  await chat();
  expect(adapter.breaker.state).toBe('closed');
});

it('counts a 429 as rate_limit and exposes Retry-After on the thrown error', async () => {
  ai.setMode('rateLimit');
  const err = (await chat().catch((e: unknown) => e)) as OpenAIAdapterError;
  expect(err.retryAfterMs).toBe(7_000);
  expect(await errors('rate_limit')).toBe(1);
  expect(await metricValue(metrics, METRICS.circuitBreakerFailuresTotal.name, { [LABEL.name]: 'openai' })).toBe(1);
});

it('a hanging API times out at the breaker timeout; the caller is not held longer', async () => {
  ai.setMode('hang');
  const started = Date.now();
  const err = await chat().catch((e: unknown) => e);
  const waited = Date.now() - started;
  expect(err).toBeInstanceOf(BreakerTimeoutError);
  // Bounded by the breaker timeout (plus scheduling slack), far below the SDK's 10-minute default.
  expect(waited).toBeLessThan(BREAKER.timeoutMs + 1_500);
  expect(await errors('timeout')).toBe(1);
});

it('a 400 is the caller error: passed through, not counted against the breaker', async () => {
  ai.setMode('badRequest');
  for (let i = 0; i < 5; i++) await expect(chat()).rejects.toBeInstanceOf(BadRequestError);
  expect(adapter.breaker.state).toBe('closed');
  expect(await errors('bad_request')).toBe(5);
  expect(await metricValue(metrics, METRICS.circuitBreakerFailuresTotal.name, { [LABEL.name]: 'openai' })).toBe(0);
});

it('healthCheck is free: it calls /v1/models only, never chat completions, and bypasses the breaker', async () => {
  await adapter.healthCheck();
  expect(ai.requests(`/v1/models/${MODEL}`)).toBe(1);
  expect(ai.requests('/v1/chat/completions')).toBe(0);
  expect(ai.requests('/v1/embeddings')).toBe(0);
  adapter.breaker.open();
  await adapter.healthCheck();
  expect(ai.requests()).toBe(2);
  expect(await metricSum(metrics, METRICS.openaiRequestsTotal.name)).toBe(0);
});

it('a failing healthCheck rejects with a message that names the error type and never the key', async () => {
  ai.setMode('error500');
  await expect(adapter.healthCheck()).rejects.toThrow(/openai openai health check failed \(server_error\)/);
  ai.setMode('hang');
  await expect(adapter.healthCheck()).rejects.toThrow(/timed out/);
});

it('logs failures with the dependency name and without the API key', async () => {
  ai.setMode('error500');
  await chat().catch(() => undefined);
  await chat().catch(() => undefined);
  const failure = lines.find((l) => l.msg === 'openai request failed');
  expect(failure).toMatchObject({ dependency: 'openai', errorType: 'server_error', model: MODEL });
  expect(lines.find((l) => l.to === 'open')).toMatchObject({ breaker: 'openai' });
  expect(JSON.stringify(lines)).not.toContain(API_KEY);
});
