/**
 * A dependency kind, described once, as data: its defaults, how it connects (and how the startup
 * validator checks that), which capabilities it provides, the metrics its calls are counted in and
 * the extra panels its dashboard row shows. The declaration, the startup validator, the degradation
 * manager, the generators and the constructs all ask the kind; none of them switches on kind names.
 *
 * Kinds are open: `registerKind(defineKind({...}))` in the module that declares a service makes a
 * kind of its own known to `defineService`, `createRuntime`, `bulwark generate` and the constructs.
 * The registry lives on a registered symbol, so every copy of this package in a process shares it.
 */
import type { Capability, ImpactLevel } from '../degradation/levels';
import type { AdapterBaseOptions, DependencyAdapter } from '../adapters/common';
import type { BreakerSettings, DependencyDeclaration } from '../declaration/types';
import { LABEL, type LabelName, type MetricSpec } from '../metrics/catalog';

/** How a dependency of a kind is reached: one environment variable holding a URL or a key. */
export interface ConnectionSpec {
  /** What the variable holds, in messages: e.g. `connection URL`, `API key`. */
  readonly holds: string;
  /** A typical variable name, suggested when a declaration names none: e.g. `DATABASE_URL`. */
  readonly exampleVariable: string;
  /** The schemes a valid URL has (`postgres:`); omitted, any non-empty value is accepted. */
  readonly urlSchemes?: readonly string[];
  /** What a valid value looks like, for the startup validator's message (never the value itself). */
  readonly urlExample?: string;
  /**
   * The same settings as separate variables instead of one URL (libpq's PG* for PostgreSQL): what a
   * platform that injects one secret field per variable (ECS) can provide. A declaration opts in
   * with `connection: 'split'` (these default names) or its own names per setting.
   */
  readonly split?: Readonly<Record<string, SplitSetting>>;
  /**
   * Checks the split settings together, as read from the environment (PostgreSQL: that PGSSLMODE is
   * a mode pg can honour and that PGSSLROOTCERT is a readable file of PEM certificates when the mode
   * needs one). `variables` maps each setting to the variable it is read from, for the messages.
   * Returns what makes the connection unusable, one problem per setting, each naming the variable and
   * the fix and never a secret value; the startup validator reports them like a malformed port.
   */
  readonly checkSplit?: (settings: Readonly<Record<string, string | undefined>>, variables: Readonly<Record<string, string>>) => readonly SplitProblem[];
}

/** Why a split connection cannot be used: the setting at fault and a message naming its variable and the fix. */
export interface SplitProblem {
  readonly setting: string;
  readonly message: string;
}

/** One setting of a split connection. */
export interface SplitSetting {
  /** The variable it is read from unless the declaration names another (libpq: `PGHOST`). */
  readonly variable: string;
  readonly required: boolean;
  /** A password or key: a secret env var, never logged. */
  readonly secret?: boolean;
  /** Must be a whole number (a port). */
  readonly integer?: boolean;
}

/** The metrics one dependency's calls are counted in: each carries the `dependency` label. */
export interface CallMetricsSpec {
  /** Counter of calls. */
  readonly calls: MetricSpec;
  /** Counter of failed calls. */
  readonly errors: MetricSpec;
  /** Histogram of call latency, in seconds. */
  readonly duration: MetricSpec;
  /** Labels its dashboard row splits the call rate by. */
  readonly callsBy: readonly LabelName[];
  /** Labels its dashboard row splits errors by. */
  readonly errorsBy: readonly LabelName[];
}

/** A panel a kind adds to its dependencies' dashboard rows: the rate of a counter, split by labels. */
export interface KindPanelSpec {
  readonly title: string;
  readonly description: string;
  /** A counter carrying the `dependency` label. */
  readonly metric: MetricSpec;
  readonly by: readonly LabelName[];
  /** Grafana unit of the rate, e.g. `reqps`, `short`. */
  readonly unit: string;
}

/** Everything a kind's dependencies default to when the declaration does not say. */
export interface KindDefaults {
  readonly breaker: BreakerSettings;
  /** The level the service drops to while a dependency of this kind is down. */
  readonly impact: ImpactLevel;
  /** Calls slower than this (ms) mark the dependency slow; 0: no slowness detection. */
  readonly slowThresholdMs: number;
  /** The level while slow; required when slowThresholdMs > 0. */
  readonly slowImpact?: ImpactLevel;
  /** Whether startup fails when a dependency of this kind is unreachable. */
  readonly critical: boolean;
}

/** What a kind's adapter factory gets from the runtime. */
export interface KindAdapterContext {
  /** The dependency's declared name. */
  readonly name: string;
  readonly dependency: DependencyDeclaration;
  /** Its connection, read from the environment: the URL or key (`env`), or each split setting's value. */
  readonly connection: { readonly value?: string; readonly settings?: Readonly<Record<string, string | undefined>> };
  /** The runtime's environment. */
  readonly env: NodeJS.ProcessEnv;
  /** Breaker, metrics, logger, redaction and slowness reporting: the options every adapter takes. */
  readonly base: AdapterBaseOptions;
}

/** Makes the adapter of one dependency; `options` are what the caller passed (`runtime.dependency(name, options)`). */
export type KindAdapterFactory = (context: KindAdapterContext, options?: Readonly<Record<string, unknown>>) => DependencyAdapter;

export interface DependencyKindSpec {
  /** The name declarations use: `kind: 'mysql'`. Lowercase letters, digits and `-`. */
  readonly name: string;
  /** The name people use, in messages and dashboards: `MySQL`. */
  readonly title: string;
  readonly defaults: KindDefaults;
  /** How it connects; omitted for kinds whose adapter is given its client in code. */
  readonly connection?: ConnectionSpec;
  /**
   * The TCP port its servers usually listen on (PostgreSQL: 5432): where deployments that restrict
   * egress let the service connect unless told another port. Omitted: no usual port (a generic HTTP API).
   */
  readonly defaultPort?: number;
  /** Capabilities refused whenever a dependency of this kind is down (a declaration may override). */
  readonly provides: readonly Capability[];
  readonly callMetrics: CallMetricsSpec;
  readonly panels?: readonly KindPanelSpec[];
  /** Errors that are the caller's fault (a 400, a unique violation): they never open the breaker. */
  readonly isCallerError?: (err: unknown) => boolean;
  /** A bounded `error_type` label value for an error. */
  readonly errorType?: (err: unknown) => string;
  /**
   * The kind's own adapter (`runtime.dependency(name)`), with a health check and client of its own;
   * omitted, its dependencies go through `runtime.call(name, healthCheck)`.
   */
  readonly adapter?: KindAdapterFactory;
}

declare const checked: unique symbol;
/** A checked kind: what `defineKind` returns and `registerKind` accepts. */
export type DependencyKindDefinition = DependencyKindSpec & { readonly [checked]: true };

const KIND_BRAND = Symbol.for('@bulwark/runtime.dependency-kind');
const REGISTRY = Symbol.for('@bulwark/runtime.dependency-kinds');
const KIND_NAME = /^[a-z][a-z0-9-]{1,30}$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const CAPABILITIES: readonly string[] = ['writes', 'ai', 'cache', 'business'];

/** A kind's definition is wrong: every problem, each naming its field. */
export class KindError extends Error {
  constructor(
    readonly kind: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid dependency kind${kind ? ` "${kind}"` : ''} (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'KindError';
  }
}

function metricProblems(path: string, spec: MetricSpec | undefined, type: MetricSpec['type']): string[] {
  if (!spec || typeof spec !== 'object') return [`${path}: is required: a ${type} metric spec (name, type, help, labels)`];
  const problems: string[] = [];
  if (!METRIC_NAME.test(spec.name ?? '')) problems.push(`${path}.name: ${JSON.stringify(spec.name)} is not a Prometheus metric name`);
  if (spec.type !== type) problems.push(`${path}.type: must be "${type}", got ${JSON.stringify(spec.type)}`);
  if (!spec.labels?.includes(LABEL.dependency)) problems.push(`${path}.labels: must include "${LABEL.dependency}", so two dependencies of one kind stay apart`);
  if (type === 'histogram' && !(spec.buckets && spec.buckets.length > 0)) problems.push(`${path}.buckets: a histogram needs its bucket bounds (seconds)`);
  return problems;
}

/** Checks a kind and brands it; throws one KindError listing every problem. */
export function defineKind(spec: DependencyKindSpec): DependencyKindDefinition {
  const problems: string[] = [];
  if (!KIND_NAME.test(spec.name ?? '')) problems.push(`name: ${JSON.stringify(spec.name)} must be 2-31 lowercase letters, digits or dashes, starting with a letter`);
  if (!spec.title) problems.push('title: is required, e.g. "MySQL"');
  const b = spec.defaults?.breaker;
  if (!b || ![b.failureThreshold, b.resetTimeoutMs, b.successThreshold, b.timeoutMs].every((n) => Number.isInteger(n) && n > 0)) {
    problems.push('defaults.breaker: failureThreshold, resetTimeoutMs, successThreshold and timeoutMs must be whole numbers above 0');
  }
  if (spec.defaults && spec.defaults.slowThresholdMs > 0 && !spec.defaults.slowImpact) problems.push('defaults.slowImpact: is required when defaults.slowThresholdMs is set');
  if (spec.defaultPort !== undefined && !(Number.isInteger(spec.defaultPort) && spec.defaultPort >= 1 && spec.defaultPort <= 65535)) {
    problems.push(`defaultPort: must be a whole number from 1 to 65535, got ${JSON.stringify(spec.defaultPort)}`);
  }
  for (const [i, c] of (spec.provides ?? []).entries()) if (!CAPABILITIES.includes(c)) problems.push(`provides[${i}]: "${c}" is not one of ${CAPABILITIES.join(', ')}`);
  const m = spec.callMetrics;
  problems.push(...metricProblems('callMetrics.calls', m?.calls, 'counter'), ...metricProblems('callMetrics.errors', m?.errors, 'counter'), ...metricProblems('callMetrics.duration', m?.duration, 'histogram'));
  for (const [i, p] of (spec.panels ?? []).entries()) problems.push(...metricProblems(`panels[${i}].metric`, p.metric, 'counter'));
  if (problems.length) throw new KindError(spec.name ?? '', problems);
  const kind = { ...spec };
  Object.defineProperty(kind, KIND_BRAND, { value: true });
  return Object.freeze(kind) as DependencyKindDefinition;
}

type Registry = Map<string, DependencyKindDefinition>;

function registry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (holder[REGISTRY] ??= new Map());
}

/**
 * Makes a kind known to every part of Bulwark in this process. Registering the same definition
 * again is a no-op; another definition under a registered name, or a metric name another kind
 * already counts in with another shape, is an error.
 */
export function registerKind(kind: DependencyKindDefinition): DependencyKindDefinition {
  if (!(kind as unknown as Record<symbol, unknown>)[KIND_BRAND]) throw new KindError(kind?.name ?? '', ['registerKind takes what defineKind returns']);
  const kinds = registry();
  const existing = kinds.get(kind.name);
  // The same description registered again (a second copy of this package registering its built-in
  // kinds, a module loaded twice) keeps the first.
  if (existing && (existing === kind || JSON.stringify(existing) === JSON.stringify(kind))) return existing;
  if (existing) throw new KindError(kind.name, [`name: a kind named "${kind.name}" is already registered; pick another name`]);
  for (const spec of kindMetrics(kind)) {
    for (const other of kinds.values()) {
      const same = kindMetrics(other).find((o) => o.name === spec.name);
      if (same && JSON.stringify(same) !== JSON.stringify(spec)) {
        throw new KindError(kind.name, [`metric ${spec.name}: kind "${other.name}" already counts in a metric of that name with other labels or type; name yours differently`]);
      }
    }
  }
  kinds.set(kind.name, kind);
  return kind;
}

/** The registered kind of that name, or undefined. */
export function kindOf(name: string): DependencyKindDefinition | undefined {
  return registry().get(name);
}

/** Every registered kind, built-in ones first, in registration order. */
export function registeredKinds(): readonly DependencyKindDefinition[] {
  return [...registry().values()];
}

/** The metrics a kind's dependencies are counted in: its call metrics and its panels' metrics. */
export function kindMetrics(kind: DependencyKindSpec): MetricSpec[] {
  const specs = [kind.callMetrics.calls, kind.callMetrics.errors, kind.callMetrics.duration, ...(kind.panels ?? []).map((p) => p.metric)];
  return specs.filter((s, i) => specs.findIndex((o) => o.name === s.name) === i);
}
