import pino, { type DestinationStream, type Logger } from 'pino';
import type { RuntimeMetrics } from '../metrics/registry';
import { SecretRedactor } from '../secrets/redact';
import { currentContext } from './context';
import { createLogDestination, DEFAULT_LOG_BUFFERING } from './destination';
import { markLogger } from './line';
import { jsonLineToText } from './plain';
import { cachedStringRedactor, LogObjectRedactor, type StringRedactor } from './redaction';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface CreateLoggerOptions {
  /** Written on every line as `service`. */
  readonly service: string;
  /** ENABLE_STRUCTURED_LOGGING: true → JSON lines; false → plain text lines (same fields, same redaction). */
  readonly structured: boolean;
  /** @default 'info' */
  readonly level?: string;
  /** Where lines go. @default stdout: `createLogDestination(1, DEFAULT_LOG_BUFFERING)` (16 KB synchronous writes, no line held over 50 ms). */
  readonly destination?: DestinationStream | NodeJS.WritableStream;
  /**
   * Removes declared secret values from every string logged, then credentials recognised by
   * their shape or name (see SecretRedactor). Field names are redacted with it too.
   * @default credentials recognised by shape or name only (no declared values)
   */
  readonly redactor?: SecretRedactor;
  /** Counts `log_lines_total{level}` when given. */
  readonly metrics?: RuntimeMetrics;
}

function checkLevel(level: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new Error(`createLogger: level "${level}" is not a log level; use one of ${LOG_LEVELS.join(', ')}`);
}

/**
 * pino's isoTime formats a Date on every line (~0.5 µs); lines written in the same millisecond
 * share one formatted string.
 */
function cachedIsoTime(): () => string {
  let lastMs = -1;
  let last = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      last = `,"time":"${new Date(now).toISOString()}"`;
    }
    return last;
  };
}

type ContextFields = { correlation_id?: string; request_id?: string };

/**
 * The runtime's logger: pino with ISO `time`, `level` as a label, `service`, the current request's
 * `correlation_id`/`request_id` on every line (AsyncLocalStorage, no child logger per request),
 * `err` as {type, message, stack}, and secrets redacted from keys, strings, messages and errors.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  if (!options.service) throw new Error('createLogger: service is required (the service name written on every line)');
  const level = checkLevel(options.level ?? 'info');
  const secrets = options.redactor ?? new SecretRedactor();
  const redactString = cachedStringRedactor(secrets);
  const objects = new LogObjectRedactor(redactString);

  // Label-bound counters per pino level number, made once: counting a line is one inc().
  const lineCounters = new Map<number, { inc(): void }>();
  if (options.metrics) {
    for (const [label, num] of Object.entries(pino.levels.values)) lineCounters.set(num, options.metrics.logLinesTotal.labels(label));
  }

  const destination = (options.destination ?? createLogDestination(1, DEFAULT_LOG_BUFFERING)) as DestinationStream;

  const logger = pino(
    {
      level,
      base: { service: options.service },
      timestamp: cachedIsoTime(),
      // The mixin's object is fresh per line (pino merges the call's fields into it), which
      // lets the log formatter redact the top level in place.
      mixin(_merge: object, levelNumber: number): ContextFields {
        lineCounters.get(levelNumber)?.inc();
        const ctx = currentContext();
        return ctx ? { correlation_id: ctx.correlationId, request_id: ctx.requestId } : {};
      },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => objects.redactTopLevel({ ...bindings }),
        log: (obj) => objects.redactTopLevel(obj),
      },
      serializers: {
        msg: (msg: unknown) => (typeof msg === 'string' ? redactString(msg) : objects.redactAny(msg)),
        err: (err: unknown) => (err instanceof Error ? objects.serializeError(err) : err),
      },
      hooks: options.structured ? {} : { streamWrite: jsonLineToText },
    },
    destination,
  );
  redactChildBindings(logger, objects, redactString);
  markLogger(logger, { redact: redactString, redactUncached: (text) => secrets.redact(text), countLine: (num) => lineCounters.get(num)?.inc() });
  return logger;
}

/**
 * pino gives every child a pass-through bindings formatter, so a secret bound with
 * `logger.child({ password })` would be written on every line. Children are created with
 * Object.create(parent), so wrapping `child` and `setBindings` here covers grandchildren too. A
 * child's own serializers and formatters run after this logger's redaction, so their output is
 * redacted as well, and so is its message prefix.
 */
function redactChildBindings(logger: Logger, objects: LogObjectRedactor, redactString: StringRedactor): void {
  type Child = (this: Logger, bindings: pino.Bindings, childOptions?: pino.ChildLoggerOptions) => Logger;
  const child = logger.child as unknown as Child;
  const redactingChild: Child = function (bindings, childOptions) {
    return child.call(this, objects.redactTopLevel({ ...bindings }), childOptions && redactingChildOptions(childOptions, objects, redactString));
  };
  logger.child = redactingChild as unknown as Logger['child'];
  const setBindings = logger.setBindings;
  logger.setBindings = function (this: Logger, bindings: pino.Bindings): void {
    setBindings.call(this, objects.redactTopLevel({ ...bindings }));
  };
}

function redactingChildOptions(options: pino.ChildLoggerOptions, objects: LogObjectRedactor, redactString: StringRedactor): pino.ChildLoggerOptions {
  const out: pino.ChildLoggerOptions = { ...options };
  if (typeof options.msgPrefix === 'string') out.msgPrefix = redactString(options.msgPrefix);
  if (options.serializers) {
    const serializers: Record<string, pino.SerializerFn> = {};
    for (const [key, serialize] of Object.entries(options.serializers)) serializers[key] = (value: unknown) => objects.redactField(key, serialize(value));
    out.serializers = serializers;
  }
  const formatters = options.formatters;
  if (formatters?.log || formatters?.bindings) {
    const { log, bindings } = formatters;
    out.formatters = {
      ...formatters,
      ...(log && { log: (obj: object) => objects.redactTopLevel({ ...log(obj) }) }),
      ...(bindings && { bindings: (b: pino.Bindings) => objects.redactTopLevel({ ...bindings(b) }) }),
    };
  }
  return out;
}
