/**
 * Log lines per second through the runtime's logger (request context ids, redaction, line
 * counter, its default sonic-boom destination and buffering, on /dev/null) against bare pino
 * writing the same line (ids passed explicitly) to /dev/null through sonic-boom with pino's
 * documented asynchronous setup (4 KB minLength), in one process. Lines are written in batches
 * of 1000 with a turn of the event loop between batches, so the asynchronous writes happen.
 */
import { openSync } from 'node:fs';
import pino from 'pino';
import { createLogDestination, createLogger, createMetrics, DEFAULT_LOG_BUFFERING, runWithContext, SecretRedactor, type RequestContext } from '../../runtime/src/internal';
import { providersService } from '../../lib/services/providers';
import { BENCH_ENV } from '../lib/env';
import { failToParent, toParent } from '../lib/child';
import { compareCases, type MicroCase } from './timing';

const BATCH = 1_000;
/** pino's docs/asynchronous.md: `minLength: 4096, // Buffer before writing`. */
const PINO_DOCUMENTED_MIN_LENGTH = 4096;
const CTX: RequestContext = { correlationId: '6f1c2a7e-3b1d-4a55-9d0e-2f8a1c9b7e31', requestId: '0b9f5a4c-8e2d-4f1a-b3c7-5d6e7f8a9b0c' };

function accessLine(i: number) {
  return { method: 'GET', endpoint: '/providers/:id', path: `/providers/${i}`, status: 200, duration_ms: 1.234 };
}

/** Writes `n` lines in batches, yielding between batches so the asynchronous destination can write. */
async function writeLines(n: number, writeOne: (i: number) => void): Promise<void> {
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + BATCH);
    for (; i < end; i++) writeOne(i);
    await new Promise((r) => setImmediate(r));
  }
}

export async function loggerCases(): Promise<MicroCase[]> {
  const bare = pino({ base: { service: providersService.name }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: openSync('/dev/null', 'a'), sync: false, minLength: PINO_DOCUMENTED_MIN_LENGTH }));
  const runtime = createLogger({
    service: providersService.name,
    structured: true,
    destination: createLogDestination('/dev/null', DEFAULT_LOG_BUFFERING),
    redactor: SecretRedactor.forDeclaration(providersService, BENCH_ENV),
    metrics: createMetrics({ nodeMetrics: false }),
  });
  return [
    {
      name: 'pino',
      run: (n) =>
        writeLines(n, (i) => bare.info({ correlation_id: CTX.correlationId, request_id: CTX.requestId, ...accessLine(i) }, 'request completed')),
    },
    {
      name: 'runtime',
      run: (n) => runWithContext(CTX, () => writeLines(n, (i) => runtime.info(accessLine(i), 'request completed'))),
    },
  ];
}

async function main(): Promise<void> {
  const results = await compareCases(await loggerCases(), Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 5));
  toParent({ type: 'result', results });
  if (!process.send) console.log(results.map((r) => `${r.name}: ${r.nsPerOp.toFixed(0)} ns/line, ${Math.round(1e9 / r.nsPerOp)} lines/s`).join('\n'));
}

if (require.main === module) main().then(() => process.exit(0), failToParent);
