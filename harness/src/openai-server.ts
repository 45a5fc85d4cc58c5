/**
 * A local stand-in for the OpenAI API (there is no internet here), spoken to by the real
 * `openai` SDK. Use it wherever a test needs OpenAI.
 *
 *   const ai = await startOpenAIServer();         // node:http on 127.0.0.1, ephemeral port
 *   new OpenAI({ apiKey: 'sk-test…', baseURL: ai.baseURL, maxRetries: 0 });
 *   ai.setMode('error500');                         // switch behaviour at any time
 *   ai.requests('/v1/chat/completions');            // requests seen on a path (or ai.requests() for all)
 *   await ai.close();                               // also ends requests left hanging
 *
 * Endpoints: GET /v1/models, GET /v1/models/:id, POST /v1/chat/completions (non-streaming; a
 * proper completion with `usage`), POST /v1/embeddings (with `usage`). Unknown paths answer 404.
 *
 * Modes (`OpenAIServerMode`):
 *   ok          normal answers
 *   error500    500 with an OpenAI-shaped error body
 *   rateLimit   429 with `retry-after: <retryAfterSeconds>` (default 7)
 *   hang        never answers until the client gives up or `close()` is called
 *   badRequest  400 invalid_request_error
 *
 * Answers are deterministic: the completion echoes the last user message as `echo: …`,
 * prompt_tokens = number of words in all messages, completion_tokens = words in the answer;
 * embeddings are 8 numbers per input. `lastAuthorization` holds the Authorization header of the
 * latest request so a test can check the key was sent (never print it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type OpenAIServerMode = 'ok' | 'error500' | 'rateLimit' | 'hang' | 'badRequest';

export interface OpenAIServer {
  /** e.g. http://127.0.0.1:43123/v1 — pass as the SDK's `baseURL`. */
  readonly baseURL: string;
  readonly port: number;
  readonly mode: OpenAIServerMode;
  setMode(mode: OpenAIServerMode): void;
  /** How long completions and embeddings take from now on (undefined: no wait). */
  setCompletionLatency(range: { readonly min: number; readonly max: number } | undefined): void;
  /** Requests received on `path` (e.g. '/v1/models', '/v1/models/:id' counts as the concrete path), or on every path. */
  requests(path?: string): number;
  /** Requests received, per path. */
  readonly counts: ReadonlyMap<string, number>;
  resetCounts(): void;
  readonly lastAuthorization: string | undefined;
  /** Stops listening and destroys every open socket, hanging requests included. */
  close(): Promise<void>;
}

export interface OpenAIServerOptions {
  readonly mode?: OpenAIServerMode;
  /** Models GET /v1/models lists; GET /v1/models/:id answers 404 for others. @default ['gpt-4o-mini', 'text-embedding-3-small'] */
  readonly models?: readonly string[];
  /** Seconds sent in retry-after in `rateLimit` mode. @default 7 */
  readonly retryAfterSeconds?: number;
  /**
   * How long completions and embeddings take in `ok` mode, as a real model's do: each answer waits
   * a time drawn evenly from [min, max] ms (the models endpoints answer at once). @default no wait
   */
  readonly completionLatencyMs?: { readonly min: number; readonly max: number };
}

const CREATED = 1_700_000_000;

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

function apiError(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { message, type, param: null, code: null } }, headers);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

interface ChatBody {
  model?: string;
  messages?: { role: string; content?: unknown }[];
}

interface EmbeddingBody {
  model?: string;
  input?: string | string[];
}

export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  let mode: OpenAIServerMode = options.mode ?? 'ok';
  let completionLatency = options.completionLatencyMs;
  const models = options.models ?? ['gpt-4o-mini', 'text-embedding-3-small'];
  const retryAfter = String(options.retryAfterSeconds ?? 7);
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  let lastAuthorization: string | undefined;
  let sequence = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    counts.set(path, (counts.get(path) ?? 0) + 1);
    lastAuthorization = req.headers.authorization;
    const body = req.method === 'POST' ? await readBody(req) : undefined;

    switch (mode) {
      case 'hang':
        return; // never answer; close() destroys the socket
      case 'error500':
        return apiError(res, 500, 'server_error', 'The server had an error while processing your request.');
      case 'rateLimit':
        return apiError(res, 429, 'requests', 'Rate limit reached for requests.', { 'retry-after': retryAfter });
      case 'badRequest':
        return apiError(res, 400, 'invalid_request_error', 'Invalid request: this is a bad request.');
      case 'ok':
        break;
    }

    const latency = completionLatency;
    if (latency && req.method === 'POST') {
      await new Promise((resolve) => setTimeout(resolve, latency.min + Math.random() * (latency.max - latency.min)));
      if (res.destroyed) return;
    }

    if (req.method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'bulwark-test' })) });
    }
    const modelMatch = /^\/v1\/models\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && modelMatch) {
      const id = decodeURIComponent(modelMatch[1]);
      if (!models.includes(id)) return apiError(res, 404, 'invalid_request_error', `The model '${id}' does not exist`);
      return sendJson(res, 200, { id, object: 'model', created: CREATED, owned_by: 'bulwark-test' });
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      const chat = body as ChatBody;
      const messages = chat.messages ?? [];
      const lastUser = [...messages].reverse().find((m) => m.role === 'user');
      const content = `echo: ${typeof lastUser?.content === 'string' ? lastUser.content : ''}`;
      const prompt = messages.reduce((n, m) => n + (typeof m.content === 'string' ? words(m.content) : 0), 0);
      const completion = words(content);
      return sendJson(res, 200, {
        id: `chatcmpl-test-${++sequence}`,
        object: 'chat.completion',
        created: CREATED,
        model: chat.model ?? 'unknown',
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
      });
    }
    if (req.method === 'POST' && path === '/v1/embeddings') {
      const emb = body as EmbeddingBody;
      const inputs = Array.isArray(emb.input) ? emb.input : [emb.input ?? ''];
      const tokens = inputs.reduce((n, s) => n + words(String(s)), 0);
      return sendJson(res, 200, {
        object: 'list',
        model: emb.model ?? 'unknown',
        data: inputs.map((s, index) => ({ object: 'embedding', index, embedding: Array.from({ length: 8 }, (_v, i) => ((String(s).length + i) % 10) / 10) })),
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    }
    return apiError(res, 404, 'invalid_request_error', `Unknown request URL: ${req.method} ${path}`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => apiError(res, 400, 'invalid_request_error', `could not parse body: ${String(err)}`));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    get mode() {
      return mode;
    },
    setMode(next) {
      mode = next;
    },
    setCompletionLatency(range) {
      completionLatency = range;
    },
    requests(path) {
      if (path === undefined) return [...counts.values()].reduce((a, b) => a + b, 0);
      return counts.get(path) ?? 0;
    },
    counts,
    resetCounts() {
      counts.clear();
    },
    get lastAuthorization() {
      return lastAuthorization;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
