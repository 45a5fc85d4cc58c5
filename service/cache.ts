import type { BulwarkRuntime, RedisAdapter } from '@bulwark/runtime';
import type { Provider } from './providers';

export type CacheOutcome = 'hit' | 'miss' | 'bypass';

const TTL_SECONDS = 60;
const key = (id: number) => `provider:${id}`;

/**
 * Read-through cache in Redis. It is an optimisation only: while the cache capability is refused
 * (Redis down → DEGRADED) or a cache call fails, reads go straight to PostgreSQL.
 */
export class ProviderCache {
  constructor(
    private readonly runtime: BulwarkRuntime,
    private readonly redis: RedisAdapter,
  ) {}

  private get usable(): boolean {
    return this.runtime.degradation.allows('cache');
  }

  async get(id: number): Promise<{ outcome: CacheOutcome; provider?: Provider }> {
    if (!this.usable) return { outcome: 'bypass' };
    try {
      const raw = await this.redis.get(key(id));
      return raw ? { outcome: 'hit', provider: JSON.parse(raw) as Provider } : { outcome: 'miss' };
    } catch {
      return { outcome: 'bypass' }; // counted and logged by the adapter; the breaker decides when to stop trying
    }
  }

  async put(p: Provider): Promise<void> {
    if (!this.usable) return;
    await this.redis.set(key(p.id), JSON.stringify(p), TTL_SECONDS).catch(() => undefined);
  }

  async evict(id: number): Promise<void> {
    if (!this.usable) return;
    await this.redis.del(key(id)).catch(() => undefined);
  }
}
