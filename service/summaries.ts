import type { BulwarkRuntime, OpenAIAdapter } from '@bulwark/runtime';
import type { CacheOutcome, SummaryCache } from './cache';
import type { Provider } from './providers';

export interface Summary {
  readonly summary: string;
  /**
   * `ai` when the model wrote it (now, or earlier for this provider version: then the cache
   * outcome is `hit`); `fallback` when AI is unavailable (LIMITED) or the call failed.
   */
  readonly source: 'ai' | 'fallback';
}

export interface SummaryResult {
  readonly summary: Summary;
  /** The summary cache: `hit`, `miss`, or `bypass` (Redis unusable, or AI unavailable so not looked up). */
  readonly cache: CacheOutcome;
}

/** The declared fallback of the AI feature: a plain summary built from the record itself. */
export function fallbackSummary(p: Provider): string {
  const where = p.city ? ` in ${p.city}` : '';
  const what = p.description ? `: ${p.description.slice(0, 160)}` : '';
  return `${p.name} is a ${p.category} provider${where}${what}`;
}

/**
 * Provider summaries written by the model, each paid for once per provider version and cache TTL:
 * a cached one answers without calling OpenAI, and concurrent requests for the same uncached one
 * share a single call. While AI is unavailable every summary is the fallback (the level's contract),
 * cached or not.
 */
export class ProviderSummaries {
  private readonly inFlight = new Map<string, Promise<Summary>>();

  constructor(
    private readonly runtime: BulwarkRuntime,
    private readonly ai: OpenAIAdapter,
    private readonly model: string,
    private readonly cache: SummaryCache,
  ) {}

  async summarise(p: Provider): Promise<SummaryResult> {
    if (!this.runtime.degradation.allows('ai')) return { summary: { summary: fallbackSummary(p), source: 'fallback' }, cache: 'bypass' };
    const cached = await this.cache.get(p);
    if (cached.summary !== undefined) return { summary: { summary: cached.summary, source: 'ai' }, cache: 'hit' };
    const key = this.cache.key(p);
    let call = this.inFlight.get(key);
    if (!call) {
      call = this.write(p).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, call);
    }
    return { summary: await call, cache: cached.outcome };
  }

  private async write(p: Provider): Promise<Summary> {
    try {
      const completion = await this.ai.chatCompletion({
        model: this.model,
        max_tokens: 120,
        messages: [
          { role: 'system', content: 'Summarise the provider record in one sentence for a procurement team.' },
          { role: 'user', content: JSON.stringify({ name: p.name, category: p.category, city: p.city, description: p.description }) },
        ],
      });
      const text = completion.choices[0]?.message?.content?.trim();
      if (!text) return { summary: fallbackSummary(p), source: 'fallback' };
      await this.cache.put(p, text);
      return { summary: text, source: 'ai' };
    } catch {
      return { summary: fallbackSummary(p), source: 'fallback' }; // counted and logged by the adapter
    }
  }
}
