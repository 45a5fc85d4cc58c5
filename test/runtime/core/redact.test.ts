import { defineService } from '@bulwark/runtime';
import { REDACTED, SecretRedactor } from '../../../runtime/src/internal';

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

  it('removes declared secret values, their URL passwords (raw and decoded)', () => {
    const out = r.redact(`connect ${env.DATABASE_URL} failed; pw s3cr@t-pw; key=${env.OPENAI_API_KEY}`);
    expect(out).not.toContain('s3cr');
    expect(out).not.toContain('abcdefghijklmnop');
    expect(out).toContain(REDACTED);
  });

  it('removes URL credentials and API-key shaped tokens it was not told about', () => {
    const out = new SecretRedactor().redact('redis://:hunter22@cache:6379 Authorization: Bearer abcdefghijkl sk-proj-0123456789abc');
    expect(out).toBe(`redis://:${REDACTED}@cache:6379 Authorization: Bearer ${REDACTED} ${REDACTED}`);
  });

  it('shows the password placeholder of a connection-string hint as written, and still redacts real ones', () => {
    const hint = 'expected the form postgres://USER:PASSWORD@HOST:5432/DB';
    expect(new SecretRedactor().redact(hint)).toBe(hint);
    expect(new SecretRedactor().redact('postgres://USER:PASSWORD1@HOST:5432/DB')).toBe(`postgres://USER:${REDACTED}@HOST:5432/DB`);
  });

  it('leaves non-secret values alone', () => {
    expect(r.redact('level debug')).toBe('level debug');
  });
});
