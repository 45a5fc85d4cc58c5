#!/usr/bin/env node
/**
 * `npm run demo`: see the runtime at work in a minute. Starts throwaway PostgreSQL and Redis (each
 * behind a TCP proxy that can slow it), a local stand-in for the OpenAI API, the providers service
 * as its own process, a Prometheus loaded with the generated alert rules, and a gentle load; then
 * prints a status line every second (level, breakers, dependencies, alerts pending/firing) while
 * you break things:
 *
 *   r  kill / restart Redis        p  kill / restart PostgreSQL     s  slow / unslow PostgreSQL
 *   o  cycle OpenAI: ok → 500 → 429 → hang → ok                     q  quit (also Ctrl-C, SIGTERM)
 *
 * Without a TTY the keys can be sent as lines on stdin. `--duration <seconds>` quits by itself.
 * Everything started here is stopped on exit.
 *
 * The throwaway servers, proxy, OpenAI stand-in, load generator and process stack are the test
 * suite's own (test/support, test/e2e): the demo runs exactly what the end-to-end suite runs.
 */
import { portOpen } from '@bulwark/harness';
import { emitKeypressEvents } from 'node:readline';
import { startLoad, type LoadGenerator } from '@bulwark/harness';
import type { OpenAIServerMode } from '@bulwark/harness';
import { startProcessStack, type ProcessStack } from '@bulwark/harness';
import { HEARTBEAT_SEVERITY, SEVERITY_LABEL } from '@bulwark/alerts';
import { renderStatus } from './demo-status';
import { ProvidersTraffic, seedProviders } from '@bulwark/harness';
import { providersService } from '../lib/services/providers';

const OPENAI_MODES: readonly OpenAIServerMode[] = ['ok', 'error500', 'rateLimit', 'hang'];
/** Each way, so one PostgreSQL round trip is slower than the declared threshold. */
const SLOW_LATENCY_MS = Math.ceil(providersService.dependencies.db.slowThresholdMs / 2) + 40;
const EVENT_MESSAGES = /^(degradation level|dependency |circuit breaker|shutting down|stopped)/;

interface DemoOptions {
  readonly durationSeconds?: number;
}

function parseArgs(argv: readonly string[]): DemoOptions {
  let durationSeconds: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm run demo [-- --duration <seconds>]\n');
      process.exit(0);
    } else if (arg === '--duration' || arg.startsWith('--duration=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      durationSeconds = Number(value);
      if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) {
        throw new Error(`--duration must be a number of seconds > 0 (got ${JSON.stringify(value)}); e.g. --duration 15`);
      }
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)}; accepted: --duration <seconds>, --help`);
    }
  }
  return { durationSeconds };
}

interface HealthReport {
  level_name: string;
  dependencies: Record<string, { state?: string; healthy: boolean; slow: boolean }>;
  breakers: Record<string, { state: string }>;
}

class Demo {
  private stack?: ProcessStack;
  private load?: LoadGenerator;
  private timer?: NodeJS.Timeout;
  private startedAt = Date.now();
  private logIndex = 0;
  private aiMode = 0;
  private slow = false;
  private busy = false;
  private stopping?: Promise<void>;
  private readonly tty = Boolean(process.stdout.isTTY);

  async start(): Promise<void> {
    this.print('starting PostgreSQL, Redis, the OpenAI stand-in, the service and Prometheus…');
    this.stack = await startProcessStack({ prometheus: true });
    const s = this.stack;
    const ids = await seedProviders(s.service.url, 10, s.apiKey);
    this.load = startLoad({ baseUrl: s.service.url, next: new ProvidersTraffic(ids, s.apiKey).next, ratePerSecond: 5, maxInFlight: 4 });
    this.print(`service     ${s.service.url}  (GET /providers/:id, /providers/:id/summary)`);
    this.print(`admin       ${s.service.adminUrl}  (GET /health, /metrics: the admin listener, never behind the load balancer)`);
    this.print(`prometheus  ${s.prometheus!.url}/alerts`);
    this.print(`postgres    127.0.0.1:${s.pg.port} (service connects through 127.0.0.1:${s.pgProxy.port})`);
    this.print(`redis       127.0.0.1:${s.redis.port} (service connects through 127.0.0.1:${s.redisProxy.port})`);
    this.print(`openai      ${s.ai.baseURL} (local stand-in)`);
    this.print(
      `ports: service=${s.service.port} admin=${s.service.adminPort} prometheus=${s.prometheus!.port} postgres=${s.pg.port} redis=${s.redis.port} openai=${s.ai.port} pg-proxy=${s.pgProxy.port} redis-proxy=${s.redisProxy.port}`,
    );
    this.print(`keys: r redis  p postgres  s slow postgres  o openai mode  q quit${this.tty ? '' : '  (stdin is not a TTY: send them as lines)'}`);
    this.print(`from another terminal: redis-cli -p ${s.redis.port} shutdown nosave   (then press r to bring it back)`);
    this.startedAt = Date.now();
    this.timer = setInterval(() => void this.tick(), 1000);
  }

  private print(line: string): void {
    process.stdout.write(this.tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  private async tick(): Promise<void> {
    const s = this.stack;
    if (!s || this.stopping) return;
    // Transitions the service logged since the last tick, as events above the status line.
    const logs = s.service.logs;
    for (; this.logIndex < logs.length; this.logIndex++) {
      const l = logs[this.logIndex];
      if (EVENT_MESSAGES.test(l.msg)) this.print(`  · ${String(l.time).slice(11, 19)} ${l.msg}`);
    }
    const line = await this.statusLine().catch((e: unknown) => `status unavailable: ${e instanceof Error ? e.message : String(e)}`);
    if (this.stopping) return;
    if (this.tty) process.stdout.write(`\r\x1b[2K${line}`);
    else process.stdout.write(`${line}\n`);
  }

  private async statusLine(): Promise<string> {
    const s = this.stack!;
    const [report, alerts] = await Promise.all([
      fetch(`${s.service.adminUrl}/health`, { signal: AbortSignal.timeout(900) }).then((r) => r.json() as Promise<HealthReport>),
      s.prometheus!.alerts().catch(() => []),
    ]);
    // The always-firing Heartbeat says the pipeline works, not that something is wrong.
    const names = (state: string) => [...new Set(alerts.filter((a) => a.state === state && a.labels[SEVERITY_LABEL] !== HEARTBEAT_SEVERITY).map((a) => a.labels.alertname))];
    const traffic: Record<string, number> = {};
    for (const r of Object.values(this.load!.stats(Date.now() - 5_000))) for (const [k, n] of Object.entries(r.outcomes)) traffic[k] = (traffic[k] ?? 0) + n;
    const state = (d: HealthReport['dependencies'][string]) => (d.state === 'disabled' ? 'off' : d.healthy ? (d.slow ? 'slow' : 'up') : 'DOWN');
    return renderStatus(
      {
        elapsedSeconds: Math.round((Date.now() - this.startedAt) / 1000),
        level: report.level_name,
        dependencies: Object.fromEntries(Object.entries(report.dependencies).map(([n, d]) => [n, state(d)])),
        breakers: Object.fromEntries(Object.entries(report.breakers).filter(([, b]) => b.state !== 'closed').map(([n, b]) => [n, b.state])),
        pendingAlerts: names('pending'),
        firingAlerts: names('firing'),
        traffic,
        faults: [...(OPENAI_MODES[this.aiMode] !== 'ok' ? [`openai=${OPENAI_MODES[this.aiMode]}`] : []), ...(this.slow ? ['pg=slow'] : [])],
      },
      this.tty ? (process.stdout.columns ?? 80) : Number.POSITIVE_INFINITY,
    );
  }

  async key(k: string): Promise<void> {
    const s = this.stack;
    if (!s || this.stopping) return;
    if (this.busy) {
      this.print(`(still busy with the last key; ${k} ignored)`);
      return;
    }
    this.busy = true;
    try {
      switch (k) {
        case 'r':
          if (await portOpen(s.redis.port)) {
            this.print('» killing Redis (SIGKILL)');
            await s.redis.kill();
          } else {
            this.print('» starting Redis');
            await s.redis.start();
          }
          break;
        case 'p':
          if (await portOpen(s.pg.port)) {
            this.print('» killing PostgreSQL (SIGKILL)');
            await s.pg.kill();
          } else {
            this.print('» starting PostgreSQL');
            await s.pg.start();
          }
          break;
        case 's':
          this.slow = !this.slow;
          s.pgProxy.setLatency(this.slow ? SLOW_LATENCY_MS : 0);
          this.print(this.slow ? `» PostgreSQL slowed: +${SLOW_LATENCY_MS} ms each way` : '» PostgreSQL at full speed');
          break;
        case 'o':
          this.aiMode = (this.aiMode + 1) % OPENAI_MODES.length;
          s.ai.setMode(OPENAI_MODES[this.aiMode]);
          this.print(`» OpenAI stand-in now answers: ${OPENAI_MODES[this.aiMode]}`);
          break;
        default:
          this.print(`unknown key ${JSON.stringify(k)}: r p s o q`);
      }
    } catch (e) {
      this.print(`» failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.busy = false;
    }
  }

  stop(why: string): Promise<void> {
    this.stopping ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      this.print(`stopping (${why}): load, service, Prometheus, proxies, OpenAI stand-in, Redis, PostgreSQL…`);
      await this.load?.stop();
      await this.stack?.destroy();
      this.print('stopped everything the demo started');
    })();
    return this.stopping;
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const demo = new Demo();
  let exitCode = 0;
  const quit = (why: string) => {
    demo.stop(why).then(
      () => finish(),
      (e: unknown) => {
        process.stderr.write(`demo: cleanup failed: ${e instanceof Error ? e.message : String(e)}\n`);
        exitCode = 1;
        finish();
      },
    );
  };
  const finish = () => {
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    process.stdin.pause();
    process.exit(exitCode);
  };
  process.once('SIGINT', () => quit('SIGINT'));
  process.once('SIGTERM', () => quit('SIGTERM'));

  try {
    await demo.start();
  } catch (e) {
    process.stderr.write(`demo: could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    exitCode = 1;
    quit('start failed');
    return;
  }

  if (process.stdin.isTTY) {
    emitKeypressEvents(process.stdin);
    process.stdin.setRawMode(true);
    process.stdin.on('keypress', (str: string | undefined, key: { ctrl?: boolean; name?: string }) => {
      if (key?.ctrl && key.name === 'c') quit('Ctrl-C');
      else if (str?.toLowerCase() === 'q') quit('q');
      else if (str) void demo.key(str.toLowerCase());
    });
  } else {
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      for (const ch of chunk.replace(/\s+/g, '').toLowerCase()) {
        if (ch === 'q') quit('q');
        else void demo.key(ch);
      }
    });
    process.stdin.on('error', () => undefined);
  }
  if (options.durationSeconds !== undefined) setTimeout(() => quit(`--duration ${options.durationSeconds}`), options.durationSeconds * 1000).unref();
}

main().catch((e: unknown) => {
  process.stderr.write(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
