import pino, { type Logger } from 'pino';
import { contextFieldsJson, type RequestContext } from './context';
import type { StringRedactor } from './redaction';

/** What createLogger records on its loggers, so that lines of a known shape can skip pino's generic path. */
export interface LoggerInternals {
  /** The logger's string redactor (declared secrets, URL credentials, tokens), cached for repeating strings. */
  readonly redact: StringRedactor;
  /** The same redaction without the cache, for strings that rarely repeat (request paths). */
  readonly redactUncached: StringRedactor;
  /** Counts one line at a pino level number (`log_lines_total`). */
  readonly countLine: (levelNumber: number) => void;
}

const INTERNALS = Symbol('bulwark.loggerInternals');

// Printable ASCII but '"' and '\\': JSON writes such a string as is, between quotes.
const JSON_PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON.stringify for a string, without its cost for the usual case of a plain one (a request path). */
export function jsonString(text: string): string {
  return JSON_PLAIN.test(text) ? `"${text}"` : JSON.stringify(text);
}

type Internal = Record<symbol, unknown>;

/** Called by createLogger. Children inherit the mark (pino makes them with Object.create). */
export function markLogger(logger: Logger, internals: LoggerInternals): void {
  (logger as unknown as Internal)[INTERNALS] = internals;
}

/**
 * Writes lines whose fields are known in advance (the access log: one per request) without
 * pino's generic path (mixin object, merge, per-key redaction walk, per-key serialisation),
 * producing the same line pino would: same level label, time, bindings, context ids, message,
 * line counter, plain-text hook and destination.
 */
export interface PreformattedLineWriter {
  /** Redacts a string value exactly as the logger redacts every string it writes. */
  redact(text: string): string;
  /** The same as `redact`, for strings that rarely repeat (request paths): skips the cache lookup. */
  redactUncached(text: string): string;
  isLevelEnabled(level: string): boolean;
  /**
   * Writes the line `logger[level]({correlation_id, request_id, ...fields}, msg)` would write.
   * `fieldsJson` is the JSON of the fields after the context ids as `,"key":value` pairs, every
   * string value already redacted (with `redact`) and JSON-encoded.
   */
  write(level: string, ctx: RequestContext | undefined, fieldsJson: string, msg: string): void;
}

interface Stream {
  write(line: string): unknown;
}

// pino's documented internal symbols (pino.symbols); msgPrefixSym is missing from its typings.
const S = pino.symbols as unknown as Readonly<Record<string, symbol>>;

/**
 * A preformatted-line writer for a logger made by createLogger (or a child of one); undefined for
 * any other logger, or when its destination needs pino's per-line metadata (multistream), in
 * which case the caller writes through the logger as usual.
 */
export function preformattedLineWriter(logger: Logger): PreformattedLineWriter | undefined {
  const l = logger as unknown as Internal;
  const internals = l[INTERNALS] as LoggerInternals | undefined;
  if (!internals) return undefined;
  const stream = l[S.streamSym] as (Stream & Internal) | undefined;
  if (!stream || typeof stream.write !== 'function' || stream[S.needsMetadataGsym] === true || l[S.nestedKeySym]) return undefined;
  const levels = logger.levels.values;
  const { redact, redactUncached, countLine } = internals;
  const messages = new Map<string, string>();
  const messageJson = (msg: string): string => {
    let json = messages.get(msg);
    if (json === undefined) {
      json = `,"msg":${JSON.stringify(redact(msg))}`;
      if (messages.size < 64) messages.set(msg, json);
    }
    return json;
  };
  // Fixed for the life of a logger (pino sets them at creation); only the bindings can change (setBindings).
  const levelStrings = l[S.lsCacheSym] as Record<number, string>;
  const time = l[S.timeSym] as (this: unknown) => string;
  const end = l[S.endSym] as string;
  const prefix = l[S.msgPrefixSym];
  const hook = (l[S.hooksSym] as { streamWrite?: (s: string) => string } | undefined)?.streamWrite;
  return {
    redact,
    redactUncached,
    isLevelEnabled: (level) => logger.isLevelEnabled(level),
    write(level, ctx, fieldsJson, msg) {
      const num = levels[level];
      if (num === undefined || !logger.isLevelEnabled(level)) return;
      countLine(num);
      const ids = ctx ? contextFieldsJson(ctx) : '';
      const line =
        levelStrings[num]! +
        time.call(logger) +
        (l[S.chindingsSym] as string) +
        ids +
        fieldsJson +
        messageJson(typeof prefix === 'string' ? prefix + msg : msg) +
        end;
      stream.write(hook ? hook(line) : line);
    },
  };
}

/**
 * `Math.round(ms * 1000) / 1000` as JSON.stringify writes it (a duration in milliseconds to the
 * microsecond), from integers: formatting the double itself costs several times more.
 */
export function millisJson(ms: number): string {
  const micros = Math.round(ms * 1000);
  if (!(micros >= 0 && micros < 1e15)) return JSON.stringify(Math.round(ms * 1000) / 1000);
  const whole = Math.trunc(micros / 1000);
  const frac = micros - whole * 1000;
  if (frac === 0) return `${whole}`;
  if (frac % 100 === 0) return `${whole}.${frac / 100}`;
  if (frac % 10 === 0) return `${whole}.${frac < 100 ? '0' : ''}${frac / 10}`;
  return `${whole}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}
