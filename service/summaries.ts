import type { BulwarkRuntime, OpenAIAdapter } from '@bulwark/runtime';
import type { Provider } from './providers';

export interface Summary {
  readonly summary: string;
  /** `ai` when the model wrote it; `fallback` when AI is unavailable (LIMITED) or the call failed. */
  readonly source: 'ai' | 'fallback';
}

/** The declared fallback of the AI feature: a plain summary built from the record itself. */
export function fallbackSummary(p: Provider): string {
  const where = p.city ? ` in ${p.city}` : '';
  const what = p.description ? `: ${p.description.slice(0, 160)}` : '';
  return `${p.name} is a ${p.category} provider${where}${what}`;
}

export class ProviderSummaries {
  constructor(
    private readonly runtime: BulwarkRuntime,
    private readonly ai: OpenAIAdapter,
    private readonly model: string,
  ) {}

  async summarise(p: Provider): Promise<Summary> {
    if (!this.runtime.degradation.allows('ai')) return { summary: fallbackSummary(p), source: 'fallback' };
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
      return text ? { summary: text, source: 'ai' } : { summary: fallbackSummary(p), source: 'fallback' };
    } catch {
      return { summary: fallbackSummary(p), source: 'fallback' }; // counted and logged by the adapter
    }
  }
}
