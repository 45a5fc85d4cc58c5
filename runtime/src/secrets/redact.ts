import type { ServiceDeclaration } from '../declaration/types';
import { REDACTED, redactCredentials, urlCredentials } from './credentials';

export { REDACTED } from './credentials';

// Shorter values would match ordinary text; they are left to the shape and name rules.
const MIN_SECRET_LENGTH = 4;

/**
 * Removes secrets from a message: every declared secret value (as written, URL-encoded, and the
 * passwords of the URLs it holds), then every credential recognised by its shape or its name
 * (redactCredentials: URL passwords, Bearer/Basic credentials, cloud and API tokens, JWTs,
 * `password=…` pairs). Used on every string the runtime logs or returns.
 */
export class SecretRedactor {
  private readonly values: string[];

  constructor(secretValues: Iterable<string> = []) {
    const variants: string[] = [];
    for (const value of secretValues) {
      variants.push(value);
      const encoded = encodeURIComponentSafe(value);
      if (encoded !== value) variants.push(encoded);
    }
    // Longest first so a value containing another is replaced whole.
    this.values = [...new Set(variants.filter((v) => v.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  }

  /** The secret values of a declaration's env vars (those marked `secret`), plus URL passwords in them. */
  static forDeclaration(declaration: ServiceDeclaration, env: NodeJS.ProcessEnv = process.env): SecretRedactor {
    const values: string[] = [];
    for (const [name, decl] of Object.entries(declaration.env)) {
      const v = env[name];
      if (!decl.secret || !v) continue;
      values.push(v);
      for (const { start, end } of urlCredentials(v)) {
        const password = v.slice(start, end);
        values.push(password, decodeURIComponentSafe(password));
      }
    }
    return new SecretRedactor(values);
  }

  redact(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return redactCredentials(out);
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function encodeURIComponentSafe(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s; // a lone surrogate: it cannot appear URL-encoded either
  }
}
