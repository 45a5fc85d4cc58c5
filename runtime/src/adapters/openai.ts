import { performance } from 'node:perf_hooks';
import type { ClientOptions, OpenAI } from 'openai';
import type { APIError } from 'openai';
import { loadPeer } from './peer';

const sdk = () => loadPeer<typeof import('openai')>('openai', 'openai');
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from 'openai/resources/embeddings';
import type { Model } from 'openai/resources/models';
import type { Breaker } from '../breakers/breaker';
import { LABEL } from '../metrics/catalog';
import {
  adapterLogging,
  breakerErrorType,
  COMMON_ERROR_TYPE,
  errorMessage,
  withTimeout,
  type AdapterBaseOptions,
  type DependencyAdapter,
} from './common';

export const OPENAI_ERROR_TYPE = {
  ...COMMON_ERROR_TYPE,
  rateLimit: 'rate_limit',
  serverError: 'server_error',
  auth: 'auth',
  badRequest: 'bad_request',
} as const;

export const OPENAI_OPERATION = {
  chat: 'chat',
  embeddings: 'embeddings',
  modelsList: 'models_list',
  modelsRetrieve: 'models_retrieve',
} as const;

/** `model` label for calls that name no model (listing models). */
export const NO_MODEL = 'none';

/** 400, 404 and 422 are the caller's fault (bad request, unknown model, invalid body): they never open the breaker. */
const CALLER_STATUSES = new Set([400, 404, 422]);

export function isOpenAICallerError(err: unknown): boolean {
  return err instanceof sdk().APIError && typeof err.status === 'number' && CALLER_STATUSES.has(err.status);
}

export function openAIErrorType(err: unknown): string {
  const fromBreaker = breakerErrorType(err);
  if (fromBreaker) return fromBreaker;
  const { APIConnectionError, APIConnectionTimeoutError, APIError: SdkAPIError, APIUserAbortError } = sdk();
  if (err instanceof APIConnectionTimeoutError || err instanceof APIUserAbortError) return OPENAI_ERROR_TYPE.timeout;
  if (err instanceof APIConnectionError) return OPENAI_ERROR_TYPE.connection;
  if (err instanceof SdkAPIError && typeof err.status === 'number') {
    if (err.status === 429) return OPENAI_ERROR_TYPE.rateLimit;
    if (err.status >= 500) return OPENAI_ERROR_TYPE.serverError;
    if (err.status === 401 || err.status === 403) return OPENAI_ERROR_TYPE.auth;
    if (err.status === 408) return OPENAI_ERROR_TYPE.timeout;
    if (err.status >= 400) return OPENAI_ERROR_TYPE.badRequest;
  }
  return OPENAI_ERROR_TYPE.other;
}

/** The Retry-After of a 429 (or 503), in ms, when the response carried one (seconds or an HTTP date). */
export function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof sdk().APIError) || !(err as APIError).headers) return undefined;
  const headers = (err as APIError).headers as Headers;
  const ms = headers.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** An SDK error as the adapter rethrows it: a 429 carries `retryAfterMs` when the API sent Retry-After. */
export type OpenAIAdapterError = Error & { retryAfterMs?: number };

export interface OpenAIAdapterOptions extends AdapterBaseOptions {
  readonly apiKey: string;
  /** The model the health check retrieves (a free call). */
  readonly model: string;
  readonly baseURL?: string;
  readonly organization?: string;
  /** Further SDK options; `maxRetries` (0) and `timeout` (the breaker timeout) always win. */
  readonly clientOptions?: Omit<ClientOptions, 'apiKey' | 'baseURL' | 'organization' | 'maxRetries' | 'timeout'>;
}

export interface OpenAIAdapter extends DependencyAdapter {
  readonly kind: 'openai';
  /** The SDK client (no retries, breaker timeout); calls on it directly bypass the breaker and metrics. */
  readonly client: OpenAI;
  chatCompletion(params: ChatCompletionCreateParamsNonStreaming): Promise<ChatCompletion>;
  embeddings(params: EmbeddingCreateParams): Promise<CreateEmbeddingResponse>;
  listModels(): Promise<Model[]>;
  retrieveModel(model: string): Promise<Model>;
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

class OpenAIAdapterImpl implements OpenAIAdapter {
  readonly kind = 'openai' as const;
  readonly name: string;
  readonly client: OpenAI;
  readonly breaker: Breaker;
  private readonly log;
  private readonly redact;
  private readonly healthTimeoutMs: number;

  constructor(private readonly opts: OpenAIAdapterOptions) {
    if (!opts.apiKey) throw new Error(`openai ${opts.name}: apiKey is empty; set the dependency's API key environment variable`);
    if (!opts.model) throw new Error(`openai ${opts.name}: model is empty; name the model the service uses (the health check retrieves it)`);
    this.name = opts.name;
    ({ log: this.log, redact: this.redact } = adapterLogging(opts, 'openai', [opts.apiKey]));
    this.healthTimeoutMs = opts.healthCheckTimeoutMs ?? opts.breaker.timeoutMs;
    this.breaker = opts.breakers.create({ name: opts.name, ...opts.breaker, isCallerError: isOpenAICallerError });
    // The SDK retries twice by default: retries would stack under the breaker and multiply its timeout.
    const { OpenAI: OpenAIClient } = sdk();
    this.client = new OpenAIClient({
      ...opts.clientOptions,
      apiKey: opts.apiKey,
      baseURL: opts.baseURL,
      organization: opts.organization,
      maxRetries: 0,
      timeout: opts.breaker.timeoutMs,
    });
  }

  chatCompletion(params: ChatCompletionCreateParamsNonStreaming): Promise<ChatCompletion> {
    return this.call(OPENAI_OPERATION.chat, params.model, (signal) => this.client.chat.completions.create(params, { signal }));
  }

  embeddings(params: EmbeddingCreateParams): Promise<CreateEmbeddingResponse> {
    return this.call(OPENAI_OPERATION.embeddings, params.model, (signal) => this.client.embeddings.create(params, { signal }));
  }

  async listModels(): Promise<Model[]> {
    return this.call(OPENAI_OPERATION.modelsList, NO_MODEL, async (signal) => {
      const page = await this.client.models.list({ signal });
      return page.data;
    });
  }

  retrieveModel(model: string): Promise<Model> {
    return this.call(OPENAI_OPERATION.modelsRetrieve, model, (signal) => this.client.models.retrieve(model, { signal }));
  }

  /** Retrieves the configured model: free, and proves the key, the network path and the model's existence. */
  async healthCheck(): Promise<void> {
    const controller = new AbortController();
    try {
      // The check's own deadline decides (and aborts the request): the SDK's is set past it.
      const request = this.client.models.retrieve(this.opts.model, { signal: controller.signal, timeout: this.healthTimeoutMs * 2 });
      await withTimeout(request, this.healthTimeoutMs, `openai ${this.name} health check`);
    } catch (err) {
      controller.abort();
      throw new Error(`openai ${this.name} health check failed (${openAIErrorType(err)}): ${this.redact(errorMessage(err))}`);
    }
  }

  async close(): Promise<void> {
    // The SDK holds no connections of its own beyond fetch's keep-alive pool.
  }

  private async call<T>(operation: string, model: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const m = this.opts.metrics;
    m.openaiRequestsTotal.inc({ [LABEL.dependency]: this.name, [LABEL.model]: model, [LABEL.operation]: operation });
    const start = performance.now();
    const call = this.opts.onCallStart?.();
    try {
      const result = await this.breaker.fire(fn);
      const ms = performance.now() - start;
      m.openaiRequestDurationSeconds.observe({ [LABEL.dependency]: this.name, [LABEL.model]: model }, ms / 1000);
      this.opts.onCallLatency?.(ms);
      this.countTokens(model, (result as { usage?: Usage } | null)?.usage);
      return result;
    } catch (err) {
      const errorType = openAIErrorType(err);
      if (errorType !== OPENAI_ERROR_TYPE.circuitOpen) m.openaiRequestDurationSeconds.observe({ [LABEL.dependency]: this.name, [LABEL.model]: model }, (performance.now() - start) / 1000);
      m.openaiErrorsTotal.inc({ [LABEL.dependency]: this.name, [LABEL.model]: model, [LABEL.errorType]: errorType });
      const retryAfter = retryAfterMs(err);
      if (retryAfter !== undefined && err instanceof Error) (err as OpenAIAdapterError).retryAfterMs = retryAfter;
      if (errorType !== OPENAI_ERROR_TYPE.circuitOpen && !isOpenAICallerError(err)) {
        this.log.warn({ operation, model, errorType, retryAfterMs: retryAfter, err: this.redact(errorMessage(err)) }, 'openai request failed');
      }
      throw err;
    } finally {
      if (call !== undefined) this.opts.onCallEnd?.(call);
    }
  }

  private countTokens(model: string, usage: Usage | undefined): void {
    if (!usage) return;
    const tokens = this.opts.metrics.openaiTokensTotal;
    if (usage.prompt_tokens) tokens.inc({ [LABEL.dependency]: this.name, [LABEL.model]: model, [LABEL.tokenType]: 'prompt' }, usage.prompt_tokens);
    if (usage.completion_tokens) tokens.inc({ [LABEL.dependency]: this.name, [LABEL.model]: model, [LABEL.tokenType]: 'completion' }, usage.completion_tokens);
  }
}

/** An OpenAI dependency: SDK client without retries, breaker, metrics (requests, errors, tokens) and logs. */
export function createOpenAIAdapter(opts: OpenAIAdapterOptions): OpenAIAdapter {
  return new OpenAIAdapterImpl(opts);
}
