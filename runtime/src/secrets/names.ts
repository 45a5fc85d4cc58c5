/**
 * Which names hold credentials: log fields at any depth (headers, error properties, nested
 * objects) and the names of `name=value` and `"name": value` pairs inside strings. A name is
 * compared lower-cased with `-`, `_`, `.` and spaces dropped, so `apiKey`, `API_KEY`, `x-api-key`
 * and `Api Key` are the same name.
 */

// Anywhere in a name: dbPassword, openaiApiKey, apiToken, x-amz-security-token, awsCredentials, set-cookie, JSESSIONID.
const SENSITIVE_PARTS = [
  'password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'credential', 'privatekey', 'accesskey',
  'authorization', 'cookie', 'sessionid', 'sessid',
];
// Only as the whole name: too short or too common to look for inside other names.
const SENSITIVE_NAMES = new Set([
  'pwd', 'pass', 'pw', 'jwt', 'session', 'sessionkey', 'sid', 'privkey', 'dsn', 'connectionstring', 'connstr',
  'databaseurl', 'redisurl',
]);
// At the end of a name: auth, basicAuth, proxy_auth, x-auth (but not author, authority).
const SENSITIVE_ENDING = 'auth';

// Words that contain a sensitive part without being a credential: `tokens` is how LLM APIs name
// counts (prompt_tokens, max_tokens, prompt_tokens_details); a tokenizer is an algorithm.
const NOT_CREDENTIAL_WORDS = /tokens|tokeniz/g;
// Endings that describe a credential without holding it: token_type, passwordLength,
// tokenCount, secretTtl, session_expires_at, secretArn, tokenUrl, passwordPolicy.
const METADATA_ENDINGS = [
  'type', 'types', 'count', 'length', 'limit', 'ttl', 'expiry', 'expires', 'expiresat', 'expiresin', 'expiration',
  'policy', 'usage', 'url', 'uri', 'endpoint', 'name', 'arn', 'file', 'path', 'env', 'variable',
];

const SEPARATORS = /[-_. ]/g;

function classify(name: string): boolean {
  const normalized = name.toLowerCase().replace(SEPARATORS, '');
  if (SENSITIVE_NAMES.has(normalized)) return true;
  const words = normalized.replace(NOT_CREDENTIAL_WORDS, ' ');
  for (const ending of METADATA_ENDINGS) if (words.endsWith(ending)) return false;
  if (words.endsWith(SENSITIVE_ENDING)) return true;
  for (const part of SENSITIVE_PARTS) if (words.includes(part)) return true;
  return false;
}

// Field names repeat on every line: most lookups hit. Pair names taken from request paths do not
// repeat, so the cache is emptied when full rather than grown, and long names are not kept.
const CACHE_LIMIT = 2048;
const CACHEABLE_LENGTH = 64;
const cache = new Map<string, boolean>();

/** Whether a field or parameter of this name holds a credential (its value is never logged). */
export function isSensitiveKey(name: string): boolean {
  if (name.length > CACHEABLE_LENGTH) return classify(name);
  let hit = cache.get(name);
  if (hit === undefined) {
    hit = classify(name);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(name, hit);
  }
  return hit;
}
