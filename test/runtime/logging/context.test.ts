import { currentContext } from '@bulwark/runtime';
import { acceptCorrelationId, enterContext, newRequestContext, newRequestId, runWithContext } from '../../../runtime/src/internal';

/** A generated id: 64-bit random per-process prefix (hex), '-', a per-process counter (base 36). */
const GENERATED_ID = /^[0-9a-f]{16}-[0-9a-z]+$/;

describe('acceptCorrelationId', () => {
  it('keeps a sane incoming id', () => {
    expect(acceptCorrelationId('abc-123_X.y:z')).toBe('abc-123_X.y:z');
    expect(acceptCorrelationId(['only-one'])).toBe('only-one');
  });

  it('replaces a missing, injected, huge or repeated id with a new generated id', () => {
    for (const bad of [undefined, '', 'abc\n{"level":"fatal"}', 'a'.repeat(10 * 1024), 'has space', 'quote"d', ['a', 'b']]) {
      const id = acceptCorrelationId(bad);
      expect(id).toMatch(GENERATED_ID);
    }
    expect(acceptCorrelationId(undefined)).not.toBe(acceptCorrelationId(undefined));
  });
});

describe('newRequestId / newRequestContext', () => {
  it('generates ids that are unique, share one random prefix, and are themselves sane correlation ids', () => {
    const ids = Array.from({ length: 10_000 }, () => newRequestId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(GENERATED_ID);
    expect(new Set(ids.map((id) => id.slice(0, 16))).size).toBe(1);
    expect(acceptCorrelationId(ids[0])).toBe(ids[0]);
  });

  it('keeps a sane incoming correlation id; without one, the request id is the correlation id', () => {
    const upstream = newRequestContext('upstream-abc.123');
    expect(upstream.correlationId).toBe('upstream-abc.123');
    expect(upstream.requestId).toMatch(GENERATED_ID);

    for (const bad of [undefined, 'quote"d', ['a', 'b']]) {
      const ctx = newRequestContext(bad);
      expect(ctx.requestId).toMatch(GENERATED_ID);
      expect(ctx.correlationId).toBe(ctx.requestId);
    }
    expect(newRequestContext(undefined).requestId).not.toBe(newRequestContext(undefined).requestId);
  });
});

describe('request context', () => {
  it('is visible inside runWithContext, across awaits, and gone outside', async () => {
    expect(currentContext()).toBeUndefined();
    const ctx = { correlationId: 'corr-1', requestId: newRequestId() };
    const seen = await runWithContext(ctx, async (suffix: string) => {
      await new Promise((r) => setTimeout(r, 5));
      return `${currentContext()?.correlationId}${suffix}`;
    }, '!');
    expect(seen).toBe('corr-1!');
    expect(currentContext()).toBeUndefined();
  });

  it('keeps concurrent contexts apart', async () => {
    const ids = await Promise.all(
      ['a', 'b', 'c'].map((id, i) =>
        runWithContext({ correlationId: id, requestId: id }, async () => {
          await new Promise((r) => setTimeout(r, 10 - i * 3));
          return currentContext()?.correlationId;
        }),
      ),
    );
    expect(ids).toEqual(['a', 'b', 'c']);
  });

  it('enterContext sets the context for what follows in the same async scope', async () => {
    const seen = await runWithContext({ correlationId: 'outer', requestId: 'r' }, async () => {
      await Promise.resolve();
      enterContext({ correlationId: 'entered', requestId: 'r2' });
      await new Promise((r) => setTimeout(r, 1));
      return currentContext()?.correlationId;
    });
    expect(seen).toBe('entered');
  });
});
