// The local server stands in for the OpenAI API; the real `openai` SDK talks to it.
import OpenAI, { BadRequestError, InternalServerError, RateLimitError } from 'openai';
import { startOpenAIServer, type OpenAIServer } from '@bulwark/harness';

let ai: OpenAIServer;
let client: OpenAI;

beforeEach(async () => {
  ai = await startOpenAIServer();
  client = new OpenAI({ apiKey: 'sk-test-0000000000000000', baseURL: ai.baseURL, maxRetries: 0, timeout: 2_000 });
});
afterEach(() => ai.close());

it('answers models, chat completions (with usage) and embeddings like the API', async () => {
  const list = await client.models.list();
  expect(list.data.map((m) => m.id)).toContain('gpt-4o-mini');
  expect((await client.models.retrieve('gpt-4o-mini')).id).toBe('gpt-4o-mini');
  const chat = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there world' }] });
  expect(chat.choices[0].message.content).toBe('echo: hello there world');
  expect(chat.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  const emb = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a b', 'c'] });
  expect(emb.data).toHaveLength(2);
  expect(emb.usage.prompt_tokens).toBe(3);
  expect(ai.requests('/v1/chat/completions')).toBe(1);
  expect(ai.requests('/v1/models')).toBe(1);
  expect(ai.requests()).toBe(4);
  expect(ai.lastAuthorization).toBe('Bearer sk-test-0000000000000000');
});

it('switches modes at runtime: 500, 429 with retry-after, 400, unknown model 404', async () => {
  ai.setMode('error500');
  await expect(client.models.list()).rejects.toBeInstanceOf(InternalServerError);
  ai.setMode('rateLimit');
  const err = await client.models.list().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RateLimitError);
  expect((err as RateLimitError).headers.get('retry-after')).toBe('7');
  ai.setMode('badRequest');
  await expect(client.chat.completions.create({ model: 'x', messages: [] })).rejects.toBeInstanceOf(BadRequestError);
  ai.setMode('ok');
  await expect(client.models.retrieve('no-such-model')).rejects.toMatchObject({ status: 404 });
});

it('hang mode never answers; close() ends the hanging request', async () => {
  ai.setMode('hang');
  const pending = client.models.list().then(
    () => 'answered',
    () => 'failed',
  );
  await new Promise((r) => setTimeout(r, 100));
  await ai.close();
  await expect(pending).resolves.toBe('failed');
});
