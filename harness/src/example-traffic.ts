/**
 * The providers service's traffic for the load generator: reads by id, searches, AI summaries,
 * creates and updates (with the service's API key), picked at random by weight. The weights can be
 * changed while the load runs.
 */
import { API_KEY_HEADER } from '../../service/auth';
import type { LoadRequest } from './load';

export interface TrafficMix {
  read: number;
  search: number;
  summary: number;
  create: number;
  update: number;
}

export const ROUTE = {
  read: '/providers/:id',
  search: '/providers',
  summary: '/providers/:id/summary',
  create: 'POST /providers',
  update: 'PUT /providers/:id',
} as const;

export const WRITE_ROUTES: readonly string[] = [ROUTE.create, ROUTE.update];
export const READ_ROUTES: readonly string[] = [ROUTE.read, ROUTE.search];

const CITIES = ['Rosario', 'Córdoba', 'Mendoza', 'Salta', null];

/** The header a write carries its API key in (the ProcessStack's `apiKey`). */
export function apiKeyHeaders(apiKey: string): Record<string, string> {
  return { [API_KEY_HEADER]: apiKey };
}
const WORDS = ['acme', 'freight', 'logistics', 'supply', 'delta'];

export class ProvidersTraffic {
  private seq = 0;
  private readonly writeHeaders: Record<string, string>;

  constructor(
    /** Ids of providers known to exist (reads, summaries and updates pick from these). */
    private readonly ids: readonly number[],
    /** The service's API key, which creates and updates send. */
    apiKey: string,
    public mix: TrafficMix = { read: 35, search: 10, summary: 25, create: 15, update: 15 },
    private readonly random: () => number = Math.random,
  ) {
    if (ids.length === 0) throw new Error('ProvidersTraffic needs at least one existing provider id');
    this.writeHeaders = apiKeyHeaders(apiKey);
  }

  /** One of the known provider ids, at random. */
  someId(): number {
    return this.ids[Math.floor(this.random() * this.ids.length)];
  }

  /** The next request, drawn by weight from the mix. */
  readonly next = (): LoadRequest => {
    const n = ++this.seq;
    const id = this.someId();
    const entries = Object.entries(this.mix) as [keyof TrafficMix, number][];
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let pick = this.random() * total;
    let kind: keyof TrafficMix = 'read';
    for (const [k, w] of entries) {
      if (pick < w) {
        kind = k;
        break;
      }
      pick -= w;
    }
    switch (kind) {
      case 'search':
        return { method: 'GET', path: `/providers?q=${WORDS[n % WORDS.length]}&limit=5`, route: ROUTE.search };
      case 'summary':
        return { method: 'GET', path: `/providers/${id}/summary`, route: ROUTE.summary };
      case 'create':
        return {
          method: 'POST',
          path: '/providers',
          route: ROUTE.create,
          body: { name: `load ${WORDS[n % WORDS.length]} ${n}`, category: 'logistics', city: CITIES[n % CITIES.length] },
          headers: this.writeHeaders,
          keepBody: true,
        };
      case 'update':
        return { method: 'PUT', path: `/providers/${id}`, route: ROUTE.update, body: { description: `update ${n}` }, headers: this.writeHeaders, keepBody: true };
      case 'read':
        return { method: 'GET', path: `/providers/${id}`, route: ROUTE.read };
    }
  };
}

/** Creates `count` providers through the service (with its API key) and returns their ids. */
export async function seedProviders(baseUrl: string, count: number, apiKey: string): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${baseUrl}/providers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...apiKeyHeaders(apiKey) },
      body: JSON.stringify({ name: `seed ${WORDS[i % WORDS.length]} ${i}`, category: 'logistics', city: CITIES[i % CITIES.length] }),
    });
    if (res.status !== 201) throw new Error(`seeding provider ${i}: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: number }).id);
  }
  return ids;
}
