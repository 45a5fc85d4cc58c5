import { colonPairValues, equalsPairValues, type Span } from './pairs';

/** What a removed secret is replaced with. */
export const REDACTED = '[REDACTED]';

// A URL password that is a placeholder, not a secret, shown as written: the example of a hint
// (postgres://USER:PASSWORD@HOST:5432/DB, postgres://user:password@host), a template
// (<password>, ${PASSWORD}), or one already redacted.
const PLACEHOLDER_PASSWORD = /^(?:password|passwd|pass|pwd|\*+|<[^<>]*>|\{[^{}]*\}|\$\{[^{}]*\}|\[[^[\]]*\])$/i;

/**
 * Credentials recognised by their shape, wherever they appear in a string. Group 1/2: an HTTP
 * `Bearer` credential (the scheme stays); group 3/4: a `Basic` one (redacted when it decodes to
 * `user:password` text, so the word in a sentence is left alone); the rest are replaced whole.
 */
const SHAPES = new RegExp(
  [
    String.raw`\b((?:[Bb]earer|BEARER)[ \t]+)([A-Za-z0-9._~+/=-]{8,})`,
    // A Basic credential ends where base64 does (not inside a longer token such as a JWT's first part).
    String.raw`\b((?:[Bb]asic|BASIC)[ \t]+)([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9_~+/=-]|\.[A-Za-z0-9_-])`,
    // AWS access key ids (long-term and temporary).
    String.raw`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`,
    // GitHub tokens: personal, OAuth, user-to-server, server-to-server, refresh; fine-grained.
    String.raw`\bgh[pousr]_[A-Za-z0-9]{20,}`,
    String.raw`\bgithub_pat_[A-Za-z0-9_]{20,}`,
    // OpenAI (sk-…, sk-proj-…) and other sk- keys; Stripe (sk_live_…, rk_test_…); Slack (xoxb-…).
    String.raw`\bsk-[A-Za-z0-9_-]{8,}`,
    String.raw`\b[sr]k_(?:live|test)_[A-Za-z0-9]{10,}`,
    String.raw`\bxox[abposr]-[A-Za-z0-9-]{10,}`,
    // JSON Web Tokens: base64url header (always `{"…` → eyJ), payload, signature (maybe empty).
    // (Starts only where a base64url run starts: `a-eyJa-eyJa-…` stays linear.)
    String.raw`(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`,
    // PEM private keys, to the END line or, cut short, to the end of the text.
    String.raw`-----BEGIN[A-Z ]*PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z ]*PRIVATE KEY-----|[\s\S]*)`,
  ].join('|'),
  'g',
);

/**
 * Something every SHAPES match holds, found by characters rare in ordinary text (the space after
 * the scheme, `_`, `-` after `sk`, the `J` of `eyJ`, …), so text without them (most paths and
 * messages) is passed over at the speed of a character search.
 */
const SHAPE_TRIGGER = /(?<=[Bb]earer|BEARER|[Bb]asic|BASIC)[ \t]|A[KS]IA|(?<=gh[pousr]|_pat|k_live|k_test)_|(?<=\bsk|xox[abposr])-|-----BEGIN|(?<=ey)J/;

const PRINTABLE_WITH_COLON = /^[\x20-\x7e]*:[\x20-\x7e]*$/;

function isBasicCredential(b64: string): boolean {
  return PRINTABLE_WITH_COLON.test(Buffer.from(b64, 'base64').toString('latin1'));
}

// The only other shape made of base64 characters alone, which a `Basic word` match would hide.
const AWS_ACCESS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;

function redactShape(match: string, bearer?: string, _token?: string, basic?: string, b64?: string): string {
  if (bearer !== undefined) return bearer + REDACTED;
  if (basic !== undefined) return isBasicCredential(b64!) ? basic + REDACTED : basic + b64!.replace(AWS_ACCESS_KEY_ID, REDACTED) + match.slice(basic.length + b64!.length);
  return REDACTED;
}

const WHITESPACE = /\s/g;

/** Where the whitespace-free run of text starting at `from` ends. */
function runEnd(text: string, from: number): number {
  WHITESPACE.lastIndex = from;
  return WHITESPACE.test(text) ? WHITESPACE.lastIndex - 1 : text.length;
}

/**
 * The passwords of URLs in a text (`scheme://user:password@host`). The userinfo runs to the LAST
 * `@` before the host, so a password may hold `@`, `/` and `:` unencoded; a URL inside a URL
 * (`?next=postgres://u:p@db`) is read from its own scheme, unless that leaves no password before
 * the `@` (a password holding `://`): then the enclosing URL's is taken, so when in doubt more is
 * redacted, not less. Placeholders (`postgres://user:password@host`) are not passwords. One
 * forward pass over the text.
 */
export function urlCredentials(text: string, found: Span[] = []): Span[] {
  let scheme = text.indexOf('://');
  let at = text.indexOf('@'); // the next '@' not yet passed
  while (scheme !== -1 && at !== -1) {
    const end = runEnd(text, scheme + 3);
    const schemes: number[] = [];
    for (; scheme !== -1 && scheme < end; scheme = text.indexOf('://', scheme + 3)) schemes.push(scheme);
    while (at !== -1 && at < schemes[0]! + 3) at = text.indexOf('@', at + 1);
    const ats: number[] = [];
    for (; at !== -1 && at < end; at = text.indexOf('@', at + 1)) ats.push(at);
    passwordsInRun(text, schemes, ats, found);
  }
  return found;
}

/** The passwords in one whitespace-free run, given its schemes' and its `@`s' positions, in order. */
function passwordsInRun(text: string, schemes: readonly number[], ats: readonly number[], found: Span[]): void {
  const spans: Span[] = [];
  let s = schemes.length - 1;
  for (let a = ats.length - 1; a >= 0 && s >= 0; ) {
    const at = ats[a]!;
    while (s >= 0 && schemes[s]! + 3 > at) s--;
    if (s < 0) break;
    // The innermost URL before this '@' whose userinfo has a ':' (at most two tries: an outer
    // URL's search finds the inner scheme's own ':').
    let owner = -1;
    let colon = -1;
    for (let k = s; k >= 0 && owner === -1; k--) {
      const c = text.indexOf(':', schemes[k]! + 3);
      if (c !== -1 && c < at) [owner, colon] = [k, c];
    }
    if (owner === -1) {
      a--; // a user without a password: an earlier '@' may still end an earlier URL's userinfo
      continue;
    }
    if (!PLACEHOLDER_PASSWORD.test(text.slice(colon + 1, at))) spans.push({ start: colon + 1, end: at });
    s = owner - 1;
    while (a >= 0 && ats[a]! > schemes[owner]!) a--; // '@'s inside this password
  }
  for (let i = spans.length - 1; i >= 0; i--) found.push(spans[i]!);
}

/** The text with every span replaced by REDACTED (spans in order, not overlapping). */
function withRedacted(text: string, spans: readonly Span[]): string {
  let out = '';
  let last = 0;
  for (const { start, end } of spans) {
    if (end - start === REDACTED.length && text.startsWith(REDACTED, start)) continue;
    out += text.slice(last, start) + REDACTED;
    last = end;
  }
  return last === 0 ? text : out + text.slice(last);
}

// Shortest text any rule can match (`pw=x`).
const MIN_LENGTH = 4;
// A character every rule needs: the space after Bearer/Basic, the `A` of AKIA/ASIA, `_`, `-`, the
// `J` of eyJ, `:` (URLs, "name": pairs), `=`. Most request paths have none of them.
const MAY_HOLD_CREDENTIAL = /[ \t_AJ:=-]/;

/**
 * Removes credentials recognised by their shape or by the name they are given: URL passwords,
 * `Bearer`/`Basic` credentials, AWS access key ids, GitHub, OpenAI, Stripe and Slack tokens,
 * JWTs, PEM private keys, and the values of credential-named pairs (`password=…`,
 * `"apiKey": "…"`). Each step runs only when a cheap check finds what it needs (`://` and `@`;
 * SHAPE_TRIGGER; `=`; `:` and a quote), so most strings cost a few character searches. Linear in
 * the text's length, and idempotent: redacting the result again changes nothing.
 */
export function redactCredentials(text: string): string {
  if (text.length < MIN_LENGTH || !MAY_HOLD_CREDENTIAL.test(text)) return text;
  let out = text;
  if (out.includes('://') && out.includes('@')) out = withRedacted(out, urlCredentials(out));
  if (SHAPE_TRIGGER.test(out)) out = out.replace(SHAPES, redactShape);
  if (out.includes('=')) out = withRedacted(out, equalsPairValues(out));
  if (out.includes(':') && (out.includes('"') || out.includes("'"))) out = withRedacted(out, colonPairValues(out));
  return out;
}
