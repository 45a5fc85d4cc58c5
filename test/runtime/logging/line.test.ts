import pino, { type Logger } from 'pino';
import { currentContext } from '@bulwark/runtime';
import { ACCESS_LOG_MESSAGE, createLogger, createMetrics, newRequestContext, runWithContext, SecretRedactor, type RuntimeMetrics } from '../../../runtime/src/internal';
import { millisJson, preformattedLineWriter, type PreformattedLineWriter } from '../../../runtime/src/logging/line';
import { RequestRecorder } from '../../../runtime/src/http/recorder';
import { LogCapture } from './capture';

/**
 * runtime/src/logging/line.ts writes the access-log line without pino's generic path. It must be
 * the line pino itself writes for `logger[level]({...fields}, msg)` with the same logger: these
 * tests write both ways and compare byte for byte (and field by field, for a readable failure).
 */

const SECRET = 'hunter2-very-secret';
const CTX = { correlationId: 'corr-42', requestId: 'req-7' };
// Every line in a test is written in the same (pinned) millisecond, so `time` matches too.
const NOW = Date.parse('2026-01-15T12:34:56.789Z');

interface Setup {
  capture: LogCapture;
  logger: Logger;
  metrics: RuntimeMetrics;
}

function setup(structured: boolean, level = 'debug'): Setup {
  const capture = new LogCapture();
  const metrics = createMetrics({ nodeMetrics: false });
  const logger = createLogger({ service: 'providers', structured, level, destination: capture, metrics, redactor: new SecretRedactor([SECRET]) });
  return { capture, logger, metrics };
}

function writerFor(logger: Logger): PreformattedLineWriter {
  const writer = preformattedLineWriter(logger);
  if (!writer) throw new Error('expected a preformatted-line writer for a createLogger logger');
  return writer;
}

/** `,"key":value` pairs as the writer's contract asks: strings redacted with the writer's redactor, then JSON-encoded. */
function fieldsJson(writer: PreformattedLineWriter, fields: Record<string, string | number>): string {
  let json = '';
  for (const [key, value] of Object.entries(fields)) {
    json += `,${JSON.stringify(key)}:${typeof value === 'string' ? JSON.stringify(writer.redact(value)) : JSON.stringify(value)}`;
  }
  return json;
}

/** The two most recent lines: the preformatted one and pino's. */
function lastTwo(capture: LogCapture): [string, string] {
  const raw = capture.raw;
  expect(raw.length).toBeGreaterThanOrEqual(2);
  return [raw[raw.length - 2]!, raw[raw.length - 1]!];
}

function expectSameLine(preformatted: string, viaPino: string, structured: boolean): void {
  if (structured) expect(JSON.parse(preformatted)).toEqual(JSON.parse(viaPino));
  expect(preformatted).toBe(viaPino);
}

async function linesCounted(metrics: RuntimeMetrics, level: string): Promise<number> {
  const text = await metrics.registry.getSingleMetricAsString('log_lines_total');
  const match = new RegExp(`^log_lines_total\\{level="${level}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

const ACCESS_FIELDS = { method: 'GET', endpoint: '/v1/providers/:id', path: '/v1/providers/42', status: 200, duration_ms: 3.142 };

beforeEach(() => {
  jest.spyOn(Date, 'now').mockReturnValue(NOW);
});
afterEach(() => {
  jest.restoreAllMocks();
});

describe.each([
  ['structured', true],
  ['plain text', false],
] as const)('preformatted lines (%s) equal what pino writes', (_mode, structured) => {
  it('outside any correlation context', () => {
    const { capture, logger } = setup(structured);
    const writer = writerFor(logger);
    writer.write('info', undefined, fieldsJson(writer, ACCESS_FIELDS), ACCESS_LOG_MESSAGE);
    logger.info({ ...ACCESS_FIELDS }, ACCESS_LOG_MESSAGE);
    const [pre, viaPino] = lastTwo(capture);
    expectSameLine(pre, viaPino, structured);
    expect(pre).not.toContain('correlation_id');
  });

  it('inside a correlation context (ids from the context, as the mixin adds them)', () => {
    const { capture, logger } = setup(structured);
    const writer = writerFor(logger);
    runWithContext(CTX, () => {
      writer.write('info', currentContext(), fieldsJson(writer, ACCESS_FIELDS), ACCESS_LOG_MESSAGE);
      logger.info({ ...ACCESS_FIELDS }, ACCESS_LOG_MESSAGE);
    });
    const [pre, viaPino] = lastTwo(capture);
    expectSameLine(pre, viaPino, structured);
    expect(pre).toContain('corr-42');
    expect(pre).toContain('req-7');
  });

  it('with the ids passed explicitly, as the access log does after the context has ended', () => {
    const { capture, logger } = setup(structured);
    const writer = writerFor(logger);
    writer.write('error', CTX, fieldsJson(writer, { ...ACCESS_FIELDS, status: 503 }), ACCESS_LOG_MESSAGE);
    logger.error({ correlation_id: CTX.correlationId, request_id: CTX.requestId, ...ACCESS_FIELDS, status: 503 }, ACCESS_LOG_MESSAGE);
    expectSameLine(...lastTwo(capture), structured);
  });

  it("with a child logger's bindings (redacted), grandchildren and a message prefix", () => {
    const { capture, logger } = setup(structured);
    const child = logger.child({ component: 'http', password: 'pw-1234', note: `uses ${SECRET}` });
    const grandchild = child.child({ route: 'providers' }, { msgPrefix: '[gc] ' });
    for (const log of [child, grandchild]) {
      const writer = writerFor(log);
      runWithContext(CTX, () => {
        writer.write('info', CTX, fieldsJson(writer, ACCESS_FIELDS), ACCESS_LOG_MESSAGE);
        log.info({ ...ACCESS_FIELDS }, ACCESS_LOG_MESSAGE);
      });
      const [pre, viaPino] = lastTwo(capture);
      expectSameLine(pre, viaPino, structured);
      expect(pre).toContain('http');
      expect(pre).not.toContain('pw-1234');
      expect(pre).not.toContain(SECRET);
    }
    expect(capture.raw[capture.raw.length - 1]).toContain('[gc] request completed');
  });

  it('redacts a secret in the path and the message exactly as pino does', () => {
    const { capture, logger } = setup(structured);
    const writer = writerFor(logger);
    const paths = [
      `/v1/providers?token=${SECRET}`,
      '/v1/callback?next=postgres://app:pa55word@db:5432/app',
      '/v1/x?auth=Bearer abcdefghijklmnop',
      '/v1/x?key=sk-abcdefghijklmnop',
      '/v1/"quoted"\\back\nslash\u0001',
      `/v1/${'long/'.repeat(60)}${SECRET}`,
      '/v1/ñandú/✓',
    ];
    for (const path of paths) {
      const fields = { ...ACCESS_FIELDS, path };
      writer.write('warn', CTX, fieldsJson(writer, fields), `failed for ${SECRET}`);
      logger.warn({ correlation_id: CTX.correlationId, request_id: CTX.requestId, ...fields }, `failed for ${SECRET}`);
      const [pre, viaPino] = lastTwo(capture);
      expectSameLine(pre, viaPino, structured);
      for (const secret of [SECRET, 'pa55word', 'abcdefghijklmnop']) expect(pre).not.toContain(secret);
    }
  });

  it('counts the line in log_lines_total like any other line, and skips disabled levels the same way', async () => {
    const { capture, logger, metrics } = setup(structured, 'info');
    const writer = writerFor(logger);
    const fields = fieldsJson(writer, ACCESS_FIELDS);
    writer.write('info', CTX, fields, ACCESS_LOG_MESSAGE);
    expect(await linesCounted(metrics, 'info')).toBe(1);
    logger.info({ ...ACCESS_FIELDS }, ACCESS_LOG_MESSAGE);
    expect(await linesCounted(metrics, 'info')).toBe(2);
    writer.write('error', CTX, fields, ACCESS_LOG_MESSAGE);
    expect(await linesCounted(metrics, 'error')).toBe(1);

    expect(writer.isLevelEnabled('debug')).toBe(false);
    writer.write('debug', CTX, fields, ACCESS_LOG_MESSAGE);
    logger.debug({ ...ACCESS_FIELDS }, ACCESS_LOG_MESSAGE);
    expect(await linesCounted(metrics, 'debug')).toBe(0);
    expect(capture.raw).toHaveLength(3);

    // A level change after the writer was made applies to it too.
    logger.level = 'debug';
    writer.write('debug', CTX, fields, ACCESS_LOG_MESSAGE);
    logger.debug({ correlation_id: CTX.correlationId, request_id: CTX.requestId, ...ACCESS_FIELDS }, ACCESS_LOG_MESSAGE);
    expect(await linesCounted(metrics, 'debug')).toBe(2);
    expectSameLine(...lastTwo(capture), structured);
  });
});

describe('RequestRecorder access-log line', () => {
  it.each([
    ['structured', true],
    ['plain text', false],
  ] as const)('(%s) equals logger[level](line, "request completed") for the same request', (_mode, structured) => {
    const { capture, logger, metrics } = setup(structured);
    const recorder = new RequestRecorder(metrics, logger);
    const cases: Array<[string, string, string, number, number, 'info' | 'error' | 'debug']> = [
      ['GET', '/v1/providers/:id', '/v1/providers/42', 200, 3.14159, 'info'],
      ['POST', '/v1/providers', `/v1/providers?token=${SECRET}`, 503, 12.5, 'error'],
      ['GET', '/health', '/health', 200, 0.2, 'debug'],
      ['OTHER', '/v1/providers', '/v1/providers', 404, 1, 'info'],
    ];
    for (const [method, endpoint, path, status, durationMs, level] of cases) {
      recorder.begin();
      recorder.end(method, endpoint, path, status, durationMs, CTX);
      const line = { correlation_id: CTX.correlationId, request_id: CTX.requestId, method, endpoint, path, status, duration_ms: Math.round(durationMs * 1000) / 1000 };
      logger[level](line, ACCESS_LOG_MESSAGE);
      expectSameLine(...lastTwo(capture), structured);
      expect(capture.raw[capture.raw.length - 1]).not.toContain(SECRET);
    }
  });

  it.each([
    ['structured', true],
    ['plain text', false],
  ] as const)('(%s) is the same line with the contexts of real requests, and for paths JSON must escape', (_mode, structured) => {
    const { capture, logger, metrics } = setup(structured);
    const recorder = new RequestRecorder(metrics, logger);
    const contexts = [newRequestContext(undefined), newRequestContext('upstream-abc.123:x_y'), newRequestContext('not sane, has spaces')];
    const paths = ['/v1/providers/42', '/v1/"quoted"', '/v1/back\\slash', '/v1/tab\there', '/v1/ñandú/✓', '/v1/\u007fdel', ''];
    for (const ctx of contexts) {
      for (const path of paths) {
        recorder.begin();
        recorder.end('GET', '/v1/providers/:id', path, 200, 2.5, ctx);
        logger.info({ correlation_id: ctx.correlationId, request_id: ctx.requestId, method: 'GET', endpoint: '/v1/providers/:id', path, status: 200, duration_ms: 2.5 }, ACCESS_LOG_MESSAGE);
        expectSameLine(...lastTwo(capture), structured);
      }
    }
  });

  it('redacts a declared secret that equals a label value (method, endpoint) like pino does', () => {
    const capture = new LogCapture();
    const metrics = createMetrics({ nodeMetrics: false });
    // Contrived secrets, but the preformatted line must never reveal what pino's line redacts.
    const logger = createLogger({ service: 'providers', structured: true, destination: capture, metrics, redactor: new SecretRedactor(['PATCH', '/v1/s3cr3t']) });
    const recorder = new RequestRecorder(metrics, logger);
    recorder.end('PATCH', '/v1/s3cr3t', '/v1/s3cr3t', 200, 1, CTX);
    logger.info({ correlation_id: CTX.correlationId, request_id: CTX.requestId, method: 'PATCH', endpoint: '/v1/s3cr3t', path: '/v1/s3cr3t', status: 200, duration_ms: 1 }, ACCESS_LOG_MESSAGE);
    expectSameLine(...lastTwo(capture), true);
    expect(capture.raw[0]).not.toContain('PATCH');
  });
});

describe('preformattedLineWriter availability', () => {
  it('is undefined for loggers not made by createLogger and for multistream destinations', () => {
    expect(preformattedLineWriter(pino({ level: 'info' }, new LogCapture()))).toBeUndefined();
    const multi = pino({}, pino.multistream([{ stream: new LogCapture() }]));
    expect(preformattedLineWriter(multi)).toBeUndefined();
    const logger = createLogger({ service: 'providers', structured: true, destination: pino.multistream([{ stream: new LogCapture() }]) });
    expect(preformattedLineWriter(logger)).toBeUndefined();
  });

  it('is available for createLogger loggers and their children', () => {
    const { logger } = setup(true);
    expect(preformattedLineWriter(logger)).toBeDefined();
    expect(preformattedLineWriter(logger.child({ a: 1 }))).toBeDefined();
  });
});

describe('millisJson', () => {
  it('writes what JSON.stringify(Math.round(ms * 1000) / 1000) writes, for edge cases and 100 000 random durations', () => {
    const values = [0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 1, 1.5, 1.05, 1.005, 1.0005, 12.345678, 999.9995, 1e6 + 0.123, 123456789.987, 5e11 + 0.5, 1e13, 1e16, -1, -0.0004, Number.NaN, Number.POSITIVE_INFINITY];
    for (let i = 0; i < 100_000; i++) values.push(Math.random() * 10 ** Math.floor(Math.random() * 10));
    const mismatches = values.filter((v) => millisJson(v) !== JSON.stringify(Math.round(v * 1000) / 1000));
    expect(mismatches).toEqual([]);
  });
});
