import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { API_KEY_ENV, API_KEY_HEADER } from '../lib/services/providers';

export { API_KEY_ENV, API_KEY_HEADER };

/** A shorter configured key is treated as no key (writes refused): the example stack generates 64 characters. */
export const MIN_API_KEY_LENGTH = 32;

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * The writers' API key, from API_KEY_ENV. Keys are compared as SHA-256 digests with
 * `timingSafeEqual`: equal lengths whatever was sent, and no early exit on the first wrong byte.
 */
export class ApiKey {
  private readonly expected?: Buffer;
  /** Why writes are refused whatever is sent; undefined when a usable key is configured. */
  readonly problem?: string;

  constructor(value: string | undefined) {
    const key = value?.trim() ?? '';
    if (!key) this.problem = `${API_KEY_ENV} is not set`;
    else if (key.length < MIN_API_KEY_LENGTH) this.problem = `${API_KEY_ENV} is shorter than ${MIN_API_KEY_LENGTH} characters`;
    else this.expected = digest(key);
  }

  static fromEnv(env: NodeJS.ProcessEnv): ApiKey {
    return new ApiKey(env[API_KEY_ENV]);
  }

  matches(presented: string | undefined): boolean {
    if (!this.expected || presented === undefined) return false;
    return timingSafeEqual(digest(presented), this.expected);
  }
}

/**
 * A Fastify `onRequest` hook answering 401 unless the request carries the key in API_KEY_HEADER.
 * It runs before the body is read or validated, so an anonymous client learns nothing about the
 * route but that it needs the key; the answer never repeats what was sent.
 */
export function requireApiKey(key: ApiKey): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  return (request, reply, done) => {
    const sent = request.headers[API_KEY_HEADER];
    // A repeated header arrives joined or as an array: never a match.
    if (typeof sent === 'string' && key.matches(sent)) return done();
    reply
      .code(401)
      .header('www-authenticate', `ApiKey header="${API_KEY_HEADER}"`)
      .send({
        error: sent === undefined ? 'missing_api_key' : 'invalid_api_key',
        message: `this route needs the service's API key in the ${API_KEY_HEADER} header`,
      });
  };
}
