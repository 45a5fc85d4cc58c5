import type { BulwarkRuntime, RedisAdapter } from '@bulwark/runtime';
import type { Provider } from './providers';

export type CacheOutcome = 'hit' | 'miss' | 'bypass';

/** How long a provider record stays cached (an update evicts it at once). */
export const PROVIDER_TTL_SECONDS = 60;
/**
 * How long a provider's AI summary stays cached: at most one OpenAI call per provider version per
 * hour (per service task). An update makes a new version, so its summary is written afresh.
 */
export const SUMMARY_TTL_SECONDS = 3_600;

/**
 * Redis as an optimisation only: while the cache capability is refused (Redis down → DEGRADED) or
 * a call fails, reads report `bypass` and writes are skipped; the caller goes to the source.
 */
class OptionalRedis {
  constructor(
    private readonly runtime: BulwarkRuntime,
    private readonly redis: RedisAdapter,
  ) {}

  private get usable(): boolean {
    return this.runtime.degradation.allows('cache');
  }

  async get(key: string): Promise<{ outcome: CacheOutcome; value?: string }> {
    if (!this.usable) return { outcome: 'bypass' };
    try {
      const value = await this.redis.get(key);
      return value ? { outcome: 'hit', value } : { outcome: 'miss' };
    } catch {
      return { outcome: 'bypass' }; // counted and logged by the adapter; the breaker decides when to stop trying
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    if (!this.usable) return;
    await this.redis.set(key, value, ttlSeconds).catch(() => undefined);
  }

  async del(key: string): Promise<void> {
    if (!this.usable) return;
    await this.redis.del(key).catch(() => undefined);
  }
}

/** Read-through cache of provider records; reads go straight to PostgreSQL while Redis cannot serve. */
export class ProviderCache {
  private readonly store: OptionalRedis;

  constructor(runtime: BulwarkRuntime, redis: RedisAdapter) {
    this.store = new OptionalRedis(runtime, redis);
  }

  private static key(id: number): string {
    return `provider:${id}`;
  }

  async get(id: number): Promise<{ outcome: CacheOutcome; provider?: Provider }> {
    const { outcome, value } = await this.store.get(ProviderCache.key(id));
    return value ? { outcome, provider: JSON.parse(value) as Provider } : { outcome };
  }

  async put(p: Provider): Promise<void> {
    await this.store.set(ProviderCache.key(p.id), JSON.stringify(p), PROVIDER_TTL_SECONDS);
  }

  async evict(id: number): Promise<void> {
    await this.store.del(ProviderCache.key(id));
  }
}

/**
 * The AI summaries, by model, provider and provider version: an update changes the key, so a
 * summary is never served for a record it was not written from. Only model-written summaries are
 * put here; fallbacks are not.
 */
export class SummaryCache {
  private readonly store: OptionalRedis;

  constructor(
    runtime: BulwarkRuntime,
    redis: RedisAdapter,
    private readonly model: string,
  ) {
    this.store = new OptionalRedis(runtime, redis);
  }

  key(p: Provider): string {
    return `summary:${this.model}:${p.id}:v${p.version}`;
  }

  async get(p: Provider): Promise<{ outcome: CacheOutcome; summary?: string }> {
    const { outcome, value } = await this.store.get(this.key(p));
    return value ? { outcome, summary: value } : { outcome };
  }

  async put(p: Provider, summary: string): Promise<void> {
    await this.store.set(this.key(p), summary, SUMMARY_TTL_SECONDS);
  }
}
