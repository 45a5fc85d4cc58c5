import { stdSerializers } from 'pino';
import { REDACTED, type SecretRedactor } from '../secrets/redact';

/**
 * Key names whose values never reach a log line, at any depth. Compared after lower-casing and
 * dropping `-` and `_`, so `apiKey`, `API_KEY` and `x-api-key` all match `apikey`/`xapikey`.
 */
const SENSITIVE_KEYS = new Set([
  'password', 'passwd', 'pwd', 'pass', 'secret', 'clientsecret', 'token', 'accesstoken', 'refreshtoken',
  'idtoken', 'sessiontoken', 'authtoken', 'bearertoken', 'apikey', 'xapikey', 'authorization',
  'proxyauthorization', 'cookie', 'setcookie', 'privatekey', 'secretkey', 'secretaccesskey', 'credentials',
  'connectionstring', 'databaseurl', 'redisurl', 'dsn',
]);

// Deeper than this a value is replaced rather than walked (bounds the cost and breaks cycles).
const MAX_DEPTH = 8;
const TOO_DEEP = '[Truncated]';

// Bounded caches: key names and constant messages repeat on every line, so most lookups hit.
const CACHE_LIMIT = 2048;
const CACHEABLE_LENGTH = 256;

const sensitiveKeyCache = new Map<string, boolean>();

export function isSensitiveKey(key: string): boolean {
  let hit = sensitiveKeyCache.get(key);
  if (hit === undefined) {
    hit = SENSITIVE_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
    if (sensitiveKeyCache.size >= CACHE_LIMIT) sensitiveKeyCache.clear();
    sensitiveKeyCache.set(key, hit);
  }
  return hit;
}

export type StringRedactor = (text: string) => string;

/**
 * Wraps a SecretRedactor with a bounded cache, so a constant message or label-like value costs
 * one map lookup. Once full the cache stops growing (no clearing): the constants seen first stay,
 * and one-off strings (paths, ids) are redacted directly instead of churning the cache.
 */
export function cachedStringRedactor(redactor: SecretRedactor): StringRedactor {
  const cache = new Map<string, string>();
  return (text) => {
    if (text.length > CACHEABLE_LENGTH) return redactor.redact(text);
    let out = cache.get(text);
    if (out === undefined) {
      out = redactor.redact(text);
      if (cache.size < CACHE_LIMIT) cache.set(text, out);
    }
    return out;
  };
}

export interface SerializedError {
  type: string;
  message: string;
  stack: string;
  [key: string]: unknown;
}

/**
 * Walks a log object: values under sensitive keys become [REDACTED], strings go through the
 * secret redactor, errors become {type, message, stack} with both redacted. Copies on write:
 * the caller's objects are never modified, and an object with nothing to redact is returned as is.
 */
export class LogObjectRedactor {
  constructor(private readonly redactString: StringRedactor) {}

  /** Redacts the top-level object in place: pino hands the formatter a fresh merged object. */
  redactTopLevel(obj: Record<string, unknown>): Record<string, unknown> {
    for (const key in obj) {
      const value = obj[key];
      // Ids are generated or validated to a strict token charset, and unique per request:
      // redacting them would only fill the cache.
      if ((key === 'correlation_id' || key === 'request_id') && typeof value === 'string') continue;
      const out = this.redactEntry(key, value, 1);
      if (out !== value) obj[key] = out;
    }
    return obj;
  }

  serializeError(err: Error, depth = 1): SerializedError {
    const raw = stdSerializers.err(err) as unknown as Record<string, unknown>;
    const out: SerializedError = {
      type: String(raw.type ?? err.name),
      message: this.redactString(String(raw.message ?? '')),
      stack: this.redactString(String(raw.stack ?? '')),
    };
    for (const key of Object.keys(raw)) {
      if (key === 'type' || key === 'message' || key === 'stack' || key === 'raw') continue;
      out[key] = this.redactEntry(key, raw[key], depth + 1);
    }
    return out;
  }

  private redactEntry(key: string, value: unknown, depth: number): unknown {
    if (value === undefined || value === null) return value;
    if (isSensitiveKey(key)) return REDACTED;
    return this.redactValue(value, depth);
  }

  private redactValue(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case 'string':
        return this.redactString(value);
      case 'object':
        break;
      default:
        return value;
    }
    if (value === null) return value;
    if (depth > MAX_DEPTH) return TOO_DEEP;
    if (value instanceof Error) return this.serializeError(value, depth);
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const out = this.redactValue(value[i], depth + 1);
        if (out !== value[i]) (copy ??= value.slice())[i] = out;
      }
      return copy ?? value;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    // Dates, Buffers, Maps and other class instances serialise themselves; walk plain objects only.
    if (proto !== Object.prototype && proto !== null) return value;
    const obj = value as Record<string, unknown>;
    let copy: Record<string, unknown> | undefined;
    for (const key in obj) {
      const v = obj[key];
      const out = this.redactEntry(key, v, depth + 1);
      if (out !== v) (copy ??= { ...obj })[key] = out;
    }
    return copy ?? obj;
  }
}
