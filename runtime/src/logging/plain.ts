/**
 * Human-readable rendering of a pino JSON line, for ENABLE_STRUCTURED_LOGGING=false:
 * `2026-01-15T12:34:56.789Z INFO  [service] message correlation_id=… key=value`.
 * The line is rendered from the already-redacted JSON, so plain text is redacted the same way.
 */

const HEAD_KEYS = new Set(['time', 'level', 'service', 'msg']);
// Anything else (spaces, quotes, =, control characters) is JSON-quoted so a value can't forge a line.
const BARE_VALUE = /^[^\s"'=\\\x00-\x1f\x7f]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

function renderValue(value: unknown): string {
  if (typeof value === 'string') return BARE_VALUE.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function renderMessage(msg: unknown): string {
  if (msg === undefined) return '';
  const text = typeof msg === 'string' ? msg : JSON.stringify(msg);
  return CONTROL.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}

export function jsonLineToText(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  let out = `${String(entry.time)} ${String(entry.level).toUpperCase().padEnd(5)} [${String(entry.service)}] ${renderMessage(entry.msg)}`;
  for (const key of Object.keys(entry)) {
    if (HEAD_KEYS.has(key)) continue;
    out += ` ${key}=${renderValue(entry[key])}`;
  }
  return out + '\n';
}
