import { acceptCorrelationId, currentContext, enterContext, newRequestId, runWithContext } from '@bulwark/runtime';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('acceptCorrelationId', () => {
  it('keeps a sane incoming id', () => {
    expect(acceptCorrelationId('abc-123_X.y:z')).toBe('abc-123_X.y:z');
    expect(acceptCorrelationId(['only-one'])).toBe('only-one');
  });

  it('replaces a missing, injected, huge or repeated id with a new UUID', () => {
    for (const bad of [undefined, '', 'abc\n{"level":"fatal"}', 'a'.repeat(10 * 1024), 'has space', 'quote"d', ['a', 'b']]) {
      const id = acceptCorrelationId(bad);
      expect(id).toMatch(UUID);
    }
    expect(acceptCorrelationId(undefined)).not.toBe(acceptCorrelationId(undefined));
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
