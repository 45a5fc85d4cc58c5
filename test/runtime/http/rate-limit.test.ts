import { request } from 'node:http';
import {
  clientAddress,
  createRateLimiter,
  RATE_LIMIT_MAX_CLIENTS,
  rateLimitedBody,
  sendRateLimited,
  takeForRequest,
  trustedHopsFromEnv,
  UNKNOWN_CLIENT,
  type RateDecision,
  type RateLimiter,
} from '../../../runtime/src/http/rate-limit';
import { TRUSTED_PROXY_HOPS_ENV } from '../../../runtime/src/internal';
import { listen } from './helpers';

/** A clock the test moves by hand, in milliseconds. */
function manualClock(start = 0) {
  let t = start;
  return { now: () => t, set: (ms: number) => void (t = ms), advance: (ms: number) => void (t += ms) };
}

function limiter(requests: number, windowMs: number, clock = manualClock(), maxClients?: number): RateLimiter {
  const l = createRateLimiter({ requests, windowMs }, { now: clock.now, maxClients });
  if (!l) throw new Error('expected a limiter');
  return l;
}

/** How many of `n` requests from `client` are allowed right now. */
function allowedOf(l: RateLimiter, client: string, n: number): number {
  let allowed = 0;
  for (let i = 0; i < n; i++) if (l.take(client).allowed) allowed++;
  return allowed;
}

const refused = (retryAfterSeconds: number): RateDecision => ({ allowed: false, retryAfterSeconds });

describe('createRateLimiter: a token bucket per client', () => {
  it('is off (undefined) with requests: 0', () => {
    expect(createRateLimiter({ requests: 0, windowMs: 60_000 })).toBeUndefined();
  });

  it('allows a burst of `requests`, then refuses until the allowance refills', () => {
    const clock = manualClock();
    const l = limiter(10, 1_000, clock);
    expect(allowedOf(l, 'a', 10)).toBe(10);
    expect(l.take('a')).toEqual(refused(1));
  });

  it('refills evenly over the window: one request every windowMs / requests, exactly at the boundary', () => {
    const clock = manualClock();
    const l = limiter(10, 1_000, clock);
    allowedOf(l, 'a', 10);
    clock.set(99);
    expect(l.take('a').allowed).toBe(false);
    clock.set(100);
    expect(l.take('a').allowed).toBe(true);
    expect(l.take('a').allowed).toBe(false);
    clock.set(600);
    expect(allowedOf(l, 'a', 10)).toBe(5);
  });

  it('keeps its arithmetic exact when the window does not divide by the requests', () => {
    // 3 per second: one every 333.3 ms.
    const clock = manualClock();
    const l = limiter(3, 1_000, clock);
    expect(allowedOf(l, 'a', 4)).toBe(3);
    clock.set(333);
    expect(l.take('a').allowed).toBe(false);
    clock.set(334);
    expect(l.take('a').allowed).toBe(true);
    clock.set(1_000);
    // 2 refilled since 334 ms (at 666.7 and 1000): exactly 2, not 3 from float drift.
    expect(allowedOf(l, 'a', 3)).toBe(2);
  });

  it('never holds more than `requests`, however long the client was idle', () => {
    const clock = manualClock();
    const l = limiter(5, 1_000, clock);
    allowedOf(l, 'a', 5);
    clock.advance(3_600_000);
    expect(allowedOf(l, 'a', 20)).toBe(5);
  });

  it('answers Retry-After in whole seconds (at least 1) until one request is allowed again', () => {
    const clock = manualClock();
    const l = limiter(1, 60_000, clock);
    expect(l.take('a').allowed).toBe(true);
    expect(l.take('a')).toEqual(refused(60));
    clock.set(30_000);
    expect(l.take('a')).toEqual(refused(30));
    clock.set(30_001);
    expect(l.take('a')).toEqual(refused(30));
    clock.set(59_999);
    expect(l.take('a')).toEqual(refused(1));
    clock.set(60_000);
    expect(l.take('a').allowed).toBe(true);
  });

  it('does not charge refused requests: hammering while limited does not push the retry further', () => {
    const clock = manualClock();
    const l = limiter(2, 1_000, clock);
    allowedOf(l, 'a', 2);
    for (let t = 0; t < 500; t += 10) {
      clock.set(t);
      expect(allowedOf(l, 'a', 5)).toBe(0);
    }
    clock.set(500);
    expect(allowedOf(l, 'a', 5)).toBe(1);
  });

  it('keeps clients apart', () => {
    const clock = manualClock();
    const l = limiter(2, 1_000, clock);
    expect(allowedOf(l, '192.0.2.1', 5)).toBe(2);
    expect(allowedOf(l, '192.0.2.2', 5)).toBe(2);
    expect(allowedOf(l, '2001:db8::1', 5)).toBe(2);
  });

  it('works on its default monotonic clock', () => {
    const l = createRateLimiter({ requests: 2, windowMs: 60_000 });
    expect(l && allowedOf(l, 'a', 3)).toBe(2);
    const decision = l?.take('a');
    expect(decision?.allowed).toBe(false);
    expect(decision && !decision.allowed && decision.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(decision && !decision.allowed && decision.retryAfterSeconds).toBeLessThanOrEqual(30);
  });

  it('starts no timer or other handle that would keep the process alive', () => {
    const before = process.getActiveResourcesInfo().length;
    const l = limiter(1, 1_000);
    for (let i = 0; i < 1_000; i++) l.take(`c${i}`);
    expect(process.getActiveResourcesInfo().length).toBe(before);
  });

  it('refuses settings it cannot honour, naming the field', () => {
    expect(() => createRateLimiter({ requests: -1, windowMs: 1_000 })).toThrow(/rateLimit\.requests must be a whole number >= 0/);
    expect(() => createRateLimiter({ requests: 1.5, windowMs: 1_000 })).toThrow(/rateLimit\.requests/);
    expect(() => createRateLimiter({ requests: 1, windowMs: 0 })).toThrow(/rateLimit\.windowMs must be a number of milliseconds > 0/);
    expect(() => createRateLimiter({ requests: 1, windowMs: 1_000 }, { maxClients: 0 })).toThrow(/maxClients must be a whole number >= 1/);
  });
});

describe('createRateLimiter: bounded memory', () => {
  it('tracks at most 10 000 clients by default, however many distinct addresses send requests', () => {
    const clock = manualClock();
    const l = limiter(1, 60_000, clock);
    expect(RATE_LIMIT_MAX_CLIENTS).toBe(10_000);
    let max = 0;
    let allowed = 0;
    for (let i = 0; i < 100_000; i++) {
      if (l.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`).allowed) allowed++;
      max = Math.max(max, l.size);
    }
    expect(allowed).toBe(100_000);
    expect(max).toBe(RATE_LIMIT_MAX_CLIENTS);
    expect(l.size).toBe(RATE_LIMIT_MAX_CLIENTS);
  });

  it('forgets the least recently seen client first; one seen again stays limited', () => {
    const clock = manualClock();
    const l = limiter(1, 60_000, clock, 100);
    l.take('first');
    l.take('busy');
    for (let i = 0; i < 99; i++) {
      // The busy client keeps coming back (and keeps being refused) while others arrive.
      expect(l.take('busy').allowed).toBe(false);
      l.take(`other-${i}`);
    }
    expect(l.size).toBe(100);
    expect(l.take('busy').allowed).toBe(false);
    // `first` was seen least recently: forgotten, so its allowance is full again.
    expect(l.take('first').allowed).toBe(true);
  });

  it('drops clients whose allowance is full again as new requests arrive (a full bucket is no entry)', () => {
    const clock = manualClock();
    const l = limiter(1, 60_000, clock);
    for (let i = 0; i < 10_000; i++) l.take(`old-${i}`);
    expect(l.size).toBe(10_000);
    clock.advance(60_000);
    for (let i = 0; i < 5_000; i++) l.take(`new-${i}`);
    expect(l.size).toBe(5_000);
  });
});

describe('clientAddress', () => {
  const remote = '203.0.113.9';

  it('with no trusted proxies, is the connection address: X-Forwarded-For is the client’s to forge', () => {
    expect(clientAddress(remote, '198.51.100.1', 0)).toBe(remote);
    expect(clientAddress(remote, undefined, 0)).toBe(remote);
  });

  it('with 1 trusted proxy, is the rightmost X-Forwarded-For entry (what the proxy saw)', () => {
    expect(clientAddress('10.0.0.2', '198.51.100.1', 1)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.2', 'forged-by-client, 198.51.100.1', 1)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.2', ' 1.1.1.1 ,  198.51.100.1 ', 1)).toBe('198.51.100.1');
  });

  it('with 2 trusted proxies, is the second entry from the right (what the outermost saw)', () => {
    expect(clientAddress('10.0.0.2', 'forged, 198.51.100.1, 10.0.0.7', 2)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.2', '198.51.100.1, 10.0.0.7', 2)).toBe('198.51.100.1');
  });

  it('with fewer entries than trusted proxies, is the leftmost entry', () => {
    expect(clientAddress('10.0.0.2', '198.51.100.1', 2)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.2', '198.51.100.1, 10.0.0.7', 5)).toBe('198.51.100.1');
  });

  it('reads repeated X-Forwarded-For headers in order, as one list', () => {
    expect(clientAddress('10.0.0.2', ['forged, 198.51.100.1', '10.0.0.7'], 1)).toBe('10.0.0.7');
    expect(clientAddress('10.0.0.2', ['forged, 198.51.100.1', '10.0.0.7'], 2)).toBe('198.51.100.1');
  });

  it('falls back to the connection address without a header, or with an empty one', () => {
    expect(clientAddress(remote, undefined, 1)).toBe(remote);
    expect(clientAddress(remote, '', 1)).toBe(remote);
    expect(clientAddress(remote, ' , ', 2)).toBe(remote);
    expect(clientAddress(remote, [], 1)).toBe(remote);
  });

  it('takes the IPv4 address an IPv6 one carries (mapped or NAT64), however it is written', () => {
    expect(clientAddress('::ffff:192.0.2.1', undefined, 0)).toBe('192.0.2.1');
    expect(clientAddress('10.0.0.2', '::FFFF:192.0.2.1', 1)).toBe('192.0.2.1');
    expect(clientAddress('::ffff:10.0.0.2', 'x, ::ffff:198.51.100.1, ::ffff:10.0.0.7', 2)).toBe('198.51.100.1');
    expect(clientAddress('::ffff:c000:201', undefined, 0)).toBe('192.0.2.1');
    // NAT64: every IPv4 client behind it would otherwise share the 64:ff9b::/64 network.
    expect(clientAddress('64:ff9b::198.51.100.1', undefined, 0)).toBe('198.51.100.1');
    expect(clientAddress('64:ff9b::c633:6402', undefined, 0)).toBe('198.51.100.2');
  });

  it('makes an IPv6 client its /64 network, so rotating through one allocation does not escape the limit', () => {
    for (const written of ['2001:DB8:0:1::1', '2001:db8:0:1:ffff:ffff:ffff:ffff', '2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd', '2001:db8:0:1::1%eth0']) {
      expect(clientAddress(written, undefined, 0)).toBe('2001:db8:0:1::/64');
    }
    expect(clientAddress('2001:db8:0:2::1', undefined, 0)).toBe('2001:db8:0:2::/64');
    expect(clientAddress('::1', undefined, 0)).toBe('0:0:0:0::/64');
    // Not an address: kept as given (lower case), one client.
    for (const odd of ['1::2::3', 'zz::1', '1:2:3:4:5:6:7:8:9', '::999.1.1.1']) expect(clientAddress(odd, undefined, 0)).toBe(odd);
    const limiter = createRateLimiter({ requests: 3, windowMs: 60_000 }, { now: () => 0 })!;
    const take = (address: string) => limiter.take(clientAddress(address, undefined, 0)).allowed;
    expect(['2001:db8:0:1::1', '2001:db8:0:1::2', '2001:db8:0:1::3', '2001:db8:0:1::4'].map(take)).toEqual([true, true, true, false]);
    expect(take('2001:db8:0:2::1')).toBe(true);
  });

  it('gives requests whose connection has no address one shared key', () => {
    expect(clientAddress(undefined, undefined, 0)).toBe(UNKNOWN_CLIENT);
  });
});

describe('trustedHopsFromEnv', () => {
  it('is 0 when unset or blank', () => {
    expect(trustedHopsFromEnv({})).toBe(0);
    expect(trustedHopsFromEnv({ [TRUSTED_PROXY_HOPS_ENV]: '' })).toBe(0);
    expect(trustedHopsFromEnv({ [TRUSTED_PROXY_HOPS_ENV]: '  ' })).toBe(0);
  });

  it('reads a whole number from 0 to 10', () => {
    expect(trustedHopsFromEnv({ [TRUSTED_PROXY_HOPS_ENV]: '0' })).toBe(0);
    expect(trustedHopsFromEnv({ [TRUSTED_PROXY_HOPS_ENV]: '1' })).toBe(1);
    expect(trustedHopsFromEnv({ [TRUSTED_PROXY_HOPS_ENV]: ' 2 ' })).toBe(2);
    expect(trustedHopsFromEnv({ [TRUSTED_PROXY_HOPS_ENV]: '10' })).toBe(10);
  });

  it.each(['11', '-1', '1.5', 'one', '0x1', '1e1', 'true', '+1'])('refuses %j naming the variable and the accepted values', (value) => {
    expect(() => trustedHopsFromEnv({ [TRUSTED_PROXY_HOPS_ENV]: value })).toThrow(
      new RegExp(`^TRUSTED_PROXY_HOPS=${JSON.stringify(value).replace(/[.+]/g, '\\$&')} is not valid; use a whole number from 0 to 10: `),
    );
  });

  it('quotes at most 20 characters of a bad value', () => {
    expect(() => trustedHopsFromEnv({ [TRUSTED_PROXY_HOPS_ENV]: 'x'.repeat(500) })).toThrow(`TRUSTED_PROXY_HOPS="${'x'.repeat(20)}" is not valid`);
  });
});

describe('the 429 answer', () => {
  it('rounds Retry-After up to whole seconds, at least 1', () => {
    expect(rateLimitedBody(0)).toEqual({ status: 429, retryAfter: 1, body: { error: 'rate_limited', retry_after_seconds: 1 } });
    expect(rateLimitedBody(59.1)).toEqual({ status: 429, retryAfter: 60, body: { error: 'rate_limited', retry_after_seconds: 60 } });
    expect(() => rateLimitedBody(Number.NaN)).toThrow(/retryAfterSeconds must be a number of seconds >= 0/);
  });

  it('is sent on node:http with status 429, Retry-After and the JSON body', async () => {
    const clock = manualClock();
    const l = limiter(1, 60_000, clock);
    const server = await listen((req, res) => {
      const decision = takeForRequest({ limiter: l, trustedHops: 0 }, req);
      if (!decision.allowed) return sendRateLimited(res, decision.retryAfterSeconds);
      res.end('ok');
    });
    try {
      const get = () =>
        new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
          request(server.url, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
          })
            .on('error', reject)
            .end();
        });
      expect(await get()).toEqual({ status: 200, retryAfter: undefined, body: 'ok' });
      clock.set(15_000);
      const limited = await get();
      expect(limited).toEqual({ status: 429, retryAfter: '45', body: JSON.stringify({ error: 'rate_limited', retry_after_seconds: 45 }) });
    } finally {
      await server.close();
    }
  });
});
