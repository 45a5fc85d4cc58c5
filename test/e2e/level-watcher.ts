/**
 * Watches a service's degradation level from outside, as a load balancer would: GET /health/ready
 * every `everyMs` (its JSON body carries the level, 200 or 503 alike), recording each sample.
 */
import { levelName, type LevelName } from '@bulwark/runtime';
import { sleep } from '@bulwark/harness';

export interface LevelSample {
  readonly at: number;
  /** undefined when the service did not answer. */
  readonly level?: LevelName;
  readonly ready: boolean;
}

export class LevelWatcher {
  readonly samples: LevelSample[] = [];
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly baseUrl: string,
    private readonly everyMs = 100,
  ) {}

  get current(): LevelSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        this.samples.push(await this.sample());
        if (this.samples.length > 20_000) this.samples.splice(0, 10_000);
        await sleep(this.everyMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** When the level was first seen equal to `level` at or after `since`; rejects after `timeoutMs`. */
  async waitFor(level: LevelName, since: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.samples.find((s) => s.at >= since && s.level === level);
      if (hit) return hit.at;
      if (Date.now() > deadline) {
        const seen = [...new Set(this.samples.filter((s) => s.at >= since).map((s) => s.level ?? 'no answer'))];
        throw new Error(`level ${level} not seen within ${timeoutMs} ms (seen: ${seen.join(', ') || 'nothing'})`);
      }
      await sleep(this.everyMs / 2);
    }
  }

  /** Levels seen at or after `since`, in order, without repeats. */
  levelsSince(since: number): (LevelName | 'no answer')[] {
    const out: (LevelName | 'no answer')[] = [];
    for (const s of this.samples) {
      if (s.at < since) continue;
      const l = s.level ?? 'no answer';
      if (out[out.length - 1] !== l) out.push(l);
    }
    return out;
  }

  private async sample(): Promise<LevelSample> {
    try {
      const res = await fetch(`${this.baseUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      const body = (await res.json()) as { level?: number };
      return { at: Date.now(), level: typeof body.level === 'number' ? levelName(body.level) : undefined, ready: res.status === 200 };
    } catch {
      return { at: Date.now(), ready: false };
    }
  }
}
