import type { ServiceDeclaration } from '../declaration/types';

export const REDACTED = '[REDACTED]';

// user:password@ in any URL-ish string (postgres://u:p@h, redis://:p@h, https://u:p@h).
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]*):([^@\s/]*)@/gi;
// Bearer tokens and OpenAI-style keys that leak into error messages.
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const API_KEY = /\b(sk-[A-Za-z0-9_-]{8,})\b/g;
/** The password placeholder of connection-string hints (`postgres://USER:PASSWORD@HOST:5432/DB`): shown as written. */
export const PASSWORD_PLACEHOLDER = 'PASSWORD';
// Every pattern above needs one of these; most strings have none, so one test skips three replaces.
const MAYBE_SECRET = /@|bearer|sk-/i;

/**
 * Removes secrets from a message: every declared secret env var's value, URL credentials and
 * API-key shaped tokens. Used on every message the runtime logs or returns.
 */
export class SecretRedactor {
  private readonly values: string[];

  constructor(secretValues: Iterable<string> = []) {
    // Longest first so a value containing another is replaced whole; ignore trivially short ones.
    this.values = [...new Set([...secretValues].filter((v) => v.length >= 4))].sort((a, b) => b.length - a.length);
  }

  /** The secret values of a declaration's env vars (those marked `secret`), plus URL passwords in them. */
  static forDeclaration(declaration: ServiceDeclaration, env: NodeJS.ProcessEnv = process.env): SecretRedactor {
    const values: string[] = [];
    for (const [name, decl] of Object.entries(declaration.env)) {
      const v = env[name];
      if (!decl.secret || !v) continue;
      values.push(v);
      for (const m of v.matchAll(URL_CREDENTIALS)) if (m[3]) values.push(decodeURIComponentSafe(m[3]), m[3]);
    }
    return new SecretRedactor(values);
  }

  redact(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    if (!MAYBE_SECRET.test(out)) return out;
    return out
      .replace(URL_CREDENTIALS, (m, scheme: string, user: string, password: string) => (password === PASSWORD_PLACEHOLDER ? m : `${scheme}${user}:${REDACTED}@`))
      .replace(BEARER, `$1${REDACTED}`)
      .replace(API_KEY, REDACTED);
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
