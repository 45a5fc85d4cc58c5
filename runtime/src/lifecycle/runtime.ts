import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { DestinationStream, Logger } from 'pino';
import { createCallAdapter, type CallAdapter } from '../adapters/call';
import type { DependencyAdapter } from '../adapters/common';
import type { OpenAIAdapter } from '../adapters/openai';
import type { PostgresAdapter, PostgresAdapterOptions } from '../adapters/postgres';
import type { RedisAdapter } from '../adapters/redis';
import { BreakerRegistry } from '../breakers/registry';
import type { DependencyDeclaration, DependencyKind, ServiceDeclaration } from '../declaration/types';
import { LEVEL, type Capability } from '../degradation/levels';
import { DegradationManager, type GuardResult } from '../degradation/manager';
import { FLAG, parseFlags, type FlagKey, type Flags } from '../flags/flags';
import { adminFromEnv, AdminServer, type AdminAddress, type AdminListenOptions } from '../http/admin';
import { requireCapability, type BulwarkFastifyOptions } from '../http/fastify';
import { createRateLimiter, sendRateLimited, takeForRequest, trustedHopsFromEnv, type ClientRateLimit } from '../http/rate-limit';
import { readinessResponse, type HealthSource } from '../http/health';
import { HEALTH_PATH } from '../http/paths';
import { instrumentHandler, type NodeHandler } from '../http/instrument';
import { createRouteMatcher } from '../http/routes';
import { refuse, sendJson } from '../http/respond';
import { flushLogs } from '../logging/destination';
import { createLogger } from '../logging/logger';
import { LABEL } from '../metrics/catalog';
import { kindMetrics, kindOf } from '../kinds/kind';
import { createMetrics, type RuntimeMetrics } from '../metrics/registry';
import { SecretRedactor } from '../secrets/redact';
import { shutdownFromEnv, type ShutdownOptions } from './shutdown-env';
import { dependencyUnavailable } from './unavailable';
import { describeFailure, StartupValidationError, validateStartup, type ValidationSummary } from '../startup/validator';

export type { ShutdownOptions } from './shutdown-env';

export interface RuntimeOptions {
  /** Where flags, connection URLs and keys are read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where log lines go. @default buffered stdout */
  readonly logDestination?: DestinationStream | NodeJS.WritableStream;
  /** @default LOG_LEVEL from env, else 'info' */
  readonly logLevel?: string;
  /** Collect Node.js process metrics. @default true */
  readonly nodeMetrics?: boolean;
  /** Called to end the process on a fatal startup failure or after a signal-driven stop. @default process.exit */
  readonly exit?: (code: number) => void;
  readonly shutdown?: ShutdownOptions;
  /**
   * Where the admin listener (`/metrics`, `/health/live`, `/health/ready`, `/health`) binds, over
   * ADMIN_HOST and ADMIN_PORT; `false` serves none (the service then serves those endpoints itself,
   * e.g. with `createHealthEndpoints`).
   * @default ADMIN_HOST (else 127.0.0.1) and ADMIN_PORT (else the declaration's admin.port)
   */
  readonly admin?: AdminListenOptions | false;
}

type Closer = (force: boolean) => Promise<void>;

/**
 * Everything the runtime gives a service, built from its declaration: flags, metrics, logs,
 * breakers, adapters, degradation, startup validation, health endpoints and lifecycle.
 */
export class BulwarkRuntime implements HealthSource {
  readonly declaration: ServiceDeclaration;
  readonly flags: Flags;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  readonly redactor: SecretRedactor;
  readonly breakers: BreakerRegistry;
  readonly degradation: DegradationManager;

  private readonly env: NodeJS.ProcessEnv;
  private readonly exit: (code: number) => void;
  private readonly shutdownOptions: Required<ShutdownOptions>;
  private readonly adminOptions?: Required<AdminListenOptions>;
  private readonly rateLimit?: ClientRateLimit;
  private adminServer?: AdminServer;
  private readonly adapters = new Map<string, DependencyAdapter>();
  private readonly closers: Closer[] = [];
  private readonly startedAt = Date.now();
  private summary?: ValidationSummary;
  private started = false;
  private stopping?: Promise<void>;

  constructor(declaration: ServiceDeclaration, options: RuntimeOptions = {}) {
    this.declaration = declaration;
    this.env = options.env ?? process.env;
    this.exit = options.exit ?? ((code) => process.exit(code));
    const fromEnv = shutdownFromEnv(this.env);
    this.shutdownOptions = {
      drainDelayMs: options.shutdown?.drainDelayMs ?? fromEnv.drainDelayMs,
      timeoutMs: options.shutdown?.timeoutMs ?? fromEnv.timeoutMs,
    };
    this.flags = parseFlags(this.env);
    const trustedHops = trustedHopsFromEnv(this.env);
    const limiter = createRateLimiter(declaration.rateLimit);
    if (limiter) this.rateLimit = { limiter, trustedHops };
    if (options.admin !== false) {
      const fromEnv = adminFromEnv(this.env, declaration.admin.port);
      this.adminOptions = { host: options.admin?.host ?? fromEnv.host, port: options.admin?.port ?? fromEnv.port };
    }
    this.redactor = SecretRedactor.forDeclaration(declaration, this.env);
    this.metrics = createMetrics({
      enabled: this.flags.prometheusMetrics,
      nodeMetrics: options.nodeMetrics,
      service: declaration.name,
      version: declaration.version,
      latencyThresholdMs: declaration.objectives.latency.thresholdMs,
      // The metrics the declared dependencies' kinds count their calls in (a team's own kinds bring theirs).
      extraMetrics: Object.values(declaration.dependencies).flatMap((d) => {
        const kind = kindOf(d.kind);
        if (!kind) throw new Error(`dependency kind "${d.kind}" is not registered in this process: import the module that registers it before createRuntime`);
        return kindMetrics(kind);
      }),
    });
    for (const key of Object.keys(FLAG) as FlagKey[]) {
      this.metrics.featureFlagEnabled.set({ [LABEL.flag]: FLAG[key] }, this.flags[key] ? 1 : 0);
    }
    this.logger = createLogger({
      service: declaration.name,
      structured: this.flags.structuredLogging,
      level: options.logLevel ?? this.env.LOG_LEVEL ?? 'info',
      destination: options.logDestination,
      redactor: this.redactor,
      metrics: this.metrics,
    });
    this.breakers = new BreakerRegistry({ enabled: this.flags.circuitBreaker, metrics: this.metrics, logger: this.logger });
    this.degradation = new DegradationManager({
      declaration,
      metrics: this.metrics,
      logger: this.logger,
      enabled: this.flags.gracefulDegradation,
      redactor: this.redactor,
    });
    // An opened breaker degrades at once; health checks confirm and, once recovered, close it.
    this.breakers.onStateChange((e) => {
      if (e.to === 'open' && this.declaration.dependencies[e.name]) this.degradation.markUnhealthy(e.name, `circuit breaker ${e.name} opened`);
    });
    this.degradation.onRecovered((name) => {
      const b = this.breakers.get(name);
      if (b && b.state !== 'closed') b.close();
    });
  }

  // ---- adapters -------------------------------------------------------------------------

  /** The PostgreSQL adapter of a declared `postgres` dependency, connected with its env var's URL or its split settings (PG*). */
  postgres(name: string, pool?: PostgresAdapterOptions['pool']): PostgresAdapter {
    return this.adapter(name, 'postgres', (dep) => this.fromKind<PostgresAdapter>(name, dep, { pool }));
  }

  /** The Redis adapter of a declared `redis` dependency (fail-fast client, no offline queue). */
  redis(name: string): RedisAdapter {
    return this.adapter(name, 'redis', (dep) => this.fromKind<RedisAdapter>(name, dep));
  }

  /**
   * The OpenAI adapter of a declared `openai` dependency; the API key comes from its env var,
   * the base URL from `baseURL` or OPENAI_BASE_URL.
   */
  openai(name: string, options: { readonly model: string; readonly baseURL?: string }): OpenAIAdapter {
    return this.adapter(name, 'openai', (dep) => this.fromKind<OpenAIAdapter>(name, dep, options));
  }

  /** The adapter a dependency's kind makes of its own (`options` go to the kind's factory). */
  dependency<A extends DependencyAdapter = DependencyAdapter>(name: string, options?: Readonly<Record<string, unknown>>): A {
    return this.adapter(name, undefined, (dep) => this.fromKind<A>(name, dep, options));
  }

  private fromKind<A extends DependencyAdapter>(name: string, dep: DependencyDeclaration, options?: Readonly<Record<string, unknown>>): A {
    const kind = kindOf(dep.kind)!;
    if (!kind.adapter) throw new Error(`dependency "${name}": kind "${kind.name}" has no adapter of its own; use runtime.call("${name}", healthCheck)`);
    const settings = dep.connection ? Object.fromEntries(Object.entries(dep.connection).map(([setting, variable]) => [setting, this.env[variable] || undefined])) : undefined;
    const connection = settings ? { settings } : { value: dep.env ? (this.env[dep.env] ?? '') : undefined };
    return kind.adapter({ name, dependency: dep, connection, env: this.env, base: this.adapterBase(name, dep) }, options) as A;
  }

  /**
   * A generic adapter for a dependency of any kind (`s3`, `http`, or a kind of the team's own):
   * breaker + its kind's call metrics and error classification around any async call;
   * `healthCheck` is the direct probe periodic checks run.
   */
  call(name: string, healthCheck: (signal: AbortSignal) => Promise<unknown>): CallAdapter {
    return this.adapter(name, undefined, (dep) => {
      const kind = kindOf(dep.kind)!;
      const { calls, errors, duration } = kind.callMetrics;
      const missing = [
        ...(calls.labels.includes(LABEL.operation) ? [] : [`${calls.name} has no "${LABEL.operation}" label`]),
        ...(duration.labels.includes(LABEL.operation) ? [] : [`${duration.name} has no "${LABEL.operation}" label`]),
        ...(errors.labels.includes(LABEL.errorType) ? [] : [`${errors.name} has no "${LABEL.errorType}" label`]),
      ];
      if (missing.length) throw new Error(`runtime.call("${name}"): kind "${kind.name}" cannot count generic calls (${missing.join('; ')}); give its call metrics those labels`);
      const instance = <T>(spec: { name: string }) => this.metrics.byName(spec.name) as unknown as T;
      return createCallAdapter({
        ...this.adapterBase(name, dep),
        kind: kind.name,
        healthCheck,
        callMetrics: { calls: instance(calls), errors: instance(errors), duration: instance(duration) },
        ...(kind.isCallerError ? { isCallerError: kind.isCallerError } : {}),
        ...(kind.errorType ? { errorType: kind.errorType } : {}),
      });
    });
  }

  /** `kind`: the kind the typed accessor needs (`runtime.postgres` needs a postgres dependency); undefined: any. */
  private adapter<A extends DependencyAdapter>(name: string, kind: DependencyKind | undefined, make: (dep: DependencyDeclaration) => A): A {
    const dep = this.declaration.dependencies[name];
    if (!dep) {
      const known = Object.keys(this.declaration.dependencies);
      throw new Error(`dependency "${name}" is not declared in service "${this.declaration.name}"; declared: ${known.join(', ') || 'none'}`);
    }
    if (kind !== undefined && dep.kind !== kind) throw new Error(`dependency "${name}" is declared with kind "${dep.kind}", not "${kind}"`);
    const existing = this.adapters.get(name);
    if (existing) return existing as A;
    const adapter = make(dep);
    this.adapters.set(name, adapter);
    const unset = this.unconfigured(dep);
    if (unset && !dep.critical) {
      // Not configured is not down: an optional dependency without its settings is disabled.
      this.degradation.disable(name, `${unset} is not set; set it to enable ${name}`);
    } else {
      this.degradation.register(name, unset ? () => Promise.reject(new Error(`${unset} is not set`)) : () => adapter.healthCheck());
    }
    return adapter;
  }

  /**
   * The first connection variable a dependency needs that is unset or blank, if any. Blank counts:
   * where every declared secret always exists (ECS injects each one), an empty value means "not set".
   */
  private unconfigured(dep: DependencyDeclaration): string | undefined {
    const split = kindOf(dep.kind)?.connection?.split ?? {};
    const needed = [...(dep.env ? [dep.env] : []), ...Object.entries(dep.connection ?? {}).filter(([setting]) => split[setting]?.required).map(([, v]) => v)];
    return needed.find((variable) => !this.env[variable]?.trim());
  }

  private adapterBase(name: string, dep: DependencyDeclaration) {
    return {
      name,
      breaker: dep.breaker,
      breakers: this.breakers,
      metrics: this.metrics,
      logger: this.logger,
      redactor: this.redactor,
      healthCheckTimeoutMs: dep.healthCheck.timeoutMs,
      onCallLatency: (ms: number) => this.degradation.observeLatency(name, ms),
      onCallStart: () => this.degradation.callStarted(name),
      onCallEnd: (call: number) => this.degradation.callEnded(name, call),
    };
  }



  // ---- degradation and health -------------------------------------------------------------

  /** Whether a capability (writes, ai, cache, business) is available at the current level. */
  guard(capability: Capability): GuardResult {
    return this.degradation.guard(capability);
  }

  /** For node:http handlers: answers 503 + Retry-After and returns false when the capability is refused. */
  require(capability: Capability, res: ServerResponse): boolean {
    const g = this.degradation.guard(capability);
    if (g.allowed) return true;
    refuse(res, { status: g.status, retryAfterSeconds: g.retryAfterSeconds, reason: g.reason });
    return false;
  }

  /** Options for `app.register(bulwarkFastify, runtime.fastifyOptions())`: metrics, access log, `/health/ready`, 503 on dependency failures. */
  fastifyOptions(): BulwarkFastifyOptions {
    return {
      metrics: this.metrics,
      logger: this.logger,
      health: this,
      unavailable: dependencyUnavailable,
      routeRequires: this.declaration.routeRequires,
      guard: (capability) => this.guard(capability),
      rateLimit: this.rateLimit,
    };
  }

  /** A Fastify preHandler refusing the route (503 + Retry-After) while any of the capabilities is unavailable. */
  requires(...capabilities: Capability[]): ReturnType<typeof requireCapability> {
    return requireCapability((c) => this.degradation.guard(c), ...capabilities);
  }

  get ready(): boolean {
    return this.started && !this.stopping && this.degradation.level < LEVEL.EMERGENCY;
  }

  readiness(): { ready: boolean; body: Record<string, unknown> } {
    const ready = this.ready;
    const dependencies: Record<string, { state: string; healthy: boolean; slow: boolean }> = {};
    for (const [name, s] of Object.entries(this.degradation.status())) dependencies[name] = { state: s.state, healthy: s.healthy, slow: s.slow };
    return {
      ready,
      body: {
        status: ready ? 'ready' : this.stopping ? 'stopping' : this.started ? 'not_ready' : 'starting',
        level: this.degradation.level,
        level_name: this.degradation.levelName,
        dependencies,
      },
    };
  }

  report(): Record<string, unknown> {
    return {
      service: this.declaration.name,
      version: this.declaration.version,
      ready: this.ready,
      level: this.degradation.level,
      level_name: this.degradation.levelName,
      uptime_seconds: Math.round((Date.now() - this.startedAt) / 1000),
      flags: this.flags,
      dependencies: this.degradation.status(),
      breakers: this.breakers.snapshot(),
      startup: this.summary ?? null,
    };
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /**
   * Runs startup validation, then begins periodic health checks. On a critical failure with
   * `startup.onCriticalFailure: 'exit'` it logs one line naming what failed and exits 1.
   */
  async start(): Promise<ValidationSummary> {
    if (this.adminOptions && !this.adminServer) {
      // Before validation, so liveness answers (and metrics are scraped) while the service starts.
      const admin = new AdminServer(this.metrics, this);
      await admin.listen(this.adminOptions);
      this.adminServer = admin;
    }
    const checks: Record<string, () => Promise<void>> = {};
    for (const [name, a] of this.adapters) checks[name] = () => a.healthCheck();
    const summary = await validateStartup({
      declaration: this.declaration,
      env: this.env,
      checks,
      enabled: this.flags.startupValidation,
      failOnWarning: this.flags.startupFailOnWarning,
      metrics: this.metrics,
      logger: this.logger,
      redactor: this.redactor,
    });
    this.summary = summary;
    if (summary.status === 'unhealthy') {
      if (this.declaration.startup.onCriticalFailure === 'exit') {
        this.logger.fatal({ startup: { status: summary.status, critical_failures: summary.critical_failures } }, describeFailure(summary));
        await this.closeAdapters();
        await this.adminServer?.close();
        flushLogs(this.logger);
        this.exit(1);
        throw new StartupValidationError(summary, this.redactor);
      }
      this.logger.warn('startup validation failed; starting degraded as the declaration allows');
    }
    // When validation did not prove every dependency healthy, learn the real level before serving.
    if (summary.status !== 'healthy') await this.degradation.checkNow();
    this.degradation.start();
    this.started = true;
    this.logger.info({ degradation_level: this.degradation.levelName }, `service ${this.declaration.name} started`);
    const disabled = Object.values(this.degradation.status()).filter((d) => d.state === 'disabled');
    if (disabled.length > 0) {
      const off = disabled.flatMap((d) => this.declaration.dependencies[d.name]!.provides.map((c) => `${c} (${d.name}: ${d.disabledReason})`));
      this.logger.warn(
        { disabled: disabled.map((d) => d.name), capabilities_off: off },
        `disabled: ${disabled.map((d) => `${d.name} (${d.disabledReason})`).join(', ')}${off.length ? `; capabilities off: ${off.join(', ')}` : ''}`,
      );
    }
    return summary;
  }

  /**
   * The admin listener's address (`/metrics`, `/health*`) once `start()` has bound it; undefined
   * before, or when the runtime was created with `admin: false`.
   */
  get adminAddress(): AdminAddress | undefined {
    return this.adminServer?.address;
  }

  /**
   * A node:http server serving `handler` and `/health/ready` (for load balancer health checks),
   * instrumented (metrics, access log, correlation IDs). It is drained by `stop()`. Metrics and the
   * full health report are on the admin listener only.
   */
  createServer(handler: NodeHandler): Server {
    const health = (req: IncomingMessage, res: ServerResponse): boolean => {
      // Every request passes here: compare in place, without splitting the URL.
      const url = req.url ?? '/';
      if (!url.startsWith(HEALTH_PATH.ready) || (url.length > HEALTH_PATH.ready.length && url[HEALTH_PATH.ready.length] !== '?')) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const { status, headers, body } = readinessResponse(this);
      sendJson(res, status, body, headers);
      return true;
    };
    // Routes that declare the capabilities they need are refused (503 + Retry-After) while one is unavailable.
    const requires = this.declaration.routeRequires;
    const rateLimit = this.rateLimit;
    const routeOf = Object.keys(requires).length > 0 || rateLimit ? createRouteMatcher(this.declaration.routes) : undefined;
    const app = instrumentHandler(
      (req: IncomingMessage, res: ServerResponse) => {
        if (this.stopping) res.setHeader('connection', 'close');
        if (health(req, res)) return;
        if (rateLimit) {
          const decision = takeForRequest(rateLimit, req);
          if (!decision.allowed) {
            this.metrics.httpRequestsRateLimitedTotal.inc({ [LABEL.endpoint]: routeOf!(req.method ?? 'GET', req.url ?? '/') });
            sendRateLimited(res, decision.retryAfterSeconds);
            return;
          }
        }
        const needs = routeOf && requires[routeOf(req.method ?? 'GET', req.url ?? '/')];
        if (needs && !needs.every((capability) => this.require(capability, res))) return;
        return handler(req, res);
      },
      { metrics: this.metrics, logger: this.logger, routes: this.declaration.routes },
    );
    const server = createServer(app);
    this.onShutdown(async (force) => {
      if (force) {
        server.closeAllConnections();
        return;
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    });
    return server;
  }

  /**
   * Registers work for `stop()` to do after readiness fails, e.g. `() => fastify.close()`.
   * `force` is true when the shutdown timeout has passed.
   */
  onShutdown(closer: (force: boolean) => Promise<void>): void {
    this.closers.push(closer);
  }

  /**
   * Stops in the order that loses nothing: readiness fails first, then servers drain in-flight
   * requests (bounded by the shutdown timeout), then health checks stop, breakers release their
   * timers, clients close and the last log lines are flushed.
   */
  stop(): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const { drainDelayMs, timeoutMs } = this.shutdownOptions;
    this.logger.info({ drainDelayMs, timeoutMs }, 'shutting down: readiness now fails');
    if (drainDelayMs > 0) await delay(drainDelayMs);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const drained = Promise.all(this.closers.map((c) => c(false))).then(() => 'drained' as const);
    const outcome = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn({ timeoutMs }, 'shutdown timeout passed; closing the remaining connections');
      await Promise.all(this.closers.map((c) => c(true).catch(() => undefined)));
    }
    await this.degradation.stop();
    this.breakers.shutdown();
    await this.closeAdapters();
    // Last: scrapes and probes see the service until it has drained.
    await this.adminServer?.close();
    this.logger.info('stopped');
    flushLogs(this.logger);
  }

  private async closeAdapters(): Promise<void> {
    await Promise.all([...this.adapters.values()].map((a) => a.close().catch(() => undefined)));
  }

  /** SIGTERM/SIGINT → stop() then exit 0; an uncaught error is logged (flushed) and exits 1. */
  installSignalHandlers(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      this.logger.info({ signal }, `received ${signal}`);
      this.stop().then(
        () => this.exit(0),
        (err: unknown) => {
          this.logger.error({ err }, 'shutdown failed');
          flushLogs(this.logger);
          this.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    process.once('uncaughtException', (err) => {
      this.logger.fatal({ err }, 'uncaught exception');
      flushLogs(this.logger);
      this.exit(1);
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Builds the runtime of a declared service. Throws FlagError when a feature flag is invalid. */
export function createRuntime(declaration: ServiceDeclaration, options?: RuntimeOptions): BulwarkRuntime {
  return new BulwarkRuntime(declaration, options);
}
