import { stdSerializers } from 'pino';
import { REDACTED, type SecretRedactor } from '../secrets/redact';
import { isSensitiveKey } from '../secrets/names';

export { isSensitiveKey } from '../secrets/names';

// Deeper than this a value is replaced rather than walked (bounds the cost and breaks cycles).
const MAX_DEPTH = 8;
const TOO_DEEP = '[Truncated]';

// Bounded caches: key names and constant messages repeat on every line, so most lookups hit.
const CACHE_LIMIT = 2048;
const CACHEABLE_LENGTH = 256;
// Field names written in code are short; longer ones (taken from input) are not kept.
const KEY_CACHEABLE_LENGTH = 64;

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

/** A field name as written (itself redacted: a secret can be a key) and whether its value is withheld. */
interface KeyVerdict {
  readonly name: string;
  readonly sensitive: boolean;
}

// Set by pino's error serializer, or already written: not copied from an error's own properties.
const ERROR_OWN_FIELDS = new Set(['type', 'message', 'stack', 'raw', 'aggregateErrors']);

/**
 * Walks a log object: values under credential names (isSensitiveKey) become [REDACTED] (but
 * booleans, which only say whether one is set), every other string goes through the secret
 * redactor, and so do key names; errors become {type, message, stack, ...own properties}, all
 * redacted, nested errors included. Class instances are walked as JSON writes them (toJSON, or
 * their own fields). Copies on write: the caller's objects are never modified, and an object
 * with nothing to redact is returned as is.
 */
export class LogObjectRedactor {
  private readonly keys = new Map<string, KeyVerdict>();

  constructor(private readonly redactString: StringRedactor) {}

  /** Redacts the top-level object in place: pino hands the formatter a fresh merged object. */
  redactTopLevel(obj: Record<string, unknown>): Record<string, unknown> {
    for (const key in obj) {
      const value = obj[key];
      // Ids are generated or validated to a strict token charset, and unique per request:
      // redacting them would only fill the cache.
      if ((key === 'correlation_id' || key === 'request_id') && typeof value === 'string') continue;
      const verdict = this.keyVerdict(key);
      const out = this.redactEntry(verdict, value, 1);
      if (verdict.name !== key) {
        delete obj[key];
        obj[verdict.name] = out;
      } else if (out !== value) obj[key] = out;
    }
    return obj;
  }

  /** Redacts one field's value as it would be redacted inside a log object. */
  redactField(key: string, value: unknown): unknown {
    return this.redactEntry(this.keyVerdict(key), value, 1);
  }

  /** Redacts a value with no field name (a message that is not a string). */
  redactAny(value: unknown): unknown {
    return this.redactValue(value, 1);
  }

  serializeError(err: Error, depth = 1): SerializedError {
    const raw = stdSerializers.err(err) as unknown as Record<string, unknown>;
    const out: SerializedError = {
      type: String(raw.type ?? err.name),
      message: this.redactString(String(raw.message ?? '')),
      stack: this.redactString(String(raw.stack ?? '')),
    };
    const errors = (err as { errors?: unknown }).errors;
    if (Array.isArray(errors)) out.aggregateErrors = this.redactValue(errors, depth + 1);
    // The error's own fields, read from the error itself: pino's copies of nested errors are
    // objects of its own class, which would not be walked.
    const fields = err as unknown as Record<string, unknown>;
    for (const key in fields) {
      if (ERROR_OWN_FIELDS.has(key)) continue;
      const value = fields[key];
      if (key === 'cause' && value instanceof Error) continue; // part of message and stack
      const verdict = this.keyVerdict(key);
      out[verdict.name] = this.redactEntry(verdict, value, depth + 1);
    }
    return out;
  }

  private keyVerdict(key: string): KeyVerdict {
    let verdict = this.keys.get(key);
    if (verdict === undefined) {
      verdict = { name: this.redactString(key), sensitive: isSensitiveKey(key) };
      if (key.length > KEY_CACHEABLE_LENGTH) return verdict;
      if (this.keys.size >= CACHE_LIMIT) this.keys.clear();
      this.keys.set(key, verdict);
    }
    return verdict;
  }

  private redactEntry(verdict: KeyVerdict, value: unknown, depth: number): unknown {
    if (value === undefined || value === null || typeof value === 'boolean') return value;
    if (verdict.sensitive) return REDACTED;
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
    if (proto !== Object.prototype && proto !== null) {
      // Dates and binary data write no secrets a string rule could find; anything else is
      // walked as JSON.stringify would write it.
      if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return this.redactValue(toJSON.call(value), depth + 1);
    }
    const obj = value as Record<string, unknown>;
    let copy: Record<string, unknown> | undefined;
    for (const key in obj) {
      const v = obj[key];
      const verdict = this.keyVerdict(key);
      const out = this.redactEntry(verdict, v, depth + 1);
      if (verdict.name !== key) {
        copy ??= { ...obj };
        delete copy[key];
        copy[verdict.name] = out;
      } else if (out !== v) (copy ??= { ...obj })[key] = out;
    }
    return copy ?? obj;
  }
}
