/**
 * Builds every Prometheus rule for one service from its declaration: the seeds' alerts (fixed),
 * the ones they forgot, and SLO recording rules with burn-rate alerts. Pure and deterministic:
 * the same declaration always gives the same rules in the same order.
 */
import { LEVEL, LEVEL_NAMES, type ImpactLevel, type ServiceDeclaration } from '@bulwark/runtime/declaration';
import { BREAKER_STATE_VALUE, FLAG, HEALTH_PATH, LABEL, METRICS, NODE_METRICS } from '@bulwark/runtime/catalog';
import { SCRAPE_SERIES, TRUSTED_PROXY_HOPS_ENV } from '@bulwark/runtime/catalog';
import { num, selector } from './promql';
import { runbookUrl } from './runbooks';
import {
  BURN_RATE_ALERTS,
  RECORDED_LABELS,
  SERVER_ERROR_STATUS,
  SLO_WINDOWS,
  burnRateExpr,
  errorBudget,
  errorRatioExpr,
  errorRatioRecord,
  jobMatcher,
  latencyBudget,
  slowRatioExpr,
  slowRatioRecord,
  type BurnRateAlertSpec,
} from './slo';
import { HEARTBEAT_SEVERITY, type AlertingRule, type RecordingRule, type RuleGroup, type RuleGroups, type Severity } from './types';

/** Every alert name the generator can emit; each has a runbook (`runbook(name)`, runbooks/<name>.md). */
export const ALERT = {
  highErrorRate: 'HighErrorRate',
  highLatency: 'HighLatency',
  rateLimitedRequests: 'RateLimitedRequests',
  circuitBreakerOpen: 'CircuitBreakerOpen',
  circuitBreakerFlapping: 'CircuitBreakerFlapping',
  systemDegraded: 'SystemDegraded',
  systemMinimal: 'SystemMinimal',
  dependencyDown: 'DependencyDown',
  startupValidationFailed: 'StartupValidationFailed',
  targetDown: 'TargetDown',
  metricsAbsent: 'MetricsAbsent',
  highMemoryUsage: 'HighMemoryUsage',
  highEventLoopLag: 'HighEventLoopLag',
  errorBudgetBurn: 'ErrorBudgetBurn',
  latencyBudgetBurn: 'LatencyBudgetBurn',
  heartbeat: 'Heartbeat',
} as const;

export type AlertName = (typeof ALERT)[keyof typeof ALERT];

/** Thresholds the declaration does not carry (from the seeds where they give one). */
export const THRESHOLDS = {
  /** Share of 5xx responses over 5m that pages on its own, before any SLO arithmetic. */
  errorRatio: 0.05,
  /** The seed's memory budget: under 500 MB resident. */
  memoryBytes: 500 * 1024 * 1024,
  /** Breaker state changes per instance in `breakerFlapWindow` beyond which it is flapping (two full open→half-open→closed cycles). */
  breakerFlapTransitions: 6,
  breakerFlapWindow: '15m',
  /**
   * Share of all requests refused by the per-client rate limit over 5m beyond which a person
   * should look: a few clients over their allowance is the limit doing its job; one request in
   * twenty is either abuse big enough to show in the service's traffic or a limit too low for
   * real clients (or clients that all look like one: TRUSTED_PROXY_HOPS unset behind a proxy).
   */
  rateLimitedRatio: 0.05,
  /** Limited requests per second the ratio also needs (30 in 5 minutes): a handful at low traffic is no ticket. */
  rateLimitedPerSecond: 0.1,
} as const;

/** `for:` per alert: how long the condition must hold before the alert fires. */
const FOR = {
  highErrorRate: '2m',
  highLatency: '5m',
  rateLimitedRequests: '10m',
  circuitBreakerOpen: '1m',
  systemDegraded: '5m',
  systemMinimal: '1m',
  dependencyDown: '1m',
  targetDown: '2m',
  metricsAbsent: '5m',
  highMemoryUsage: '10m',
  highEventLoopLag: '5m',
} as const;

/** The label value `startup_validation_failures` uses for checks that block a healthy start. */
export const CRITICAL_VALIDATION_LEVEL = 'critical';

export interface BuildOptions {
  /** Base of every `runbook_url` annotation. @default RUNBOOK_BASE_URL (`runbooks/`, next to the rule file) */
  readonly runbookBaseUrl?: string;
  /**
   * Include the always-firing `Heartbeat` alert (severity `heartbeat`): the dead man's switch of
   * the rules → Alertmanager → receiver chain. Leave it out where the platform has its own, such
   * as kube-prometheus-stack's `Watchdog`.
   * @default true
   */
  readonly heartbeat?: boolean;
}

/** What a dependency's outage does to the service, as an on-call engineer reads it. */
const IMPACT_BEHAVIOUR: Readonly<Record<ImpactLevel, string>> = {
  DEGRADED: 'reads bypass the cache and go to the database',
  LIMITED: 'AI features answer with their declared fallback',
  MINIMAL: 'reads only; writes are refused with 503 and Retry-After',
  EMERGENCY: 'business routes answer 503; only the health endpoints work',
};

const LEVEL_LEGEND = LEVEL_NAMES.map((n) => `${LEVEL[n]} ${n}`).join(', ');

export function buildRuleGroups(service: ServiceDeclaration, options: BuildOptions = {}): RuleGroups {
  const ctx = new RuleContext(service, options);
  return {
    groups: [
      { name: `${service.name}-slo-recording`, rules: sloRecordingRules(service) },
      { name: `${service.name}-slo`, rules: sloAlerts(ctx) },
      { name: `${service.name}-http`, rules: httpAlerts(ctx) },
      { name: `${service.name}-resilience`, rules: resilienceAlerts(ctx) },
      { name: `${service.name}-process`, rules: processAlerts(ctx) },
      ...(options.heartbeat ?? true ? [{ name: `${service.name}-heartbeat`, rules: [heartbeatAlert(ctx)] }] : []),
    ] satisfies RuleGroup[],
  };
}

class RuleContext {
  readonly job: { job: string };
  constructor(
    readonly service: ServiceDeclaration,
    private readonly options: BuildOptions,
  ) {
    this.job = jobMatcher(service);
  }

  alert(spec: {
    alert: AlertName;
    expr: string;
    for?: string;
    severity: Severity;
    labels?: Record<string, string>;
    summary: string;
    description: string;
  }): AlertingRule {
    const rule: AlertingRule = {
      alert: spec.alert,
      expr: spec.expr,
      ...(spec.for ? { for: spec.for } : {}),
      labels: { severity: spec.severity, service: this.service.name, ...spec.labels },
      annotations: {
        summary: spec.summary,
        description: spec.description,
        runbook_url: runbookUrl(spec.alert, this.options.runbookBaseUrl),
      },
    };
    return rule;
  }
}

function sloRecordingRules(service: ServiceDeclaration): RecordingRule[] {
  return [
    ...SLO_WINDOWS.map((w) => ({ record: errorRatioRecord(w), expr: errorRatioExpr(service, w) })),
    ...SLO_WINDOWS.map((w) => ({ record: slowRatioRecord(w), expr: slowRatioExpr(service, w) })),
  ];
}

function percent(ratio: number): string {
  return `${num(ratio * 100)}%`;
}

function burnWindows(spec: BurnRateAlertSpec): string {
  return spec.conditions.map((c, i) => `${num(c.factor)}×${i === 0 ? ' the budget rate' : ''} over ${c.long} and ${c.short}`).join(', or ');
}

function sloAlerts(ctx: RuleContext): AlertingRule[] {
  const { service } = ctx;
  const { availability, latency, windowDays } = service.objectives;
  const errBudget = errorBudget(service);
  const latBudget = latencyBudget(service);
  const latencyMs = latency.thresholdMs;
  const out: AlertingRule[] = [];
  for (const spec of BURN_RATE_ALERTS) {
    const urgency = spec.kind === 'page' ? 'fast' : 'slowly';
    out.push(
      ctx.alert({
        alert: ALERT.errorBudgetBurn,
        expr: burnRateExpr(errorRatioRecord, service, errBudget, spec),
        severity: spec.severity,
        labels: { slo: 'availability', window: spec.kind },
        summary: `${service.name} is burning its error budget ${urgency}`,
        description:
          `{{ $labels.job }} answers {{ $value | humanizePercentage }} of requests with 5xx over the long window; ` +
          `the availability objective is ${percent(availability)} over ${windowDays} days (budget ${percent(errBudget)} of requests). ` +
          `${spec.kind === 'page' ? 'Pages' : 'Tickets'} at ${burnWindows(spec)}.`,
      }),
    );
  }
  for (const spec of BURN_RATE_ALERTS) {
    const urgency = spec.kind === 'page' ? 'fast' : 'slowly';
    out.push(
      ctx.alert({
        alert: ALERT.latencyBudgetBurn,
        expr: burnRateExpr(slowRatioRecord, service, latBudget, spec),
        severity: spec.severity,
        labels: { slo: 'latency', window: spec.kind },
        summary: `${service.name} is burning its latency budget ${urgency}`,
        description:
          `{{ $value | humanizePercentage }} of requests to {{ $labels.job }} take longer than ${latencyMs}ms over the long window; ` +
          `the objective is ${percent(latency.target)} under ${latencyMs}ms over ${windowDays} days (budget ${percent(latBudget)}). ` +
          `${spec.kind === 'page' ? 'Pages' : 'Tickets'} at ${burnWindows(spec)}.`,
      }),
    );
  }
  return out;
}

function httpAlerts(ctx: RuleContext): AlertingRule[] {
  const { service, job } = ctx;
  const requests = METRICS.httpRequestsTotal.name;
  const errors = `sum by (job) (rate(${selector(requests, { ...job, [LABEL.status]: { re: SERVER_ERROR_STATUS } })}[5m]))`;
  const all = `sum by (job) (rate(${selector(requests, job)}[5m]))`;
  const { thresholdMs, target } = service.objectives.latency;
  const quantile = num(target);
  const pName = `p${num(target * 100)}`;
  const buckets = `${METRICS.httpRequestDurationSeconds.name}_bucket`;
  return [
    ctx.alert({
      alert: ALERT.highErrorRate,
      expr: `${errors} / ${all} > ${num(THRESHOLDS.errorRatio)}`,
      for: FOR.highErrorRate,
      severity: 'critical',
      summary: `High 5xx error ratio on ${service.name}`,
      description:
        `{{ $value | humanizePercentage }} of requests to {{ $labels.job }} answered 5xx over the last 5 minutes ` +
        `(threshold ${percent(THRESHOLDS.errorRatio)}, for ${FOR.highErrorRate}).`,
    }),
    ctx.alert({
      alert: ALERT.highLatency,
      expr: `histogram_quantile(${quantile}, sum by (job, le) (rate(${selector(buckets, job)}[5m]))) > ${num(thresholdMs / 1000)}`,
      for: FOR.highLatency,
      severity: 'warning',
      summary: `${pName} latency of ${service.name} is above ${thresholdMs}ms`,
      description:
        `${pName} request latency of {{ $labels.job }} is {{ $value | humanizeDuration }} over the last 5 minutes, ` +
        `above the ${thresholdMs}ms objective (objectives.latency) for ${FOR.highLatency}.`,
    }),
    ...(service.rateLimit.requests > 0 ? [rateLimitedAlert(ctx, all)] : []),
  ];
}

/** `all`: the service's request rate over 5m, by job (the limited requests are counted in it too). */
function rateLimitedAlert(ctx: RuleContext, all: string): AlertingRule {
  const { service, job } = ctx;
  const { requests, windowMs } = service.rateLimit;
  const limited = `sum by (job) (rate(${selector(METRICS.httpRequestsRateLimitedTotal.name, job)}[5m]))`;
  return ctx.alert({
    alert: ALERT.rateLimitedRequests,
    expr: `${limited} / ${all} > ${num(THRESHOLDS.rateLimitedRatio)} and ${limited} > ${num(THRESHOLDS.rateLimitedPerSecond)}`,
    for: FOR.rateLimitedRequests,
    severity: 'warning',
    summary: `${service.name} refuses a large share of its requests with 429 (rate limit)`,
    description:
      `The per-client rate limit refused {{ $value | humanizePercentage }} of the requests to {{ $labels.job }} over the last 5 minutes ` +
      `(threshold ${percent(THRESHOLDS.rateLimitedRatio)} and ${num(THRESHOLDS.rateLimitedPerSecond)} requests/s, for ${FOR.rateLimitedRequests}). ` +
      `The declared limit (rateLimit) is ${requests} requests per ${num(windowMs / 1000)}s per client on each instance; ` +
      `clients are told apart by address (${TRUSTED_PROXY_HOPS_ENV} behind proxies).`,
  });
}

function resilienceAlerts(ctx: RuleContext): AlertingRule[] {
  const { service, job } = ctx;
  const state = METRICS.circuitBreakerState.name;
  const transitions = METRICS.circuitBreakerTransitionsTotal.name;
  const level = selector(METRICS.degradationLevel.name, job);
  const out: AlertingRule[] = [
    ctx.alert({
      alert: ALERT.circuitBreakerOpen,
      expr: `count by (job, ${LABEL.name}) (${selector(state, job)} == ${BREAKER_STATE_VALUE.open}) > 0`,
      for: FOR.circuitBreakerOpen,
      severity: 'warning',
      summary: `Circuit breaker {{ $labels.${LABEL.name} }} of ${service.name} is open`,
      description:
        `The {{ $labels.${LABEL.name} }} breaker of {{ $labels.job }} has been open for ${FOR.circuitBreakerOpen} on {{ $value }} instance(s): ` +
        `calls to that dependency fail fast until a probe succeeds. ${HEALTH_PATH.report} shows each breaker and dependency.`,
    }),
    ctx.alert({
      alert: ALERT.circuitBreakerFlapping,
      expr:
        `sum by (job, instance, ${LABEL.name}) (increase(${selector(transitions, job)}[${THRESHOLDS.breakerFlapWindow}])) ` +
        `> ${THRESHOLDS.breakerFlapTransitions}`,
      severity: 'warning',
      summary: `Circuit breaker {{ $labels.${LABEL.name} }} of ${service.name} is flapping`,
      description:
        `The {{ $labels.${LABEL.name} }} breaker on {{ $labels.instance }} changed state {{ $value | humanize }} times in the last ${THRESHOLDS.breakerFlapWindow} ` +
        `(more than ${THRESHOLDS.breakerFlapTransitions}): the dependency is failing intermittently.`,
    }),
  ];
  for (const [name, dep] of Object.entries(service.dependencies)) {
    const severity: Severity = dep.impact === 'EMERGENCY' ? 'critical' : 'warning';
    out.push(
      ctx.alert({
        alert: ALERT.dependencyDown,
        expr: `count by (job, ${LABEL.dependency}) (${selector(METRICS.dependencyUp.name, { ...job, [LABEL.dependency]: name })} == 0) > 0`,
        for: FOR.dependencyDown,
        severity,
        labels: { impact: dep.impact },
        summary: `Dependency ${name} (${dep.kind}) of ${service.name} is down`,
        description:
          `{{ $value }} instance(s) of {{ $labels.job }} report dependency {{ $labels.${LABEL.dependency} }} unhealthy for ${FOR.dependencyDown}. ` +
          `While it is down the service runs at ${dep.impact} (level ${LEVEL[dep.impact]}): ${IMPACT_BEHAVIOUR[dep.impact]}.`,
      }),
    );
  }
  out.push(
    ctx.alert({
      alert: ALERT.systemDegraded,
      expr: `${level} > ${LEVEL.OPTIMAL}`,
      for: FOR.systemDegraded,
      severity: 'warning',
      summary: `${service.name} is running degraded`,
      description:
        `{{ $labels.instance }} of {{ $labels.job }} has been at degradation level {{ $value }} for ${FOR.systemDegraded} (${LEVEL_LEGEND}). ` +
        `${HEALTH_PATH.report} names the unhealthy dependencies.`,
    }),
    ctx.alert({
      alert: ALERT.systemMinimal,
      expr: `${level} >= ${LEVEL.MINIMAL}`,
      for: FOR.systemMinimal,
      severity: 'critical',
      summary: `${service.name} is at MINIMAL or worse: writes are refused`,
      description:
        `{{ $labels.instance }} of {{ $labels.job }} has been at degradation level {{ $value }} for ${FOR.systemMinimal} (${LEVEL_LEGEND}): ` +
        `from MINIMAL on writes answer 503; at EMERGENCY every business route does.`,
    }),
    ctx.alert({
      alert: ALERT.startupValidationFailed,
      expr: `${selector(METRICS.startupValidationFailures.name, { ...job, [LABEL.level]: CRITICAL_VALIDATION_LEVEL })} > 0`,
      severity: 'critical',
      summary: `${service.name} started with failed critical startup checks`,
      description:
        `{{ $value }} critical startup check(s) failed on {{ $labels.instance }} of {{ $labels.job }}; it is serving degraded ` +
        `(startup.onCriticalFailure is ${service.startup.onCriticalFailure}). ${HEALTH_PATH.report} lists the failed checks.`,
    }),
  );
  return out;
}

function processAlerts(ctx: RuleContext): AlertingRule[] {
  const { service, job } = ctx;
  const lagThreshold = service.objectives.latency.thresholdMs / 1000;
  return [
    ctx.alert({
      alert: ALERT.targetDown,
      expr: `${selector(SCRAPE_SERIES.up, job)} == 0`,
      for: FOR.targetDown,
      severity: 'critical',
      summary: `Prometheus cannot scrape ${service.name} at {{ $labels.instance }}`,
      description:
        `Scrapes of {{ $labels.instance }} ({{ $labels.job }}) have failed for ${FOR.targetDown}: the process is down or unreachable, ` +
        `or ${HEALTH_PATH.metrics} answers an error (404 when ${FLAG.prometheusMetrics}=false).`,
    }),
    ctx.alert({
      alert: ALERT.metricsAbsent,
      expr: `absent(${selector(METRICS.degradationLevel.name, job)})`,
      for: FOR.metricsAbsent,
      severity: 'critical',
      summary: `No runtime metrics from ${service.name}`,
      description:
        `Prometheus has had no ${METRICS.degradationLevel.name} series for {{ $labels.job }} for ${FOR.metricsAbsent}: ` +
        `no instance is scraped (none discovered, all down) or the runtime's metrics are not exported, so every other alert of ${service.name} is blind.`,
    }),
    ctx.alert({
      alert: ALERT.highMemoryUsage,
      expr: `${selector(NODE_METRICS.processResidentMemoryBytes.name, job)} > ${THRESHOLDS.memoryBytes}`,
      for: FOR.highMemoryUsage,
      severity: 'warning',
      summary: `${service.name} at {{ $labels.instance }} uses more memory than its budget`,
      description:
        `{{ $labels.instance }} of {{ $labels.job }} has used {{ $value | humanize1024 }}B resident memory for ${FOR.highMemoryUsage}, ` +
        `above the ${THRESHOLDS.memoryBytes / 1024 / 1024}MiB budget.`,
    }),
    ctx.alert({
      alert: ALERT.highEventLoopLag,
      expr: `${selector(NODE_METRICS.eventLoopLagP99Seconds.name, job)} > ${num(lagThreshold)}`,
      for: FOR.highEventLoopLag,
      severity: 'warning',
      summary: `Event loop of ${service.name} at {{ $labels.instance }} is lagging`,
      description:
        `p99 event loop lag on {{ $labels.instance }} of {{ $labels.job }} has been {{ $value | humanizeDuration }} for ${FOR.highEventLoopLag}, ` +
        `above the ${service.objectives.latency.thresholdMs}ms latency objective: every request waits at least that long.`,
    }),
  ];
}

/**
 * Always firing, by design (kube-prometheus' `Watchdog` convention): its notifications prove that
 * rules are evaluated and alerts delivered. Its own severity routes it to a heartbeat receiver,
 * never to a person, and it inhibits nothing; whoever watches that receiver alarms when it goes quiet.
 */
function heartbeatAlert(ctx: RuleContext): AlertingRule {
  const { service } = ctx;
  return ctx.alert({
    alert: ALERT.heartbeat,
    expr: 'vector(1)',
    severity: HEARTBEAT_SEVERITY,
    summary: `Heartbeat of the alerting pipeline of ${service.name} (always firing)`,
    description:
      `Always firing, by design: while its notifications arrive, the rules of ${service.name} are evaluated and their alerts ` +
      `reach the alert manager and its receivers. If they stop, nothing else can alert: the watcher of the heartbeat receiver pages.`,
  });
}

/** Every recorded series name the rules define, with the labels it keeps (for the PromQL checker). */
export function recordedSeries(groups: RuleGroups): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const g of groups.groups) {
    for (const r of g.rules) if ('record' in r) out.set(r.record, [...RECORDED_LABELS, ...Object.keys(r.labels ?? {})]);
  }
  return out;
}
