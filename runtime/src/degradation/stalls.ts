/**
 * The service's own stalls, as intervals of time. A timer ticks every TICK_MS; a tick that fires
 * late means the event loop (or the whole process, starved of CPU on a busy host) could not run
 * for that long. A call to a dependency that was in flight meanwhile only looks slow: its latency
 * includes the stall, which was not the dependency's doing. The degradation manager subtracts the
 * stalls that overlap a call (or a health check) before comparing it with the slow threshold.
 */
import { performance } from 'node:perf_hooks';

const TICK_MS = 10;
/** Lateness below this is timer jitter, not a stall. */
const JITTER_MS = 3;
/** Stalls kept: enough to cover the longest call timeout at any realistic stall rate. */
const CAPACITY = 1024;

export class StallClock {
  private readonly starts = new Float64Array(CAPACITY);
  private readonly ends = new Float64Array(CAPACITY);
  private count = 0;
  private next = 0;
  private lastTick = performance.now();
  private timer?: NodeJS.Timeout;

  constructor(private readonly clock: () => number = () => performance.now()) {}

  start(): void {
    if (this.timer) return;
    this.lastTick = this.clock();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Notes how late this tick is; called by the timer (and directly by tests). */
  tick(): void {
    const now = this.clock();
    const expected = this.lastTick + TICK_MS;
    if (now - expected > JITTER_MS) this.record(expected, now);
    this.lastTick = now;
  }

  /**
   * Milliseconds within [from, to] (clock times) during which the process could not run, including
   * a stall still going on (the loop is only now running the code that asks).
   */
  stalledBetween(from: number, to: number): number {
    let total = 0;
    // Newest first: stalls are recorded in time order, so the first one that ended before `from` ends the search.
    for (let n = 0, i = this.next - 1; n < this.count; n++, i--) {
      if (i < 0) i += CAPACITY;
      if (this.ends[i]! <= from) break;
      total += overlap(this.starts[i]!, this.ends[i]!, from, to);
    }
    if (this.timer) {
      const ongoingFrom = this.lastTick + TICK_MS;
      if (to - ongoingFrom > JITTER_MS) total += overlap(ongoingFrom, to, from, to);
    }
    return Math.min(total, Math.max(0, to - from));
  }

  private record(start: number, end: number): void {
    this.starts[this.next] = start;
    this.ends[this.next] = end;
    this.next = (this.next + 1) % CAPACITY;
    if (this.count < CAPACITY) this.count++;
  }
}

function overlap(aFrom: number, aTo: number, bFrom: number, bTo: number): number {
  return Math.max(0, Math.min(aTo, bTo) - Math.max(aFrom, bFrom));
}
