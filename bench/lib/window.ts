/** In a server process: its CPU, requests served and peak RSS over a measured window. */
export interface WindowMeasurement {
  readonly type: 'measured';
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
  readonly requests: number;
  readonly wallMs: number;
  readonly rssMaxBytes: number;
  /** process.memoryUsage() at the end of the window, in MB. */
  readonly memoryMb: Readonly<Record<string, number>>;
  readonly [field: string]: unknown;
}

/**
 * Waits `warmupMs`, then measures for `durationMs`: CPU (process.cpuUsage delta, every thread),
 * the requests `served()` counted, and RSS sampled every 100 ms.
 */
export function measureWindow(served: () => number, warmupMs: number, durationMs: number): Promise<WindowMeasurement> {
  return new Promise((resolve) => {
    setTimeout(() => {
      const cpu0 = process.cpuUsage();
      const requests0 = served();
      const t0 = performance.now();
      let rssMax = process.memoryUsage.rss();
      const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage.rss())), 100);
      setTimeout(() => {
        const cpu = process.cpuUsage(cpu0);
        clearInterval(sampler);
        resolve({
          type: 'measured',
          cpuUserUs: cpu.user,
          cpuSystemUs: cpu.system,
          requests: served() - requests0,
          wallMs: performance.now() - t0,
          rssMaxBytes: Math.max(rssMax, process.memoryUsage.rss()),
          memoryMb: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round((v / 2 ** 20) * 10) / 10])),
        });
      }, durationMs);
    }, warmupMs);
  });
}
