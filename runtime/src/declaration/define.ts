import { CAPABILITY, IMPACT_LEVELS, type Capability, type ImpactLevel } from '../degradation/levels';
import '../kinds/builtin';
import { kindOf, registeredKinds } from '../kinds/kind';
import { FLAG } from '../flags/flags';
import { ADMIN_ENV, PORT_ENV, TRUSTED_PROXY_HOPS_ENV } from '../http/paths';
import { SHUTDOWN_ENV } from '../lifecycle/shutdown-env';
import { MAX_LATENCY_THRESHOLD_MS, METRICS } from '../metrics/catalog';
import {
  DEFAULT_ADMIN_PORT,
  DEFAULT_PORT,
  DEFAULT_VERSION,
  HEALTH_CHECK_DEFAULTS,
  OBJECTIVE_DEFAULTS,
  RATE_LIMIT_DEFAULTS,
  SLO_PAGE_BURN_RATE,
  STARTUP_DEFAULTS,
} from './defaults';
import {
  type DependencyDeclaration,
  type EnvVarDeclaration,
  type ServiceDeclaration,
  type ServiceInput,
} from './types';

/** One error for a whole declaration, listing every problem with its path. */
export class DeclarationError extends Error {
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(
      `Invalid service declaration${service ? ` "${service}"` : ''} (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'DeclarationError';
  }
}

/**
 * Marks the values defineService returns. A registered symbol, so a declaration made by another
 * copy of this package (a team's module loaded by the CLI, say) is recognised too.
 */
const DECLARATION_BRAND = Symbol.for('@bulwark/runtime.service-declaration');

/** Whether `value` was returned by `defineService` (from any copy of @bulwark/runtime). */
export function isServiceDeclaration(value: unknown): value is ServiceDeclaration {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DECLARATION_BRAND] === true;
}

/** Variables the runtime itself reads and Bulwark's deployments set: a declaration cannot claim them. */
const RESERVED_ENV: Readonly<Record<string, string>> = {
  [PORT_ENV]: 'deployments set it from the declared port',
  [ADMIN_ENV.port]: 'deployments set it from the declared admin.port',
  [ADMIN_ENV.host]: 'deployments set where the admin listener binds',
  [TRUSTED_PROXY_HOPS_ENV]: 'deployments set how many proxies stand in front of the service',
  ...Object.fromEntries(Object.values(FLAG).map((name) => [name, 'it is a feature flag: deployments set every flag explicitly'])),
  ...Object.fromEntries(Object.values(SHUTDOWN_ENV).map((name) => [name, 'it is a shutdown setting the runtime reads and deployments set'])),
};

/** The smallest objective whose error budget the fastest SLO alert can still page on. */
const MIN_OBJECTIVE = 1 - 1 / SLO_PAGE_BURN_RATE;
/** The largest objective the generated alert tests can model (four nines). */
const MAX_OBJECTIVE = 0.9999;

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
const DEPENDENCY_NAME = /^[a-z][a-z0-9_]{0,39}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const SECRET_ENV = /(KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|_URL|_DSN|_URI)$/;

type Json = unknown;

class Checker {
  readonly problems: string[] = [];

  fail(path: string, message: string): undefined {
    this.problems.push(`${path}: ${message}`);
    return undefined;
  }

  object(path: string, v: Json): Record<string, Json> | undefined {
    if (v === undefined) return undefined;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return this.fail(path, `must be an object, got ${show(v)}`);
    return v as Record<string, Json>;
  }

  known(path: string, obj: Record<string, Json> | undefined, fields: readonly string[]): void {
    if (!obj) return;
    for (const k of Object.keys(obj)) {
      if (!fields.includes(k)) this.fail(join(path, k), `unknown field; expected one of ${fields.join(', ')}`);
    }
  }

  int(path: string, v: Json, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(path, `must be a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'up' : max}, got ${show(v)}`);
      return dflt;
    }
    return v;
  }

  fraction(path: string, v: Json, dflt: number): number {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !(v > 0 && v < 1)) {
      this.fail(path, `must be a number between 0 and 1 exclusive (e.g. 0.995), got ${show(v)}`);
      return dflt;
    }
    return v;
  }

  bool(path: string, v: Json, dflt: boolean): boolean {
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') {
      this.fail(path, `must be true or false, got ${show(v)}`);
      return dflt;
    }
    return v;
  }

  oneOf<T extends string>(path: string, v: Json, allowed: readonly T[], dflt: T): T;
  oneOf<T extends string>(path: string, v: Json, allowed: readonly T[], dflt: T | undefined): T | undefined;
  oneOf<T extends string>(path: string, v: Json, allowed: readonly T[], dflt: T | undefined): T | undefined {
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(path, `${show(v)} is not one of ${allowed.join(', ')}`);
      return dflt;
    }
    return v as T;
  }
}

/** Any whole number of milliseconds below the largest HTTP latency bucket: it becomes a bucket itself. */
function latencyThreshold(c: Checker, path: string, v: Json): number {
  const dflt = OBJECTIVE_DEFAULTS.latency.thresholdMs;
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_LATENCY_THRESHOLD_MS) {
    c.fail(
      path,
      `must be a whole number of milliseconds from 1 to ${MAX_LATENCY_THRESHOLD_MS}, got ${show(v)} ` +
        `(the largest bucket of ${METRICS.httpRequestDurationSeconds.name} is ${MAX_LATENCY_THRESHOLD_MS + 1} ms: a slower objective could not be told apart)`,
    );
    return dflt;
  }
  return v;
}

/** An objective (a fraction of requests) whose error budget the generated SLO alerts can page on. */
function objective(c: Checker, path: string, v: Json, dflt: number): number {
  const value = c.fraction(path, v, dflt);
  if (v !== undefined && value === v && value > MAX_OBJECTIVE) {
    c.fail(path, `${value} is above ${MAX_OBJECTIVE}: the generated promtool tests cannot model an error budget below ${+((1 - MAX_OBJECTIVE) * 100).toFixed(2)}% of requests`);
  }
  if (v !== undefined && value === v && value < MIN_OBJECTIVE) {
    c.fail(
      path,
      `${value} leaves a budget of ${+((1 - value) * 100).toFixed(2)}% of requests; the SLO alerts page at ${SLO_PAGE_BURN_RATE}× the budget rate, ` +
        `which no budget above ${+((1 / SLO_PAGE_BURN_RATE) * 100).toFixed(2)}% can reach: use ${Math.ceil(MIN_OBJECTIVE * 10000) / 10000} or more`,
    );
  }
  return value;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function show(v: Json): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

const SERVICE_FIELDS = ['name', 'version', 'port', 'admin', 'rateLimit', 'dependencies', 'env', 'objectives', 'startup', 'routes'] as const;
const DEPENDENCY_FIELDS = ['kind', 'critical', 'impact', 'slowThresholdMs', 'slowImpact', 'env', 'connection', 'provides', 'breaker', 'healthCheck'] as const;
const BREAKER_FIELDS = ['failureThreshold', 'resetTimeoutMs', 'successThreshold', 'timeoutMs'] as const;
const CHECK_FIELDS = ['intervalMs', 'timeoutMs', 'healthyThreshold', 'unhealthyThreshold'] as const;
const ENV_FIELDS = ['required', 'secret', 'description'] as const;

function dependency(c: Checker, path: string, raw: Json): DependencyDeclaration | undefined {
  const d = c.object(path, raw);
  if (!d) return c.fail(path, 'must be an object with at least a kind');
  c.known(path, d, DEPENDENCY_FIELDS);
  const kinds = registeredKinds().map((k) => k.name);
  if (d.kind === undefined) return c.fail(join(path, 'kind'), `is required; one of ${kinds.join(', ')}`);
  const kindName = c.oneOf(join(path, 'kind'), d.kind, kinds, undefined);
  const spec = kindName === undefined ? undefined : kindOf(kindName);
  if (!spec) {
    if (kindName !== undefined) c.fail(join(path, 'kind'), `"${kindName}" is not registered`);
    return undefined;
  }
  const kind = spec.name;
  const kd = spec.defaults;

  const bp = join(path, 'breaker');
  const b = c.object(bp, d.breaker) ?? {};
  c.known(bp, b, BREAKER_FIELDS);
  const breaker = {
    failureThreshold: c.int(join(bp, 'failureThreshold'), b.failureThreshold, kd.breaker.failureThreshold, 1, 1000),
    resetTimeoutMs: c.int(join(bp, 'resetTimeoutMs'), b.resetTimeoutMs, kd.breaker.resetTimeoutMs, 100, 3_600_000),
    successThreshold: c.int(join(bp, 'successThreshold'), b.successThreshold, kd.breaker.successThreshold, 1, 100),
    timeoutMs: c.int(join(bp, 'timeoutMs'), b.timeoutMs, kd.breaker.timeoutMs, 1, 600_000),
  };

  const hp = join(path, 'healthCheck');
  const h = c.object(hp, d.healthCheck) ?? {};
  c.known(hp, h, CHECK_FIELDS);
  const healthCheck = {
    intervalMs: c.int(join(hp, 'intervalMs'), h.intervalMs, HEALTH_CHECK_DEFAULTS.intervalMs, 100, 3_600_000),
    timeoutMs: c.int(join(hp, 'timeoutMs'), h.timeoutMs, HEALTH_CHECK_DEFAULTS.timeoutMs, 1, 600_000),
    healthyThreshold: c.int(join(hp, 'healthyThreshold'), h.healthyThreshold, HEALTH_CHECK_DEFAULTS.healthyThreshold, 1, 100),
    unhealthyThreshold: c.int(join(hp, 'unhealthyThreshold'), h.unhealthyThreshold, HEALTH_CHECK_DEFAULTS.unhealthyThreshold, 1, 100),
  };
  if (healthCheck.timeoutMs > healthCheck.intervalMs) {
    c.fail(join(hp, 'timeoutMs'), `${healthCheck.timeoutMs} exceeds intervalMs ${healthCheck.intervalMs}; a check must finish before the next one starts`);
  }

  const impact = c.oneOf<ImpactLevel>(join(path, 'impact'), d.impact, IMPACT_LEVELS, kd.impact);
  const slowImpact = c.oneOf<ImpactLevel>(join(path, 'slowImpact'), d.slowImpact, IMPACT_LEVELS, kd.slowImpact);
  const slowThresholdMs = c.int(join(path, 'slowThresholdMs'), d.slowThresholdMs, slowImpact ? kd.slowThresholdMs : 0, 0, 600_000);
  if (slowThresholdMs > 0 && !slowImpact) {
    c.fail(join(path, 'slowImpact'), `is required when slowThresholdMs is set; one of ${IMPACT_LEVELS.join(', ')}`);
  }
  if (slowThresholdMs > 0 && slowThresholdMs >= healthCheck.timeoutMs) {
    c.fail(join(path, 'slowThresholdMs'), `${slowThresholdMs} must be below healthCheck.timeoutMs ${healthCheck.timeoutMs}, or a slow dependency reads as down`);
  }

  let env: string | undefined;
  if (d.env !== undefined) {
    if (typeof d.env !== 'string' || !ENV_NAME.test(d.env)) c.fail(join(path, 'env'), `${show(d.env)} is not an environment variable name (A-Z, 0-9, _)`);
    else if (RESERVED_ENV[d.env]) c.fail(join(path, 'env'), `${show(d.env)} is reserved: ${RESERVED_ENV[d.env]}; name another variable`);
    else env = d.env;
  }

  let connection: Record<string, string> | undefined;
  const split = spec.connection?.split;
  const cp = join(path, 'connection');
  if (d.connection !== undefined) {
    if (!split) c.fail(cp, `a dependency of kind ${kind} takes no split connection settings; name its variable with env`);
    else if (d.env !== undefined) c.fail(cp, 'cannot go with env: give one URL variable (env) or the split settings (connection), not both');
    else if (d.connection === 'split') connection = Object.fromEntries(Object.entries(split).map(([setting, s]) => [setting, s.variable]));
    else {
      const given = c.object(cp, d.connection);
      if (given) {
        c.known(cp, given, Object.keys(split));
        connection = {};
        for (const [setting, s] of Object.entries(split)) {
          const v = given[setting] ?? s.variable;
          if (typeof v !== 'string' || !ENV_NAME.test(v)) c.fail(join(cp, setting), `${show(v)} is not an environment variable name (A-Z, 0-9, _)`);
          else if (RESERVED_ENV[v]) c.fail(join(cp, setting), `${show(v)} is reserved: ${RESERVED_ENV[v]}; name another variable`);
          else connection[setting] = v;
        }
      }
    }
  } else if (d.env === undefined && spec.connection) {
    const orSplit = split ? `, or connection: 'split' for ${Object.values(split).map((s) => s.variable).join(', ')}` : '';
    c.fail(join(path, 'env'), `is required for a ${kind} dependency: name the environment variable holding its ${spec.connection.holds} (e.g. "${spec.connection.exampleVariable}")${orSplit}`);
  }

  let provides: readonly Capability[] = spec.provides;
  if (d.provides !== undefined) {
    if (!Array.isArray(d.provides)) c.fail(join(path, 'provides'), `must be a list of capabilities (${Object.keys(CAPABILITY).join(', ')}), got ${show(d.provides)}`);
    else {
      const given: Capability[] = [];
      d.provides.forEach((v: Json, i: number) => {
        const capability = c.oneOf<Capability>(`${join(path, 'provides')}[${i}]`, v, Object.keys(CAPABILITY) as Capability[], undefined);
        if (capability && !given.includes(capability)) given.push(capability);
      });
      provides = given;
    }
  }

  const out: DependencyDeclaration = {
    kind,
    critical: c.bool(join(path, 'critical'), d.critical, kd.critical),
    impact,
    slowThresholdMs,
    ...(slowThresholdMs > 0 && slowImpact ? { slowImpact } : {}),
    ...(env ? { env } : {}),
    ...(connection ? { connection } : {}),
    provides: [...provides],
    breaker,
    healthCheck,
  };
  return out;
}

/**
 * Validates a service declaration and fills in every default. Throws one DeclarationError
 * listing every problem with its path, e.g.
 * `dependencies.cache.kind: "redsi" is not one of postgres, redis, openai, s3, http`.
 */
export function defineService(input: ServiceInput): ServiceDeclaration {
  const c = new Checker();
  const raw = c.object('', input as Json);
  if (!raw) throw new DeclarationError('', ['declaration: must be an object']);
  c.known('', raw, SERVICE_FIELDS);

  let name = '';
  if (typeof raw.name !== 'string' || !SERVICE_NAME.test(raw.name)) {
    c.fail('name', `${show(raw.name)} must be 2-40 lowercase letters, digits or dashes, starting with a letter (it names metrics jobs, stacks and Kubernetes objects)`);
  } else name = raw.name;

  let version = DEFAULT_VERSION;
  if (raw.version !== undefined) {
    if (typeof raw.version !== 'string' || raw.version.length === 0 || raw.version.length > 64) c.fail('version', `must be a non-empty string, got ${show(raw.version)}`);
    else version = raw.version;
  }
  const port = c.int('port', raw.port, DEFAULT_PORT, 1, 65535);
  const ap = 'admin';
  const a = c.object(ap, raw.admin) ?? {};
  c.known(ap, a, ['port']);
  const admin = { port: c.int(join(ap, 'port'), a.port, DEFAULT_ADMIN_PORT, 1, 65535) };
  if (admin.port === port) c.fail(join(ap, 'port'), `${admin.port} is the application's port too; give /metrics and /health a port of their own (default ${DEFAULT_ADMIN_PORT})`);
  const rp = 'rateLimit';
  const rl = c.object(rp, raw.rateLimit) ?? {};
  c.known(rp, rl, ['requests', 'windowMs']);
  const rateLimit = {
    requests: c.int(join(rp, 'requests'), rl.requests, RATE_LIMIT_DEFAULTS.requests, 0, 1_000_000),
    windowMs: c.int(join(rp, 'windowMs'), rl.windowMs, RATE_LIMIT_DEFAULTS.windowMs, 1_000, 86_400_000),
  };

  const env: Record<string, EnvVarDeclaration> = {};
  const rawEnv = c.object('env', raw.env) ?? {};
  for (const [k, v] of Object.entries(rawEnv)) {
    const p = join('env', k);
    if (!ENV_NAME.test(k)) {
      c.fail(p, 'is not an environment variable name (A-Z, 0-9, _)');
      continue;
    }
    if (RESERVED_ENV[k]) {
      c.fail(p, `is reserved: ${RESERVED_ENV[k]}; remove it from env`);
      continue;
    }
    if (typeof v === 'boolean') {
      env[k] = { required: v, secret: SECRET_ENV.test(k) };
      continue;
    }
    const o = c.object(p, v);
    if (!o) continue;
    c.known(p, o, ENV_FIELDS);
    const decl: EnvVarDeclaration = {
      required: c.bool(join(p, 'required'), o.required, true),
      secret: c.bool(join(p, 'secret'), o.secret, SECRET_ENV.test(k)),
    };
    if (o.description !== undefined) {
      if (typeof o.description !== 'string') c.fail(join(p, 'description'), 'must be a string');
      else (decl as { description?: string }).description = o.description;
    }
    env[k] = decl;
  }

  const dependencies: Record<string, DependencyDeclaration> = {};
  const rawDeps = c.object('dependencies', raw.dependencies) ?? {};
  for (const [k, v] of Object.entries(rawDeps)) {
    const p = join('dependencies', k);
    if (!DEPENDENCY_NAME.test(k)) {
      c.fail(p, 'dependency names are lowercase letters, digits and _ starting with a letter (they become metric label values)');
      continue;
    }
    const d = dependency(c, p, v);
    if (!d) continue;
    dependencies[k] = d;
    // A dependency's connection variables are part of the environment contract even when not listed.
    if (d.env && !env[d.env]) env[d.env] = { required: d.critical, secret: true };
    const split = kindOf(d.kind)?.connection?.split;
    for (const [setting, variable] of Object.entries(d.connection ?? {})) {
      env[variable] ??= { required: d.critical && split?.[setting]?.required === true, secret: split?.[setting]?.secret === true };
    }
  }

  const op = 'objectives';
  const o = c.object(op, raw.objectives) ?? {};
  c.known(op, o, ['availability', 'latency', 'windowDays']);
  const lat = c.object(join(op, 'latency'), o.latency) ?? {};
  c.known(join(op, 'latency'), lat, ['thresholdMs', 'target']);
  const objectives = {
    availability: objective(c, join(op, 'availability'), o.availability, OBJECTIVE_DEFAULTS.availability),
    latency: {
      thresholdMs: latencyThreshold(c, join(op, 'latency.thresholdMs'), lat.thresholdMs),
      target: objective(c, join(op, 'latency.target'), lat.target, OBJECTIVE_DEFAULTS.latency.target),
    },
    windowDays: c.int(join(op, 'windowDays'), o.windowDays, OBJECTIVE_DEFAULTS.windowDays, 1, 90),
  };

  const sp = 'startup';
  const s = c.object(sp, raw.startup) ?? {};
  c.known(sp, s, ['timeoutMs', 'checkTimeoutMs', 'onCriticalFailure']);
  const startup = {
    timeoutMs: c.int(join(sp, 'timeoutMs'), s.timeoutMs, STARTUP_DEFAULTS.timeoutMs, 1, 600_000),
    checkTimeoutMs: c.int(join(sp, 'checkTimeoutMs'), s.checkTimeoutMs, STARTUP_DEFAULTS.checkTimeoutMs, 1, 600_000),
    onCriticalFailure: c.oneOf(join(sp, 'onCriticalFailure'), s.onCriticalFailure, ['exit', 'degraded'] as const, STARTUP_DEFAULTS.onCriticalFailure),
  };
  if (startup.checkTimeoutMs > startup.timeoutMs) {
    c.fail(join(sp, 'checkTimeoutMs'), `${startup.checkTimeoutMs} exceeds startup.timeoutMs ${startup.timeoutMs}`);
  }

  const routes: string[] = [];
  const routeRequires: Record<string, readonly Capability[]> = {};
  // Capabilities the service has of its own; the others come from the dependencies that provide them.
  const provided = new Set<Capability>([CAPABILITY.business, CAPABILITY.writes, ...Object.values(dependencies).flatMap((d) => d.provides)]);
  if (raw.routes !== undefined) {
    if (!Array.isArray(raw.routes)) c.fail('routes', `must be a list of route templates like "/providers/:id", got ${show(raw.routes)}`);
    else
      raw.routes.forEach((entry: Json, i: number) => {
        const p = `routes[${i}]`;
        const o = typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? (entry as Record<string, Json>) : undefined;
        if (o) c.known(p, o, ['path', 'requires']);
        const r = o ? o.path : entry;
        const rp = o ? join(p, 'path') : p;
        if (typeof r !== 'string' || !r.startsWith('/') || /\s|[?#]/.test(r)) return void c.fail(rp, `${show(r)} must be a path template starting with /, without spaces, query or fragment`);
        if (/\/:(\/|$)/.test(r)) return void c.fail(rp, `${show(r)} has a ":" segment without a parameter name; write e.g. "/orders/:id"`);
        if (routes.includes(r)) return void c.fail(rp, `${show(r)} is listed twice`);
        routes.push(r);
        if (o?.requires === undefined) return;
        if (!Array.isArray(o.requires)) return void c.fail(join(p, 'requires'), `must be a list of capabilities (${Object.keys(CAPABILITY).join(', ')}), got ${show(o.requires)}`);
        const needs: Capability[] = [];
        o.requires.forEach((v: Json, j: number) => {
          const cp = `${join(p, 'requires')}[${j}]`;
          const capability = c.oneOf<Capability>(cp, v, Object.keys(CAPABILITY) as Capability[], undefined);
          if (!capability) return;
          if (!provided.has(capability)) c.fail(cp, `"${capability}" is provided by no dependency; add provides: ['${capability}'] to the dependency that serves it`);
          else if (!needs.includes(capability)) needs.push(capability);
        });
        if (needs.length) routeRequires[r] = needs;
      });
  }

  if (c.problems.length) throw new DeclarationError(name, c.problems);
  const declaration: ServiceDeclaration = { name, version, port, admin, rateLimit, dependencies, env, objectives, startup, routes, routeRequires };
  Object.defineProperty(declaration, DECLARATION_BRAND, { value: true });
  return deepFreeze(declaration);
}
