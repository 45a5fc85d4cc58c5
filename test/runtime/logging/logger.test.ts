import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogDestination, createLogger, createMetrics, flushLogs, METRICS, runWithContext, SecretRedactor } from '../../../runtime/src/internal';
import { waitFor } from '@bulwark/harness';
import { LogCapture } from './capture';

const SECRET = 'hunter2-very-secret';
const redactor = new SecretRedactor([SECRET]);
const ctx = { correlationId: 'corr-42', requestId: 'req-7' };

function structuredLogger(capture: LogCapture, level = 'info') {
  return createLogger({ service: 'providers', structured: true, level, destination: capture, redactor });
}

describe('createLogger (structured)', () => {
  it('writes JSON with ISO time, level label, service, msg and the request ids', () => {
    const capture = new LogCapture();
    const log = structuredLogger(capture);
    log.info('outside');
    runWithContext(ctx, () => log.warn({ count: 3 }, 'inside'));
    const [outside, inside] = capture.entries;
    expect(outside).toMatchObject({ level: 'info', service: 'providers', msg: 'outside' });
    expect(outside!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(outside).not.toHaveProperty('correlation_id');
    expect(inside).toMatchObject({ level: 'warn', msg: 'inside', count: 3, correlation_id: 'corr-42', request_id: 'req-7' });
  });

  it('writes errors as {type, message, stack}', () => {
    const capture = new LogCapture();
    const log = structuredLogger(capture);
    class QueryError extends Error {}
    log.error({ err: new QueryError('relation "x" does not exist') }, 'query failed');
    const { err } = capture.entries[0] as { err: Record<string, string> };
    expect(err.type).toBe('QueryError');
    expect(err.message).toBe('relation "x" does not exist');
    expect(err.stack).toContain('relation "x" does not exist\n    at ');
  });

  it('redacts secret values and credentials in messages, interpolations and error messages', () => {
    const capture = new LogCapture();
    const log = structuredLogger(capture);
    log.info(`connecting with ${SECRET}`);
    log.info('dsn %s', 'postgres://app:pa55word@db:5432/app');
    log.error(new Error(`auth failed for key sk-abcdefghijklmnop and ${SECRET}`));
    log.error({ err: new Error(`bad ${SECRET}`) }, 'wrapped');
    const text = capture.text;
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('pa55word');
    expect(text).not.toContain('sk-abcdefghijklmnop');
    const [m1, m2, e1, e2] = capture.entries as Array<Record<string, any>>;
    expect(m1!.msg).toBe('connecting with [REDACTED]');
    expect(m2!.msg).toBe('dsn postgres://app:[REDACTED]@db:5432/app');
    expect(e1!.err.message).toContain('[REDACTED]');
    expect(e1!.err.stack).not.toContain(SECRET);
    expect(e2!.err.message).toBe('bad [REDACTED]');
  });

  it('redacts sensitive keys at any depth, secret values in nested strings, and leaves the caller object alone', () => {
    const capture = new LogCapture();
    const log = structuredLogger(capture);
    const payload = {
      password: 'top',
      user: { name: 'ana', apiKey: 'k1', profile: { settings: { deep: { password: 'five-levels' } } } },
      req: { headers: { authorization: 'Bearer abcdefghijkl', 'x-api-key': 'k2', accept: 'json' } },
      targets: [{ token: 't1' }, { url: 'redis://:redispass@cache:6379' }],
      note: `contains ${SECRET}`,
      nested: { cause: new Error(`nested ${SECRET}`) },
    };
    const before = JSON.stringify(payload);
    log.info(payload, 'payload');
    const e = capture.entries[0] as Record<string, any>;
    expect(e.password).toBe('[REDACTED]');
    expect(e.user.name).toBe('ana');
    expect(e.user.apiKey).toBe('[REDACTED]');
    expect(e.user.profile.settings.deep.password).toBe('[REDACTED]');
    expect(e.req.headers.authorization).toBe('[REDACTED]');
    expect(e.req.headers['x-api-key']).toBe('[REDACTED]');
    expect(e.req.headers.accept).toBe('json');
    expect(e.targets[0].token).toBe('[REDACTED]');
    expect(e.targets[1].url).toBe('redis://:[REDACTED]@cache:6379');
    expect(e.note).toBe('contains [REDACTED]');
    expect(e.nested.cause.message).toBe('nested [REDACTED]');
    expect(capture.text).not.toContain('five-levels');
    expect(JSON.stringify(payload)).toBe(before);
  });

  it('redacts child logger bindings', () => {
    const capture = new LogCapture();
    const log = structuredLogger(capture).child({ component: 'db', password: 'bound' }).child({ dsn: `x${SECRET}` });
    log.info('from grandchild');
    const e = capture.entries[0] as Record<string, unknown>;
    expect(e.component).toBe('db');
    expect(e.password).toBe('[REDACTED]');
    expect(e.dsn).toBe('[REDACTED]');
    expect(capture.text).not.toContain(SECRET);
  });

  it('redacts keys named like credentials, case-insensitively, and keeps token counts and ordinary fields readable', () => {
    const capture = new LogCapture();
    const log = structuredLogger(capture);
    log.info(
      {
        dbPassword: 'p1',
        openaiApiKey: 'k1',
        apiToken: 't1',
        jwt: 'eyJ-not-really',
        pin: 1234,
        config: { DB_PASSWORD: 'p2', credentials: { user: 'u', pass: 'p3' }, rotateSecret: true },
        headers: { 'X-Auth-Token': 't2', 'x-amz-security-token': 't3', Cookie: 'sid=1', 'Set-Cookie': ['a=1', 'b=2'], accept: 'json' },
        usage: { promptTokens: 12, completionTokens: 3, totalTokens: 15, prompt_tokens_details: { cached_tokens: 2 } },
        tokens: 30,
        token_type: 'prompt',
        max_tokens: 100,
        userId: 'u-42',
      },
      'ai call',
    );
    const e = capture.entries[0] as Record<string, any>;
    for (const value of [e.dbPassword, e.openaiApiKey, e.apiToken, e.jwt, e.config.DB_PASSWORD, e.config.credentials]) expect(value).toBe('[REDACTED]');
    for (const name of ['X-Auth-Token', 'x-amz-security-token', 'Cookie', 'Set-Cookie']) expect(e.headers[name]).toBe('[REDACTED]');
    expect(e.pin).toBe(1234); // not a credential name: left alone
    expect(e.config.rotateSecret).toBe(true); // a boolean only says whether one is set
    expect(e.headers.accept).toBe('json');
    expect(e.usage).toEqual({ promptTokens: 12, completionTokens: 3, totalTokens: 15, prompt_tokens_details: { cached_tokens: 2 } });
    expect(e).toMatchObject({ tokens: 30, token_type: 'prompt', max_tokens: 100, userId: 'u-42' });
    for (const secret of ['p1', 'k1', 't1', 't2', 't3', 'p2', 'p3', 'sid=1']) expect(capture.text).not.toContain(`"${secret}"`);
  });

  it("redacts errors' own properties, nested errors, causes and aggregated errors", () => {
    const capture = new LogCapture();
    const log = structuredLogger(capture);
    const nested = new Error(`inner ${SECRET}`);
    const err = Object.assign(new Error('request failed', { cause: new Error(`cause has Bearer abcdefghijklmnop`) }), {
      code: 'E_AUTH',
      config: { headers: { Authorization: 'Basic dXNlcjpwYXNz' }, url: 'https://api:pa55@host/x' },
      original: nested,
      token: 'tok-1',
    });
    log.error({ err, others: new AggregateError([new Error(`agg ${SECRET}`)], 'several') }, 'call failed');
    const e = capture.entries[0] as Record<string, any>;
    expect(e.err.code).toBe('E_AUTH');
    expect(e.err.config.headers.Authorization).toBe('[REDACTED]');
    expect(e.err.config.url).toBe('https://api:[REDACTED]@host/x');
    expect(e.err.original.message).toBe('inner [REDACTED]');
    expect(e.err.token).toBe('[REDACTED]');
    expect(e.err.message).toContain('Bearer [REDACTED]');
    expect(e.others.aggregateErrors[0].message).toBe('agg [REDACTED]');
    for (const secret of [SECRET, 'abcdefghijklmnop', 'dXNlcjpwYXNz', 'pa55', 'tok-1']) expect(capture.text).not.toContain(secret);
  });

  it('redacts class instances as JSON writes them, and a secret used as a key', () => {
    const capture = new LogCapture();
    const log = structuredLogger(capture);
    class Settings {
      constructor(
        readonly host: string,
        readonly password: string,
      ) {}
    }
    log.info({ target: new URL('postgres://app:pa55@db:5432/app'), settings: new Settings('db', 'pw-9'), ['Bearer abcdefghijklmnop']: 1, when: new Date(0) }, 'connect');
    const e = capture.entries[0] as Record<string, any>;
    expect(e.target).toBe('postgres://app:[REDACTED]@db:5432/app');
    expect(e.settings).toEqual({ host: 'db', password: '[REDACTED]' });
    expect(e['Bearer [REDACTED]']).toBe(1);
    expect(e.when).toBe('1970-01-01T00:00:00.000Z');
    for (const secret of ['abcdefghijklmnop', 'pa55', 'pw-9']) expect(capture.text).not.toContain(secret);
  });

  it("a child's serializers, formatters, message prefix and setBindings cannot write a secret", () => {
    const capture = new LogCapture();
    const child = structuredLogger(capture).child(
      { component: 'x' },
      {
        msgPrefix: `[${SECRET}] `,
        serializers: { req: (req: { auth: string }) => ({ header: `Bearer ${req.auth}`, apiKey: req.auth }) },
        formatters: { log: (obj: object) => ({ ...obj, added: `added ${SECRET}` }), bindings: (b: object) => ({ ...b, bound: SECRET }) },
      },
    );
    child.info({ req: { auth: 'abcdefghijklmnop' } }, 'served');
    child.setBindings({ password: 'late', note: `late ${SECRET}` });
    child.info('after setBindings');
    const [first, second] = capture.entries as Array<Record<string, any>>;
    expect(first!.req).toEqual({ header: 'Bearer [REDACTED]', apiKey: '[REDACTED]' });
    expect(first!.added).toBe('added [REDACTED]');
    expect(first!.msg).toBe('[[REDACTED]] served');
    expect(second).toMatchObject({ password: '[REDACTED]', note: 'late [REDACTED]' });
    for (const secret of [SECRET, 'abcdefghijklmnop', 'late"']) expect(capture.text).not.toContain(secret);
  });

  it('counts log_lines_total by level', async () => {
    const metrics = createMetrics({ nodeMetrics: false });
    const log = createLogger({ service: 's', structured: true, level: 'info', destination: new LogCapture(), metrics });
    log.info('a');
    log.info('b');
    log.error('c');
    log.debug('below level: not written, not counted');
    const { values } = await metrics.registry.getSingleMetric(METRICS.logLinesTotal.name)!.get();
    const byLevel = Object.fromEntries(values.map((v) => [v.labels.level, v.value]));
    expect(byLevel).toEqual({ info: 2, error: 1 });
  });

  it('rejects an unknown level with the accepted ones', () => {
    expect(() => createLogger({ service: 's', structured: true, level: 'verbose', destination: new LogCapture() })).toThrow(
      /level "verbose".*fatal, error, warn, info, debug, trace, silent/,
    );
  });
});

describe('createLogger (plain text, ENABLE_STRUCTURED_LOGGING=false)', () => {
  it('writes human lines with the correlation id, still redacted, without forgeable newlines', () => {
    const capture = new LogCapture();
    const log = createLogger({ service: 'providers', structured: false, destination: capture, redactor });
    runWithContext(ctx, () => {
      log.info({ provider: 'acme corp', password: 'p' }, `hello ${SECRET}`);
      log.warn('line one\n{"level":"fatal","msg":"forged"}');
    });
    const lines = capture.text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  \[providers\] hello \[REDACTED\] correlation_id=corr-42 request_id=req-7 provider="acme corp" password=\[REDACTED\]$/);
    expect(lines[1]).toMatch(/ WARN  \[providers\] line one\\n\{\\"level\\":\\"fatal\\"/);
    expect(capture.text).not.toContain(SECRET);
  });
});

describe('flushLogs', () => {
  it('writes the lines still buffered in an asynchronous file destination', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-log-'));
    const file = join(dir, 'service.log');
    const destination = createLogDestination(file);
    try {
      const log = createLogger({ service: 's', structured: true, destination });
      for (let i = 0; i < 200; i++) log.info({ i }, 'line');
      // Nothing has yielded to the event loop: at most the first write is in flight.
      expect(readFileSync(file, 'utf8')).not.toContain('"i":199');
      flushLogs(log);
      // Everything that was only buffered is on disk now. The first line's asynchronous write was
      // already in flight (it may land after the flushed ones), so it is checked separately.
      const written = () => readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
      expect(written()).toEqual(expect.arrayContaining(Array.from({ length: 199 }, (_, i) => i + 1)));
      await waitFor(() => written().length === 200, 2000, 'the in-flight first line');
      expect(new Set(written()).size).toBe(200);
    } finally {
      await new Promise((resolve) => {
        destination.once('close', resolve);
        destination.end();
      });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flushes every destination it made when called without a logger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-log-'));
    const file = join(dir, 'all.log');
    const destination = createLogDestination(file);
    try {
      const log = createLogger({ service: 's', structured: false, destination });
      for (let i = 0; i < 50; i++) log.info(`plain ${i}`);
      flushLogs();
      expect(readFileSync(file, 'utf8')).toContain('plain 49');
    } finally {
      await new Promise((resolve) => {
        destination.once('close', resolve);
        destination.end();
      });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('buffered destination (bufferBytes)', () => {
  const withBufferedFile = async (
    options: { bufferBytes: number; flushIntervalMs: number },
    body: (log: ReturnType<typeof createLogger>, lines: () => string[]) => Promise<void>,
  ): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-log-'));
    const file = join(dir, 'buffered.log');
    const destination = createLogDestination(file, options);
    const lines = () => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    try {
      await body(createLogger({ service: 's', structured: true, destination }), lines);
      // end() writes what is still held before closing.
      createLogger({ service: 's', structured: true, destination }).info('held until end');
      await new Promise((resolve) => {
        destination.once('close', resolve);
        destination.end();
      });
      expect(lines().at(-1)).toContain('held until end');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('holds lines below bufferBytes until flushLogs, then writes them all in order', async () => {
    await withBufferedFile({ bufferBytes: 64 * 1024, flushIntervalMs: 60_000 }, async (log, lines) => {
      for (let i = 0; i < 20; i++) log.info({ i }, 'small');
      await new Promise((r) => setTimeout(r, 50));
      expect(lines()).toEqual([]);
      flushLogs(log);
      expect(lines().map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });
  });

  it('writes once bufferBytes are held, and a lone line after flushIntervalMs, without flushLogs', async () => {
    await withBufferedFile({ bufferBytes: 4096, flushIntervalMs: 60_000 }, async (log, lines) => {
      for (let i = 0; i < 200; i++) log.info({ i }, 'filler line to pass the buffer size');
      await waitFor(() => lines().length >= 100, 2000, 'a full buffer written');
      expect(lines().length).toBeLessThan(200); // the tail is still held (timer far away)
    });
    await withBufferedFile({ bufferBytes: 64 * 1024, flushIntervalMs: 20 }, async (log, lines) => {
      log.info('lonely');
      await waitFor(() => lines().length === 1, 2000, 'the timer flush');
      expect(lines()[0]).toContain('lonely');
    });
  });

  it('writes a fatal line, and everything held before it, synchronously', async () => {
    await withBufferedFile({ bufferBytes: 64 * 1024, flushIntervalMs: 60_000 }, async (log, lines) => {
      log.info('before');
      log.fatal('going down');
      expect(lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['before', 'going down']);
    });
  });
});
