/**
 * The per-client rate limit of the application's port: a token bucket per client address, sized
 * from the declaration's `rateLimit` (capacity `requests`, refilling evenly over `windowMs`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RateLimitSettings } from '../declaration/types';
import { FORWARDED_FOR_HEADER, TRUSTED_PROXY_HOPS_ENV } from './paths';
import { sendJson } from './respond';

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface RateLimiter {
  /** Spends one request of `client`'s allowance, if it has one left. */
  take(client: string): RateDecision;
  /** Clients tracked now (never more than `maxClients`), for tests and diagnostics. */
  readonly size: number;
}

export interface RateLimiterOptions {
  /**
   * Clients tracked at most. Beyond it the least recently seen client is forgotten (its allowance
   * starts full again), so memory stays bounded however many addresses send requests.
   * @default 10000
   */
  readonly maxClients?: number;
  /** The clock, in milliseconds; monotonic. @default performance.now */
  readonly now?: () => number;
}

export const RATE_LIMIT_MAX_CLIENTS = 10_000;

const ALLOWED: RateDecision = Object.freeze({ allowed: true });

/** Tracked clients whose allowance is checked for being full again on each request (amortised clean-up). */
const SWEEP_PER_TAKE = 2;

/**
 * A limiter for `settings`, or `undefined` when the limit is off (`requests: 0`).
 *
 * A client's bucket is kept as one number: the time at which it would be full again (the
 * "theoretical arrival time" of GCRA, a token bucket as a single timestamp). A request is allowed
 * when, after adding its share of the window, that time is at most `windowMs` ahead.
 * Time is counted in units of 1/`requests` ms, so one request costs exactly `windowMs` units and a
 * whole-millisecond clock gives exact integers: no drift at the boundaries.
 */
export function createRateLimiter(settings: RateLimitSettings, options: RateLimiterOptions = {}): RateLimiter | undefined {
  const { requests, windowMs } = settings;
  if (!Number.isInteger(requests) || requests < 0) throw new Error(`rateLimit.requests must be a whole number >= 0 (0 switches the limit off); got ${String(requests)}`);
  if (requests === 0) return undefined;
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new Error(`rateLimit.windowMs must be a number of milliseconds > 0; got ${String(windowMs)}`);
  const maxClients = options.maxClients ?? RATE_LIMIT_MAX_CLIENTS;
  if (!Number.isInteger(maxClients) || maxClients < 1) throw new Error(`maxClients must be a whole number >= 1; got ${String(maxClients)}`);
  const now = options.now ?? (() => performance.now());

  const cost = windowMs;
  const burst = windowMs * requests;
  const clients = new Map<string, Entry>();
  // Least recently seen first. A linked list, not the Map's own order: a Map that has had many
  // deletions walks past their holes each time iteration starts at its front.
  const order = new Recency();

  const sweep = (t: number): void => {
    for (let n = 0; n < SWEEP_PER_TAKE; n++) {
      const oldest = order.head;
      // A bucket full again is the same as no entry.
      if (oldest === undefined || oldest.fullAt > t) return;
      order.remove(oldest);
      clients.delete(oldest.client);
    }
  };

  return {
    take(client: string): RateDecision {
      const t = now() * requests;
      sweep(t);
      let entry = clients.get(client);
      const start = entry === undefined || entry.fullAt < t ? t : entry.fullAt;
      const debt = start + cost - t;
      if (entry !== undefined) order.remove(entry);
      if (debt > burst) {
        // Only a tracked client can be over its allowance: `entry` is set.
        order.append(entry!);
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((debt - burst) / requests / 1000)) };
      }
      if (entry === undefined) {
        if (clients.size >= maxClients) {
          const oldest = order.head!;
          order.remove(oldest);
          clients.delete(oldest.client);
        }
        entry = { client, fullAt: 0, prev: undefined, next: undefined };
        clients.set(client, entry);
      }
      entry.fullAt = start + cost;
      order.append(entry);
      return ALLOWED;
    },
    get size() {
      return clients.size;
    },
  };
}

interface Entry {
  readonly client: string;
  /** When the client's bucket is full again, in 1/`requests` ms. */
  fullAt: number;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/** A doubly linked list of entries: O(1) append, remove and oldest. */
class Recency {
  head: Entry | undefined;
  private tail: Entry | undefined;

  append(e: Entry): void {
    e.prev = this.tail;
    e.next = undefined;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
  }

  remove(e: Entry): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = undefined;
  }
}

/**
 * The client an address belongs to: an IPv4 address is one client (`::ffff:1.2.3.4` is
 * `1.2.3.4`); an IPv6 address is its /64 network, written `2001:db8:1:2::/64`, since one
 * subscriber or host gets a whole /64 and could otherwise rotate through it to escape the limit.
 * Text that is not an IPv6 address is kept as given (lower case).
 */
export function normaliseAddress(address: string): string {
  const a = address.trim();
  // IPv4, the common case, needs nothing else (and no regular expression on every request).
  if (a.indexOf(':') === -1) return a;
  const lower = a.toLowerCase();
  return ipv6Network(lower) ?? lower;
}

const HEXTET = /^[0-9a-f]{1,4}$/;
const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or undefined if it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  const zone = address.indexOf('%');
  const text = zone === -1 ? address : address.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): number[] | undefined => {
    if (!part) return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      const dotted = i === pieces.length - 1 ? DOTTED.exec(piece) : null;
      if (dotted) {
        const [o1, o2, o3, o4] = dotted.slice(1).map(Number) as [number, number, number, number];
        if ([o1, o2, o3, o4].some((o) => o > 255)) return undefined;
        out.push((o1 << 8) | o2, (o3 << 8) | o4);
      } else if (HEXTET.test(piece)) out.push(parseInt(piece, 16));
      else return undefined;
    }
    return out;
  };
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  if (head.length + tail.length > 7) return undefined;
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * An IPv6 address's client: the IPv4 address it carries (IPv4-mapped `::ffff:0:0/96`, or NAT64's
 * `64:ff9b::/96`, where every IPv4 client would otherwise share one /64), else its /64 network.
 */
function ipv6Network(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const mapped = g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0;
  if (mapped || nat64) return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  return `${g.slice(0, 4).map((n) => n.toString(16)).join(':')}::/64`;
}

/** The key of requests whose connection has no address any more (the socket already closed). */
export const UNKNOWN_CLIENT = 'unknown';

/**
 * The address a request is limited by. With `trustedHops` = N > 0 proxies in front, each appending
 * the address it saw to X-Forwarded-For, the N-th entry from the right is what the outermost
 * trusted proxy saw (entries further left are the client's to write, so never trusted); a header
 * with fewer entries gives its leftmost one. With N = 0 or no header: the connection's address.
 */
export function clientAddress(remoteAddress: string | undefined, xForwardedFor: string | readonly string[] | undefined, trustedHops: number): string {
  if (trustedHops > 0 && xForwardedFor !== undefined) {
    const header = typeof xForwardedFor === 'string' ? xForwardedFor : xForwardedFor.join(',');
    // One proxy and one entry, the usual case behind a load balancer: no split.
    if (trustedHops === 1 && header.indexOf(',') === -1) {
      if (header.trim() !== '') return normaliseAddress(header);
    } else {
      const entries = header.split(',').filter((e) => e.trim() !== '');
      if (entries.length > 0) return normaliseAddress(entries[Math.max(0, entries.length - trustedHops)]!);
    }
  }
  return remoteAddress ? normaliseAddress(remoteAddress) : UNKNOWN_CLIENT;
}

/** Proxies in front of a service at most: more is a typo, not a deployment. */
export const MAX_TRUSTED_PROXY_HOPS = 10;

/** Reads TRUSTED_PROXY_HOPS: unset or blank means 0; anything but a whole number from 0 to 10 throws naming the variable. */
export function trustedHopsFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env[TRUSTED_PROXY_HOPS_ENV];
  if (raw === undefined || raw.trim() === '') return 0;
  const hops = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || hops > MAX_TRUSTED_PROXY_HOPS) {
    throw new Error(
      `${TRUSTED_PROXY_HOPS_ENV}=${JSON.stringify(raw.slice(0, 20))} is not valid; use a whole number from 0 to ${MAX_TRUSTED_PROXY_HOPS}: ` +
        `how many proxies in front of the service append to X-Forwarded-For (a load balancer or an ingress controller: 1; unset means 0, the connection's address)`,
    );
  }
  return hops;
}

export const RATE_LIMITED_STATUS = 429;

/** The `error` of a limited request's body. */
export const RATE_LIMITED_ERROR = 'rate_limited';

/**
 * The 429 answer for a limited request, for frameworks that send bodies themselves (e.g. Fastify's
 * reply): send `retryAfter` as the `retry-after` header.
 */
export function rateLimitedBody(retryAfterSeconds: number): {
  status: typeof RATE_LIMITED_STATUS;
  retryAfter: number;
  body: { error: typeof RATE_LIMITED_ERROR; retry_after_seconds: number };
} {
  if (!Number.isFinite(retryAfterSeconds) || retryAfterSeconds < 0) {
    throw new Error(`rateLimitedBody: retryAfterSeconds must be a number of seconds >= 0 (got ${String(retryAfterSeconds)})`);
  }
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return { status: RATE_LIMITED_STATUS, retryAfter, body: { error: RATE_LIMITED_ERROR, retry_after_seconds: retryAfter } };
}

/** Answers a limited request on node:http: 429, `Retry-After` and {error: 'rate_limited', retry_after_seconds}. */
export function sendRateLimited(res: ServerResponse, retryAfterSeconds: number): void {
  const { status, retryAfter, body } = rateLimitedBody(retryAfterSeconds);
  sendJson(res, status, body, { 'retry-after': retryAfter });
}

/** A limiter and how its clients are told apart: what the runtime's HTTP integrations apply. */
export interface ClientRateLimit {
  readonly limiter: RateLimiter;
  /** Proxies in front that append to X-Forwarded-For (TRUSTED_PROXY_HOPS). */
  readonly trustedHops: number;
}

/** Spends one request of the allowance of the client that sent `req` (node's request; Fastify's `request.raw`). */
export function takeForRequest(limit: ClientRateLimit, req: IncomingMessage): RateDecision {
  return limit.limiter.take(clientAddress(req.socket.remoteAddress, req.headers[FORWARDED_FOR_HEADER], limit.trustedHops));
}
