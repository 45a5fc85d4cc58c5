import { defineService } from '@bulwark/runtime';
import { isSensitiveKey, REDACTED, SecretRedactor } from '../../../runtime/src/internal';

describe('SecretRedactor', () => {
  const decl = defineService({
    name: 'orders',
    dependencies: { db: { kind: 'postgres', env: 'DATABASE_URL' }, ai: { kind: 'openai', env: 'OPENAI_API_KEY' } },
    env: { LOG_LEVEL: { required: false, secret: false } },
  });
  const env = {
    DATABASE_URL: 'postgres://app:s3cr%40t-pw@db.internal:5432/orders',
    OPENAI_API_KEY: 'key-abcdefghijklmnop',
    LOG_LEVEL: 'debug',
  };
  const r = SecretRedactor.forDeclaration(decl, env);
  const patterns = new SecretRedactor();

  it('removes declared secret values, their URL passwords (raw and decoded) and their URL-encoded forms', () => {
    const out = r.redact(`connect ${env.DATABASE_URL} failed; pw s3cr@t-pw; key=${env.OPENAI_API_KEY}`);
    expect(out).not.toContain('s3cr');
    expect(out).not.toContain('abcdefghijklmnop');
    expect(out).toContain(REDACTED);
    const declared = new SecretRedactor(['p@ss w/rd!']);
    expect(declared.redact('/v1/login?next=p%40ss%20w%2Frd!')).toBe(`/v1/login?next=${REDACTED}`);
  });

  it('removes URL credentials and API-key shaped tokens it was not told about', () => {
    const out = patterns.redact('redis://:hunter22@cache:6379 Authorization: Bearer abcdefghijkl sk-proj-0123456789abc');
    expect(out).toBe(`redis://:${REDACTED}@cache:6379 Authorization: Bearer ${REDACTED} ${REDACTED}`);
  });

  it.each([
    ['a password holding @', 'postgres://app:p@ss@db.internal:5432/app'],
    ['a password holding / and :', 'postgres://app:pa/ss:wo@rd@db.internal:5432/app'],
    ['a password holding ://', 'postgres://app:x://y@z@db.internal:5432/app'],
  ])('redacts a URL password up to the last @ before the host: %s', (_case, url) => {
    expect(patterns.redact(`connect ${url} failed`)).toBe(`connect postgres://app:${REDACTED}@db.internal:5432/app failed`);
  });

  it('reads a URL inside a URL from its own scheme, and several URLs in one string', () => {
    expect(patterns.redact('/cb?next=postgres://u:p@db/x')).toBe(`/cb?next=postgres://u:${REDACTED}@db/x`);
    expect(patterns.redact('a://u:p1@h1,b://v:p2@h2 https://h/users/@alice ssh://git@github.com/o/r')).toBe(
      `a://u:${REDACTED}@h1,b://v:${REDACTED}@h2 https://h/users/@alice ssh://git@github.com/o/r`,
    );
  });

  it('shows the password placeholder of a connection-string hint as written, and still redacts real ones', () => {
    for (const hint of [
      'expected the form postgres://USER:PASSWORD@HOST:5432/DB',
      'for example postgres://user:password@host:5432/dbname',
      'redis://:PASSWORD@HOST:6379/0',
      'amqp://<user>:<password>@host',
    ]) {
      expect(patterns.redact(hint)).toBe(hint);
    }
    expect(patterns.redact('postgres://USER:PASSWORD1@HOST:5432/DB')).toBe(`postgres://USER:${REDACTED}@HOST:5432/DB`);
  });

  it.each([
    ['Authorization: Basic dXNlcjpwYXNzd29yZA==', `Authorization: Basic ${REDACTED}`],
    ['Authorization: Bearer abc.DEF-ghi_jkl~mno+pqr/stu=', `Authorization: Bearer ${REDACTED}`],
    ['key AKIAIOSFODNN7EXAMPLE, session ASIAY34FZKBOKMUTVV7A', `key ${REDACTED}, session ${REDACTED}`],
    ['ghp_0123456789abcdefghijABCDEFGHIJ012345 gho_0123456789abcdefghijABCDEFGHIJ', `${REDACTED} ${REDACTED}`],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv', REDACTED],
    ['OPENAI sk-proj-AbC0123456789xyzAbC0123456789', `OPENAI ${REDACTED}`],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c.', `jwt ${REDACTED}.`],
    ['-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----\nnext', `${REDACTED}\nnext`],
    ['/v1/search?q=x&password=hunter22&page=2', `/v1/search?q=x&password=${REDACTED}&page=2`],
    ['/cb?access_token=abc123&token_type=bearer&expires_in=3600', `/cb?access_token=${REDACTED}&token_type=bearer&expires_in=3600`],
    ['host=db port=5432 password=s3cret user=app', `host=db port=5432 password=${REDACTED} user=app`],
    ["host=db password='with space' user=app", `host=db password='${REDACTED}' user=app`],
    ['Server=db;Password=a;b;User Id=app', `Server=db;Password=${REDACTED};User Id=app`],
    ['?X-Amz-Security-Token=FwoGZXIvYXdz&X-Amz-Credential=AKID%2F2026', `?X-Amz-Security-Token=${REDACTED}&X-Amz-Credential=${REDACTED}`],
    ['body {"client_secret":"abc","scope":"read","pin":1234}', `body {"client_secret":"${REDACTED}","scope":"read","pin":1234}`],
    ["config { apiKey: 'k-123', region: 'eu' }", `config { apiKey: '${REDACTED}', region: 'eu' }`],
  ])('redacts %j', (input, expected) => {
    expect(patterns.redact(input)).toBe(expected);
  });

  it('leaves ordinary text, counts and prose about credentials alone', () => {
    for (const text of [
      'level debug',
      '/providers/6f1c2a7e-3b1d-4a55-9d0e-2f8a1c9b7e31/reviews',
      'prompt_tokens=12 completion_tokens=3 total_tokens=15 max_tokens=100 token_type=prompt',
      'Basic authentication is off; the bearer of bad news',
      'token: expired',
      'redis AUTH token rejected (the AUTH token, or the ACL user\'s password)',
      'PGSSLMODE=verify-full needs PGSSLROOTCERT',
      'error: relation "providers" does not exist',
    ]) {
      expect(patterns.redact(text)).toBe(text);
    }
  });

  it('is idempotent: redacting its output again changes nothing', () => {
    const text = 'postgres://u:p@ss@h Bearer abcdefghijkl password=x {"token":"y"} AKIAIOSFODNN7EXAMPLE';
    const once = r.redact(text);
    expect(r.redact(once)).toBe(once);
  });

  it('stays linear on hostile input (request paths come from clients)', () => {
    const size = 200_000;
    const hostile = [
      'a-'.repeat(size / 2) + '=',
      'eyJa-'.repeat(size / 5),
      'a://'.repeat(size / 4) + '@',
      '@' + ' a://x:'.repeat(size / 7),
      'password=' + '&a '.repeat(size / 3),
      '"a":'.repeat(size / 4),
      'Basic '.repeat(size / 6),
      `${'x'.repeat(size)}`,
    ];
    const started = performance.now();
    for (const text of hostile) patterns.redact(text);
    // Linear work on 1.6 MB is milliseconds; a quadratic scan would take minutes.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('leaves non-secret values alone', () => {
    expect(r.redact('level debug')).toBe('level debug');
  });
});

describe('isSensitiveKey', () => {
  it.each([
    'password', 'dbPassword', 'DB_PASSWORD', 'passwd', 'pwd', 'secret', 'client_secret', 'token', 'apiToken', 'access_token',
    'x-auth-token', 'x-amz-security-token', 'apiKey', 'openaiApiKey', 'x-api-key', 'API_KEY', 'authorization',
    'Proxy-Authorization', 'cookie', 'set-cookie', 'credentials', 'awsCredential', 'privateKey', 'private_key', 'jwt',
    'sessionId', 'session', 'JSESSIONID', 'basicAuth', 'auth', 'secretAccessKey', 'dsn', 'DATABASE_URL',
  ])('%s holds a credential', (name) => {
    expect(isSensitiveKey(name)).toBe(true);
  });

  it.each([
    'tokens', 'promptTokens', 'completionTokens', 'totalTokens', 'prompt_tokens', 'max_tokens', 'prompt_tokens_details',
    'token_type', 'tokenType', 'tokenCount', 'passwordLength', 'secretName', 'secretArn', 'session_count', 'tokenizer',
    'author', 'authority', 'keyspace', 'key', 'id', 'user', 'username', 'method', 'path', 'status',
  ])('%s does not', (name) => {
    expect(isSensitiveKey(name)).toBe(false);
  });
});
