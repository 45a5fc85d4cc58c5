import fc from 'fast-check';
import type { Logger } from 'pino';
import { createLogger, createMetrics, newRequestContext, runWithContext, SecretRedactor } from '../../../runtime/src/internal';
import { RequestRecorder } from '../../../runtime/src/http/recorder';
import { LogCapture } from './capture';

/**
 * Property: whatever secret is logged, wherever it is put, no log line shows it, and the harmless
 * values logged next to it (token counts, ordinary words, ids) come out unchanged. Secrets are
 * generated in every shape the redaction knows (HTTP credentials, cloud and API tokens, JWTs, URL
 * passwords holding `@`, `/` and `:`, credential-named pairs, PEM keys) and as declared secret
 * values; each is placed in messages, fields, nested objects and arrays, credential-named keys,
 * key names, errors (message, cause, own and nested properties, aggregated), child bindings and
 * the access log's path, and written through the runtime's own logger in both output modes.
 */

interface Secret {
  readonly kind: string;
  /** How the secret appears in text (with its context: `Bearer …`, `postgres://u:…@h`). */
  readonly text: string;
  /** What must not appear anywhere in the output. */
  readonly forbidden: readonly string[];
  /** What must still appear next to it (the parts of a URL that are not secret). */
  readonly kept: readonly string[];
}

const chars = (alphabet: string, minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B64URL = `${ALNUM}-_`;
const base64url = (text: string) => Buffer.from(text).toString('base64url');

// With an upper-case letter and a digit somewhere: nothing the harmless (lower-case) values could contain.
const strong = (alphabet: string, min: number, max: number) =>
  fc
    .tuple(chars(alphabet, min, max), fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZ'), fc.constantFrom(...'23456789'), fc.nat())
    .map(([s, u, d, at]) => {
      const points = [...s]; // never between the halves of a surrogate pair
      points.splice(at % (points.length + 1), 0, u, d);
      return points.join('');
    });

const secretValue = (text: string, forbidden = [text], kept: string[] = []) => ({ text, forbidden, kept });

const bearer = strong(`${ALNUM}-._~+/`, 20, 60).map((t) => ({ kind: 'bearer', ...secretValue(`Bearer ${t}`, [t]) }));
const basic = fc
  .tuple(chars(ALNUM, 3, 12), strong(`${ALNUM}!#$%&*@:`, 6, 20))
  .map(([user, password]) => {
    const b64 = Buffer.from(`${user}:${password}`).toString('base64');
    return { kind: 'basic', ...secretValue(`Authorization: Basic ${b64}`, [b64]) };
  });
const aws = fc.tuple(fc.constantFrom('AKIA', 'ASIA'), chars(UPPER_DIGITS, 16, 16)).map(([p, s]) => ({ kind: 'aws', ...secretValue(`${p}${s}`) }));
const github = fc.oneof(
  fc.tuple(fc.constantFrom('ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'), strong(ALNUM, 34, 34)).map(([p, s]) => `${p}${s}`),
  strong(`${ALNUM}_`, 40, 80).map((s) => `github_pat_${s}`),
).map((t) => ({ kind: 'github', ...secretValue(t) }));
const openai = fc.tuple(fc.constantFrom('sk-', 'sk-proj-', 'sk-svcacct-'), strong(`${ALNUM}_-`, 30, 60)).map(([p, s]) => ({ kind: 'openai', ...secretValue(`${p}${s}`) }));
const jwt = fc
  .tuple(fc.jsonValue({ maxDepth: 1 }), strong(ALNUM, 4, 20), chars(B64URL, 16, 64))
  .map(([claims, sub, signature]) => {
    const token = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify({ sub, claims }))}.${signature}`;
    return { kind: 'jwt', ...secretValue(token, [token.slice(token.indexOf('.') + 1)]) };
  });
// A URL password with at least one of @ / : in it: the userinfo must be read to the last @.
const urlPassword = fc
  .tuple(strong(`${ALNUM}!$%*+,;=~-`, 4, 12), fc.constantFrom('@', '/', ':', '@@', ':/', '/@:'), chars(`${ALNUM}@/:!$*-`, 2, 10))
  .map(([a, special, b]) => `${a}${special}${b}`);
const url = fc
  .tuple(fc.constantFrom('postgres', 'postgresql', 'redis', 'rediss', 'https', 'amqp', 'mysql'), fc.constantFrom('app', 'svc_user', 'orders', ''), urlPassword, fc.constantFrom('db.internal', 'cache-1.example.com', '10.0.3.7'))
  .map(([scheme, user, password, host]) => ({
    kind: 'url',
    text: `${scheme}://${user}:${password}@${host}:5432/app`,
    forbidden: [password],
    kept: [`${scheme}://${user}:`, `@${host}:5432/app`],
  }));
const pairName = fc.constantFrom('password', 'passwd', 'pwd', 'Password', 'secret', 'client_secret', 'token', 'access_token', 'api_key', 'apikey', 'apiKey', 'X-Amz-Security-Token', 'sslpassword');
const pairValue = strong(`${ALNUM}!$%*+,./:@^_~=-`, 8, 32);
const pair = fc
  .tuple(pairName, pairValue, fc.constantFrom('query', 'libpq', 'ado', 'json', 'inspect'))
  .map(([name, value, form]) => {
    const text = {
      query: `/v1/items?page=2&${name}=${value}&sort=asc`,
      libpq: `host=db port=5432 ${name}=${value} dbname=app`,
      ado: `Server=db;${name}=${value};Database=app`,
      json: `{"${name}":"${value}","page":2}`,
      inspect: `{ ${name.replace(/-/g, '_')}: '${value}', page: 2 }`,
    }[form];
    return { kind: `pair:${form}`, ...secretValue(text, [value]) };
  });
const pem = chars(`${ALNUM}+/`, 40, 200).map((body) => ({
  kind: 'pem',
  ...secretValue(`-----BEGIN PRIVATE KEY-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----`, [body.slice(0, 40)]),
}));
// Declared secret values may hold anything (spaces, quotes, backslashes, non-ASCII).
const declaredValue = strong(`${ALNUM}!@#$%^&*()_+=-[]{};'"\\|,.<>/? ~ñé€😀`, 6, 30);

const shaped: fc.Arbitrary<Secret> = fc.oneof(bearer, basic, aws, github, openai, jwt, url, pair, pem);

const CREDENTIAL_KEYS = ['password', 'dbPassword', 'DB_PASSWORD', 'openaiApiKey', 'apiToken', 'x-auth-token', 'x-amz-security-token', 'jwt', 'Authorization', 'cookie', 'set-cookie', 'client_secret', 'privateKey', 'sessionId', 'credentials'];

/** Things that must come out exactly as they went in. */
interface Harmless {
  readonly word: string;
  readonly id: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
}
const harmless: fc.Arbitrary<Harmless> = fc.record({
  word: fc.constantFrom('order', 'provider', 'cache', 'warehouse', 'shipment', 'invoice', 'catalog'),
  id: fc.uuid(),
  promptTokens: fc.nat({ max: 100_000 }),
  completionTokens: fc.nat({ max: 100_000 }),
});

/** Every place a secret can be logged from; `text` in context, `raw` the bare value. */
function logEverywhere(log: Logger, recorder: RequestRecorder, text: string, raw: string, key: string, h: Harmless): void {
  const counts = { promptTokens: h.promptTokens, completionTokens: h.completionTokens, totalTokens: h.promptTokens + h.completionTokens, token_type: 'prompt', tokens: h.promptTokens };
  log.info(`${h.word} ${h.id}: ${text}`);
  log.info('%s loaded with %s', h.word, text);
  log.info({ ...counts, word: h.word, id: h.id, note: text }, `${h.word} field`);
  log.info({ word: h.word, a: { b: [{ c: text }, h.id] }, list: [h.word, text] }, 'nested');
  log.info({ word: h.word, [key]: raw, nested: { [key]: raw }, req: { headers: { [key]: raw, accept: 'application/json' } } }, 'credential keys');
  log.info({ word: h.word, [text]: h.id }, 'secret as a key');
  log.error(new Error(`${h.word} failed: ${text}`));
  log.error({ word: h.word, err: new Error(`${h.word} failed`, { cause: new Error(text) }) }, 'caused');
  const withProps = Object.assign(new Error(`${h.word} failed`), { detail: text, [key]: raw, original: new Error(text), config: { headers: { Authorization: `Bearer ${raw}` } } });
  log.error({ word: h.word, err: withProps, all: new AggregateError([new Error(text)], 'several') }, 'error properties');
  const child = log.child({ component: h.word, context: text, [key]: raw });
  child.warn({ id: h.id }, 'from a child');
  child.setBindings({ later: text });
  child.warn('after setBindings');
  runWithContext(newRequestContext(undefined), () => log.info({ ...counts, word: h.word }, `inside ${text}`));
  for (const path of [`/v1/${h.word}/${text}`, `/v1/${h.word}?next=${text}&id=${h.id}`]) {
    recorder.begin();
    recorder.end('GET', '/v1/:word', path, 200, 1.5, newRequestContext(undefined));
  }
}

/** Every string in a parsed line, keys included (a secret with `"` or `\` appears escaped in the raw JSON). */
function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      stringsOf(v, out);
    }
  return out;
}

/** The output as written, and (structured) every string in it decoded. */
function capturedText(capture: LogCapture, structured: boolean): string {
  return structured ? capture.raw.map((line) => stringsOf(JSON.parse(line)).join('\n')).join('\n') + capture.text : capture.text;
}

/** A secret as written, and as JSON escapes it (a declared value may hold `"`, `\\` or non-ASCII). */
const writtenForms = (secret: string) => [secret, JSON.stringify(secret).slice(1, -1)];

describe('redaction (property)', () => {
  const NUM_RUNS = 150;

  it.each([
    ['structured', true],
    ['plain text', false],
  ] as const)('(%s) no generated secret survives anywhere, and what is harmless survives unchanged', (_mode, structured) => {
    fc.assert(
      fc.property(shaped, declaredValue, harmless, fc.constantFrom(...CREDENTIAL_KEYS), (secret, declared, h, key) => {
        const capture = new LogCapture();
        const metrics = createMetrics({ nodeMetrics: false });
        const log = createLogger({ service: 'providers', structured, level: 'debug', destination: capture, metrics, redactor: new SecretRedactor([declared]) });
        const recorder = new RequestRecorder(metrics, log);
        const rawValue = secret.forbidden[0]!;
        logEverywhere(log, recorder, secret.text, rawValue, key, h);
        logEverywhere(log, recorder, `declared ${declared} value`, declared, key, h);
        // A client sends it URL-encoded.
        recorder.begin();
        recorder.end('GET', '/v1/:word', `/v1/${h.word}?q=${encodeURIComponent(declared)}`, 200, 1.5, newRequestContext(undefined));
        const out = capturedText(capture, structured);
        for (const forbidden of [...secret.forbidden, declared, encodeURIComponent(declared)].flatMap(writtenForms)) {
          if (out.includes(forbidden)) throw new Error(`${secret.kind}: ${JSON.stringify(forbidden)} survived in:\n${capture.text}`);
        }
        for (const kept of secret.kept) expect(capture.text).toContain(kept);
        expect(capture.text).toContain(h.id);
        if (structured) {
          const fields = capture.entries.find((e) => e.msg === `${h.word} field`)!;
          expect(fields).toMatchObject({ word: h.word, id: h.id, promptTokens: h.promptTokens, completionTokens: h.completionTokens, token_type: 'prompt', tokens: h.promptTokens });
          expect(capture.entries.filter((e) => e.msg === 'request completed').every((e) => String(e.path).startsWith(`/v1/${h.word}`))).toBe(true);
        } else {
          expect(capture.text).toContain(`promptTokens=${h.promptTokens} completionTokens=${h.completionTokens}`);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('redacting is idempotent and never throws, whatever the text', () => {
    const redactor = new SecretRedactor(['Decl4red-Secret']);
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), shaped.map((s) => s.text), fc.string({ unit: fc.constantFrom(...'ab:/@=&;"\' sk-eyJAKIA_Bearer'), maxLength: 80 })), (text) => {
        const once = redactor.redact(text);
        expect(redactor.redact(once)).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves ordinary text unchanged: words, numbers, ids, paths, token counts', () => {
    const redactor = new SecretRedactor(['Decl4red-Secret']);
    const ordinary = fc
      .array(
        fc.oneof(
          fc.constantFrom('order', 'provider', 'cache', 'miss', 'for', 'the', 'warehouse', 'loaded', 'in', 'ms', 'tokens', 'prompt_tokens=12', 'token_type=prompt', 'status=200'),
          fc.uuid(),
          fc.nat().map(String),
          fc.tuple(fc.constantFrom('providers', 'orders', 'v1'), fc.uuid(), fc.nat()).map(([a, id, n]) => `/${a}/${id}/items/${n}?page=${n}`),
        ),
        { maxLength: 12 },
      )
      .map((parts) => parts.join(' '));
    fc.assert(
      fc.property(ordinary, (text) => {
        expect(redactor.redact(text)).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});
