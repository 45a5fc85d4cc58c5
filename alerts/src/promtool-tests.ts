/**
 * promtool unit tests for a service's generated rules: for every alert, input series that must
 * fire it (at exactly the evaluation where its `for:` has elapsed, and not one step earlier) and
 * healthy or near-miss series on which it stays silent. Expected labels and annotations are
 * stated in full, so the templates are tested too. The scenarios are written here by hand; the
 * rule details (names, static labels, annotation templates) come from the built rules.
 */
import { Document } from 'yaml';
import { LEVEL, type ServiceDeclaration } from '@bulwark/runtime/declaration';
import { BREAKER_STATE_VALUE, LABEL, METRICS, NODE_METRICS, httpLatencyBuckets } from '@bulwark/runtime/catalog';
import { SCRAPE_SERIES } from '@bulwark/runtime/catalog';
import { expandTemplate } from './go-template';
import { selector } from './promql';
import { generatedHeader, ruleFileName } from './render';
import { ALERT, CRITICAL_VALIDATION_LEVEL, THRESHOLDS, buildRuleGroups, type AlertName, type BuildOptions } from './rules';
import { BURN_RATE_ALERTS, type BurnRateCondition, errorBudget, errorRatioRecord, latencyBudget, slowRatioRecord } from './slo';
import { isAlertingRule, type AlertingRule, type RuleGroups } from './types';

export function ruleTestFileName(service: ServiceDeclaration): string {
  return `${service.name}.test.yml`;
}

/** Minutes of input each scenario provides (long enough for the 1h burn-rate window). */
const STEPS = 100;
const INSTANCE = 'app-1:8080';
const OTHER_INSTANCE = 'app-2:8080';
const WARNING_VALIDATION_LEVEL = 'warning';

type Series = Map<string, string>;

interface Expected {
  /** Picks the rule: its static labels, or a `label="value"` matcher in its expression. */
  readonly where?: Readonly<Record<string, string>>;
  /** Labels the query result carries (what `$labels` sees). */
  readonly labels: Readonly<Record<string, string>>;
  /** The alert's value (what `$value` is). */
  readonly value: number;
}

interface Check {
  readonly at: number;
  readonly alert: AlertName;
  readonly expect: readonly Expected[];
}

interface ExprCheck {
  readonly at: number;
  readonly expr: string;
  readonly samples: readonly { labels: string; value: number }[];
}

interface Scenario {
  readonly name: string;
  readonly series: Series;
  readonly checks: readonly Check[];
  readonly exprChecks?: readonly ExprCheck[];
}

const constant = (v: number, steps = STEPS) => `${v}+0x${steps}`;
const counter = (perMinute: number, steps = STEPS) => `0+${perMinute}x${steps}`;

/** A counter starting at 0 that grows at each [per-minute rate, minutes] phase in turn. */
function counterPhases(phases: readonly (readonly [number, number])[], steps: number): string {
  const total = phases.reduce((n, [, m]) => n + m, 0);
  if (total !== steps) throw new Error(`counter phases last ${total} minutes; the scenario has ${steps}`);
  let value = 0;
  return phases
    .map(([rate, m], i) => {
      const segment = i === 0 ? `0+${rate}x${m}` : `${value + rate}+${rate}x${m - 1}`;
      value += rate * m;
      return segment;
    })
    .join(' ');
}

/** One stretch of steady traffic: requests per minute by status, and by latency as [upper bound in seconds, requests per minute]. */
interface TrafficPhase {
  /** Minutes it lasts; a single phase lasts the whole scenario. */
  readonly minutes?: number;
  readonly statuses: readonly (readonly [string, number])[];
  readonly latency: readonly (readonly [number, number])[];
}

type Traffic = TrafficPhase | readonly TrafficPhase[];

/** 100 requests a minute, all 200, all answered within the fastest bucket that holds them comfortably. */
const REQUESTS_PER_MINUTE = 100;
const HEALTHY_TRAFFIC: TrafficPhase = { statuses: [['200', REQUESTS_PER_MINUTE]], latency: [[0.05, REQUESTS_PER_MINUTE]] };

class Fixture {
  readonly job: { job: string };
  readonly deps: string[];

  constructor(
    readonly service: ServiceDeclaration,
    /** Minutes of input. */
    readonly steps: number = STEPS,
  ) {
    this.job = { job: service.name };
    this.deps = Object.keys(service.dependencies);
  }

  target(instance = INSTANCE): Record<string, string> {
    return { ...this.job, instance };
  }

  /** Every series a healthy instance exports, steady for the whole scenario. */
  healthy(traffic: Traffic = HEALTHY_TRAFFIC): Series {
    const s: Series = new Map();
    const t = this.target();
    s.set(selector(SCRAPE_SERIES.up, t), constant(1, this.steps));
    s.set(selector(METRICS.degradationLevel.name, t), constant(LEVEL.OPTIMAL, this.steps));
    this.traffic(s, traffic);
    for (const d of this.deps) {
      s.set(selector(METRICS.dependencyConfigured.name, { ...t, [LABEL.dependency]: d }), constant(1, this.steps));
      s.set(selector(METRICS.dependencyUp.name, { ...t, [LABEL.dependency]: d }), constant(1, this.steps));
      s.set(selector(METRICS.circuitBreakerState.name, { ...t, [LABEL.name]: d }), constant(BREAKER_STATE_VALUE.closed, this.steps));
    }
    s.set(selector(METRICS.startupValidationFailures.name, { ...t, [LABEL.level]: CRITICAL_VALIDATION_LEVEL }), constant(0, this.steps));
    s.set(selector(METRICS.startupValidationFailures.name, { ...t, [LABEL.level]: WARNING_VALIDATION_LEVEL }), constant(0, this.steps));
    s.set(selector(NODE_METRICS.processResidentMemoryBytes.name, t), constant(100 * 1024 * 1024, this.steps));
    s.set(selector(NODE_METRICS.eventLoopLagP99Seconds.name, t), constant(0.01, this.steps));
    return s;
  }

  /** The route template the scenarios' traffic goes to. */
  get endpoint(): string {
    return this.service.routes[0] ?? '/';
  }

  traffic(s: Series, traffic: Traffic): Series {
    const route = { ...this.target(), [LABEL.method]: 'GET', [LABEL.endpoint]: this.endpoint };
    for (const key of [...s.keys()]) {
      if (key.startsWith(`${METRICS.httpRequestsTotal.name}{`) || key.startsWith(`${METRICS.httpRequestDurationSeconds.name}_`)) s.delete(key);
    }
    const phases: readonly TrafficPhase[] = Array.isArray(traffic) ? traffic : [{ ...(traffic as TrafficPhase), minutes: this.steps }];
    // One counter per series, growing at each phase's rate in turn.
    const grow = (rate: (p: TrafficPhase) => number) => counterPhases(phases.map((p) => [rate(p), p.minutes ?? this.steps] as const), this.steps);
    const sum = (pairs: readonly (readonly [unknown, number])[]) => pairs.reduce((n, [, c]) => n + c, 0);
    const statuses = [...new Set(phases.flatMap((p) => p.statuses.map(([st]) => st)))];
    for (const status of statuses) {
      const values = grow((p) => p.statuses.find(([st]) => st === status)?.[1] ?? 0);
      s.set(selector(METRICS.httpRequestsTotal.name, { ...route, [LABEL.status]: status }), values);
    }
    const base = METRICS.httpRequestDurationSeconds.name;
    for (const le of httpLatencyBuckets(this.service.objectives.latency.thresholdMs)) {
      s.set(selector(`${base}_bucket`, { ...route, le: String(le) }), grow((p) => sum(p.latency.filter(([upper]) => upper <= le))));
    }
    s.set(selector(`${base}_bucket`, { ...route, le: '+Inf' }), grow((p) => sum(p.latency)));
    s.set(selector(`${base}_count`, route), grow((p) => sum(p.latency)));
    s.set(selector(`${base}_sum`, route), grow((p) => p.latency.reduce((n, [upper, c]) => n + upper * c, 0)));
    return s;
  }

  with(s: Series, entries: Readonly<Record<string, string>>): Series {
    for (const [k, v] of Object.entries(entries)) s.set(k, v);
    return s;
  }
}

function minutes(m: number): string {
  return `${m}m`;
}

function forMinutes(rule: AlertingRule | undefined): number {
  if (!rule?.for) return 0;
  const m = /^(\d+)m$/.exec(rule.for);
  if (!m) throw new Error(`alert ${rule.alert}: for "${rule.for}" is not in whole minutes; the test scenarios step by 1m`);
  return Number(m[1]);
}

/** A firing check at exactly `onset + for`, and a silent one a step before when `for` leaves room. */
function firesAfterFor(rules: readonly AlertingRule[], alert: AlertName, onset: number, expect: readonly Expected[]): Check[] {
  const hold = Math.max(...expect.map((e) => forMinutes(pick(rules, alert, e.where ?? {}))));
  const checks: Check[] = [];
  if (onset + hold > 0) checks.push({ at: onset + hold - 1, alert, expect: [] });
  checks.push({ at: onset + hold, alert, expect });
  return checks;
}

function silent(alerts: readonly AlertName[], ...at: number[]): Check[] {
  return at.flatMap((t) => alerts.map((alert) => ({ at: t, alert, expect: [] })));
}

function pick(rules: readonly AlertingRule[], alert: AlertName, where: Readonly<Record<string, string>>): AlertingRule {
  const found = rules.filter(
    (r) =>
      r.alert === alert &&
      Object.entries(where).every(([k, v]) => (k in r.labels ? r.labels[k] === v : r.expr.includes(`${k}=${JSON.stringify(v)}`))),
  );
  if (found.length !== 1) throw new Error(`test scenario: ${found.length} rules of ${alert} match ${JSON.stringify(where)}; expected exactly 1`);
  return found[0];
}

function scenarios(service: ServiceDeclaration, rules: readonly AlertingRule[]): Scenario[] {
  const f = new Fixture(service);
  const job = f.job;
  const target = f.target();
  // Every alert but the always-firing Heartbeat.
  const allAlerts = Object.values(ALERT).filter((a) => a !== ALERT.heartbeat && rules.some((r) => r.alert === a));
  const thresholdS = service.objectives.latency.thresholdMs / 1000;
  const slowUpper = firstBucketAbove(service, thresholdS);
  const out: Scenario[] = [];

  out.push({
    name: 'healthy instance: every alert stays silent',
    series: f.healthy(),
    checks: silent(allAlerts, 10, STEPS),
    exprChecks: [
      { at: 30, expr: selector(errorRatioRecord('5m'), job), samples: [{ labels: selector(errorRatioRecord('5m'), job), value: 0 }] },
      { at: 30, expr: selector(slowRatioRecord('1h'), job), samples: [{ labels: selector(slowRatioRecord('1h'), job), value: 0 }] },
    ],
  });

  const page = { severity: 'critical' };
  const ticket = { severity: 'warning' };
  // The workbook's four conditions: page 14.4× over 1h and 5m or 6× over 6h and 30m; ticket 3× over 1d and 2h or 1× over 3d and 6h.
  const [pageFast, pageSlow] = BURN_RATE_ALERTS[0].conditions;
  const [ticketFast, ticketSlow] = BURN_RATE_ALERTS[1].conditions;
  const windows = (c: BurnRateCondition) => `${c.long} and ${c.short}`;

  // HighErrorRate on its own threshold.
  const highErrors = THRESHOLDS.errorRatio * 2;
  out.push({
    name: `${pct(highErrors)} of requests answer 5xx: HighErrorRate after its for`,
    series: f.traffic(f.healthy(), statusShares(highErrors)),
    checks: firesAfterFor(rules, ALERT.highErrorRate, 1, [{ labels: job, value: highErrors }]),
    exprChecks: [{ at: 30, expr: selector(errorRatioRecord('5m'), job), samples: [{ labels: selector(errorRatioRecord('5m'), job), value: highErrors }] }],
  });
  const nearErrors = THRESHOLDS.errorRatio * 0.8;
  out.push({
    name: `${pct(nearErrors)} of requests answer 5xx: under the HighErrorRate threshold, silent`,
    series: f.traffic(f.healthy(), statusShares(nearErrors)),
    checks: silent([ALERT.highErrorRate], 10, STEPS),
  });

  // Each burn-rate condition on its own, with ratios just past (or short of) its factor.
  for (const [slo, budget, alert, traffic] of [
    ['error', errorBudget(service), ALERT.errorBudgetBurn, statusShares],
    ['latency', latencyBudget(service), ALERT.latencyBudgetBurn, (r: number, ph?: Phases) => slowShares(r, thresholdS, slowUpper, ph)],
  ] as const) {
    // Clean for 5h, then 1.1× the fast page factor for the last hour (or halfway to every request
    // failing, for an objective so low that 1.1× would be more than all of them): the 6h and 1d
    // ratios are a sixth of it.
    const lastHour = Math.min(pageFast.factor * budget * 1.1, (pageFast.factor * budget + 1) / 2);
    const sixHours = new Fixture(service, 360);
    out.push({
      name: `${slo} ratio ${pct(lastHour)} in the last hour only: page on ${windows(pageFast)} (${pageSlow.long} under its factor), ticket on ${windows(ticketSlow)}`,
      series: sixHours.traffic(sixHours.healthy(), traffic(lastHour, [[300, false], [60, true]])),
      checks: [{ at: 360, alert, expect: [{ where: page, labels: job, value: lastHour }, { where: ticket, labels: job, value: lastHour / 6 }] }],
    });
    const steadyPage = pageSlow.factor * budget * 1.2;
    out.push({
      name: `steady ${slo} ratio ${pct(steadyPage)}: page on ${windows(pageSlow)} (under the ${pageFast.long} factor), and ticket`,
      series: f.traffic(f.healthy(), traffic(steadyPage)),
      checks: [{ at: 60, alert, expect: [{ where: page, labels: job, value: steadyPage }, { where: ticket, labels: job, value: steadyPage }] }],
    });
    // A burst that stopped 35 minutes ago: the long windows still burn, the short ones are clean.
    const burst = Math.min(1, budget * 40);
    out.push({
      name: `a ${pct(burst)} ${slo} burst that stopped 35 minutes ago: the short windows end the page, the ticket stays`,
      series: f.traffic(f.healthy(), traffic(burst, [[60, true], [40, false]])),
      checks: [
        { at: 50, alert, expect: [{ where: page, labels: job, value: burst }, { where: ticket, labels: job, value: burst }] },
        { at: 95, alert, expect: [{ where: ticket, labels: job, value: (burst * 60) / 95 }] },
      ],
    });
    const steadyTicket = ticketFast.factor * budget * 1.33;
    out.push({
      name: `steady ${slo} ratio ${pct(steadyTicket)}: ticket, no page`,
      series: f.traffic(f.healthy(), traffic(steadyTicket)),
      checks: [{ at: STEPS, alert, expect: [{ where: ticket, labels: job, value: steadyTicket }] }],
    });
    const steadySlowTicket = ticketSlow.factor * budget * 2;
    out.push({
      name: `steady ${slo} ratio ${pct(steadySlowTicket)}: ticket on ${windows(ticketSlow)} only`,
      series: f.traffic(f.healthy(), traffic(steadySlowTicket)),
      checks: [{ at: STEPS, alert, expect: [{ where: ticket, labels: job, value: steadySlowTicket }] }],
    });
    const within = budget * 0.8;
    out.push({
      name: `steady ${slo} ratio ${pct(within)}: within the budget, silent`,
      series: f.traffic(f.healthy(), traffic(within)),
      checks: silent([alert], 10, STEPS),
    });
  }

  const quantile = service.objectives.latency.target;
  out.push({
    name: 'every request is slower than the latency objective: HighLatency after its for',
    series: f.traffic(f.healthy(), slowShares(1, thresholdS, slowUpper)),
    // histogram_quantile interpolates linearly inside the (threshold, next bucket] bucket.
    checks: firesAfterFor(rules, ALERT.highLatency, 1, [{ labels: job, value: thresholdS + (slowUpper - thresholdS) * quantile }]),
    exprChecks: [{ at: 30, expr: selector(slowRatioRecord('5m'), job), samples: [{ labels: selector(slowRatioRecord('5m'), job), value: 1 }] }],
  });
  // Slow share just under 1 - quantile: the quantile lands inside the threshold's own bucket.
  const underQuantile = (1 - quantile) * 0.8;
  out.push({
    name: `${pct(underQuantile)} of requests slower than the objective: the latency quantile stays under the threshold, HighLatency silent`,
    series: f.traffic(f.healthy(), slowShares(underQuantile, thresholdS, slowUpper)),
    checks: silent([ALERT.highLatency], 10, STEPS),
  });

  if (rules.some((r) => r.alert === ALERT.rateLimitedRequests)) {
    // Busy enough (1000 requests a minute) that the limited rate passes its floor from the first minute on.
    const busy = REQUESTS_PER_MINUTE * 10;
    const limited = THRESHOLDS.rateLimitedRatio * 2;
    out.push({
      name: `${pct(limited)} of ${busy} requests a minute refused by the rate limit: RateLimitedRequests after its for`,
      series: rateLimitedTraffic(f, limited, busy),
      checks: firesAfterFor(rules, ALERT.rateLimitedRequests, 1, [{ labels: job, value: limited }]),
    });
    const nearLimited = THRESHOLDS.rateLimitedRatio * 0.8;
    out.push({
      name: `${pct(nearLimited)} of ${busy} requests a minute refused by the rate limit: under the threshold, silent`,
      series: rateLimitedTraffic(f, nearLimited, busy),
      checks: silent([ALERT.rateLimitedRequests], 20, STEPS),
    });
    // One limited request a minute is 25% of this quiet service's traffic but far under the floor.
    const quiet = 4;
    out.push({
      name: `1 of ${quiet} requests a minute refused by the rate limit: a handful, under the floor of ${THRESHOLDS.rateLimitedPerSecond}/s, silent`,
      series: rateLimitedTraffic(f, 1 / quiet, quiet),
      checks: silent([ALERT.rateLimitedRequests], 20, STEPS),
    });
    const burstMinutes = 4;
    out.push({
      name: `a ${burstMinutes}-minute burst of ${pct(limited * 2)} refused by the rate limit: over before its for, silent`,
      series: rateLimitedTraffic(f, limited * 2, busy, [[burstMinutes, true], [STEPS - burstMinutes, false]]),
      checks: silent([ALERT.rateLimitedRequests], 5, 10, 15, 20),
    });
  }

  const [firstDep, secondDep] = f.deps;
  if (firstDep) {
    const breaker = (instance: string, name: string) => selector(METRICS.circuitBreakerState.name, { ...job, instance, [LABEL.name]: name });
    const openSeries = f.with(f.healthy(), {
      [breaker(INSTANCE, firstDep)]: constant(BREAKER_STATE_VALUE.open),
      [breaker(OTHER_INSTANCE, firstDep)]: constant(BREAKER_STATE_VALUE.open),
      ...(secondDep ? { [breaker(INSTANCE, secondDep)]: constant(BREAKER_STATE_VALUE['half-open']) } : {}),
    });
    out.push({
      name: `breaker ${firstDep} open on two instances (${secondDep ?? 'no other'} half-open): CircuitBreakerOpen for ${firstDep} only`,
      series: openSeries,
      checks: firesAfterFor(rules, ALERT.circuitBreakerOpen, 0, [{ labels: { ...job, [LABEL.name]: firstDep }, value: 2 }]),
    });

    const transitions = selector(METRICS.circuitBreakerTransitionsTotal.name, {
      ...target,
      [LABEL.name]: firstDep,
      [LABEL.fromState]: 'closed',
      [LABEL.toState]: 'open',
    });
    out.push({
      name: `breaker ${firstDep} changes state every minute: CircuitBreakerFlapping`,
      series: f.with(f.healthy(), { [transitions]: counter(1) }),
      checks: [{ at: 20, alert: ALERT.circuitBreakerFlapping, expect: [{ labels: { ...target, [LABEL.name]: firstDep }, value: 15 }] }],
    });
    out.push({
      name: `breaker ${firstDep} opened once: not flapping`,
      series: f.with(f.healthy(), { [transitions]: `0+0x4 1+0x${STEPS - 5}` }),
      checks: silent([ALERT.circuitBreakerFlapping], 10, 20),
    });
  }

  // A disabled dependency (an optional one not configured) exports no dependency_up: nothing fires for it.
  const optional = Object.entries(service.dependencies).find(([, dep]) => !dep.critical);
  if (optional) {
    const [name] = optional;
    const disabled = f.healthy();
    disabled.delete(selector(METRICS.dependencyUp.name, { ...target, [LABEL.dependency]: name }));
    disabled.set(selector(METRICS.dependencyConfigured.name, { ...target, [LABEL.dependency]: name }), constant(0));
    out.push({ name: `dependency ${name} disabled (not configured): every alert stays silent`, series: disabled, checks: silent(allAlerts, 10, STEPS) });
  }

  for (const [name, dep] of Object.entries(service.dependencies)) {
    out.push({
      name: `dependency ${name} down: DependencyDown (${dep.impact === 'EMERGENCY' ? 'critical' : 'warning'}) for ${name} only`,
      series: f.with(f.healthy(), { [selector(METRICS.dependencyUp.name, { ...target, [LABEL.dependency]: name })]: constant(0) }),
      checks: firesAfterFor(rules, ALERT.dependencyDown, 0, [{ where: { [LABEL.dependency]: name }, labels: { ...job, [LABEL.dependency]: name }, value: 1 }]),
    });
  }

  const level = selector(METRICS.degradationLevel.name, target);
  out.push({
    name: 'level DEGRADED: SystemDegraded after its for, SystemMinimal silent',
    series: f.with(f.healthy(), { [level]: constant(LEVEL.DEGRADED) }),
    checks: [...firesAfterFor(rules, ALERT.systemDegraded, 0, [{ labels: target, value: LEVEL.DEGRADED }]), ...silent([ALERT.systemMinimal], 10)],
  });
  out.push({
    name: 'level MINIMAL: SystemMinimal after its for, and SystemDegraded',
    series: f.with(f.healthy(), { [level]: constant(LEVEL.MINIMAL) }),
    checks: [
      ...firesAfterFor(rules, ALERT.systemMinimal, 0, [{ labels: target, value: LEVEL.MINIMAL }]),
      ...firesAfterFor(rules, ALERT.systemDegraded, 0, [{ labels: target, value: LEVEL.MINIMAL }]),
    ],
  });

  const critical = selector(METRICS.startupValidationFailures.name, { ...target, [LABEL.level]: CRITICAL_VALIDATION_LEVEL });
  const warning = selector(METRICS.startupValidationFailures.name, { ...target, [LABEL.level]: WARNING_VALIDATION_LEVEL });
  out.push({
    name: 'two critical startup checks failed: StartupValidationFailed',
    series: f.with(f.healthy(), { [critical]: constant(2) }),
    checks: firesAfterFor(rules, ALERT.startupValidationFailed, 0, [
      { labels: { ...target, [LABEL.level]: CRITICAL_VALIDATION_LEVEL }, value: 2 },
    ]),
  });
  out.push({
    name: 'only warnings at startup: StartupValidationFailed silent',
    series: f.with(f.healthy(), { [warning]: constant(3) }),
    checks: silent([ALERT.startupValidationFailed], 0, 10),
  });

  const up = selector(SCRAPE_SERIES.up, target);
  out.push({
    name: 'scrapes fail: TargetDown after its for',
    series: f.with(f.healthy(), { [up]: constant(0) }),
    checks: firesAfterFor(rules, ALERT.targetDown, 0, [{ labels: target, value: 0 }]),
  });
  const noRuntime = f.healthy();
  noRuntime.delete(level);
  out.push({
    name: 'the runtime exports no metrics: MetricsAbsent after its for',
    series: noRuntime,
    checks: firesAfterFor(rules, ALERT.metricsAbsent, 0, [{ labels: job, value: 1 }]),
  });

  const memory = selector(NODE_METRICS.processResidentMemoryBytes.name, target);
  out.push({
    name: 'resident memory 600MiB: HighMemoryUsage after its for',
    series: f.with(f.healthy(), { [memory]: constant(600 * 1024 * 1024) }),
    checks: firesAfterFor(rules, ALERT.highMemoryUsage, 0, [{ labels: target, value: 600 * 1024 * 1024 }]),
  });
  out.push({
    name: 'resident memory just under the budget: silent',
    series: f.with(f.healthy(), { [memory]: constant(THRESHOLDS.memoryBytes - 1024 * 1024) }),
    checks: silent([ALERT.highMemoryUsage], 20, STEPS),
  });

  const lag = selector(NODE_METRICS.eventLoopLagP99Seconds.name, target);
  const highLag = thresholdS * 2.5;
  out.push({
    name: `event loop lag p99 ${highLag * 1000}ms: HighEventLoopLag after its for`,
    series: f.with(f.healthy(), { [lag]: constant(highLag) }),
    checks: firesAfterFor(rules, ALERT.highEventLoopLag, 0, [{ labels: target, value: highLag }]),
  });
  out.push({
    name: 'event loop lag p99 below the latency objective: silent',
    series: f.with(f.healthy(), { [lag]: constant(thresholdS / 2) }),
    checks: silent([ALERT.highEventLoopLag], 10, STEPS),
  });

  if (rules.some((r) => r.alert === ALERT.heartbeat)) {
    const beat = [{ labels: {}, value: 1 }];
    out.push({
      name: 'healthy or not, the Heartbeat fires from the first evaluation on and never stops',
      series: f.with(f.healthy(), { [up]: constant(0) }),
      checks: [0, 10, STEPS].map((at) => ({ at, alert: ALERT.heartbeat, expect: beat })),
    });
  }
  return out;
}

function pct(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(3))}%`;
}

/** [minutes, whether the phase is bad] stretches; omitted, the whole scenario is bad. */
type Phases = readonly (readonly [number, boolean])[];

function phased(phases: Phases | undefined, bad: TrafficPhase): Traffic {
  for (const [, perMinute] of [...bad.statuses, ...bad.latency]) {
    if (perMinute < 0) throw new Error(`test traffic: a ratio above 1 gives ${perMinute} requests a minute; the budget is too large for this scenario`);
  }
  return phases ? phases.map(([minutes, isBad]) => ({ ...(isBad ? bad : HEALTHY_TRAFFIC), minutes })) : bad;
}

/** `ratio` of the requests answer 5xx (in the bad phases). */
function statusShares(ratio: number, phases?: Phases): Traffic {
  const n = REQUESTS_PER_MINUTE;
  return phased(phases, { ...HEALTHY_TRAFFIC, statuses: [['200', n * (1 - ratio)], ['500', n * ratio]] });
}

/** `ratio` of the requests take longer than the threshold (in the bad phases); the rest land in the threshold's own bucket. */
function slowShares(ratio: number, thresholdS: number, slowUpper: number, phases?: Phases): Traffic {
  const n = REQUESTS_PER_MINUTE;
  return phased(phases, { ...HEALTHY_TRAFFIC, latency: [[thresholdS, n * (1 - ratio)], [slowUpper, n * ratio]] });
}

/**
 * `perMinute` requests a minute of which `ratio` are refused by the rate limit (in the bad phases):
 * answered 429 in http_requests_total and counted in http_requests_rate_limited_total, as the runtime does.
 */
function rateLimitedTraffic(f: Fixture, ratio: number, perMinute: number, phases?: Phases): Series {
  const limited = perMinute * ratio;
  const fast = [[HEALTHY_TRAFFIC.latency[0]![0], perMinute]] as const;
  const ok: TrafficPhase = { statuses: [['200', perMinute]], latency: fast };
  const bad: TrafficPhase = { statuses: [['200', perMinute - limited], ['429', limited]], latency: fast };
  const spans = phases ?? [[f.steps, true]];
  const s = f.traffic(f.healthy(), spans.map(([minutes, isBad]) => ({ ...(isBad ? bad : ok), minutes })));
  const counted = selector(METRICS.httpRequestsRateLimitedTotal.name, { ...f.target(), [LABEL.endpoint]: f.endpoint });
  s.set(counted, counterPhases(spans.map(([minutes, isBad]) => [isBad ? limited : 0, minutes] as const), f.steps));
  return s;
}

function firstBucketAbove(service: ServiceDeclaration, seconds: number): number {
  const b = httpLatencyBuckets(service.objectives.latency.thresholdMs).find((x) => x > seconds);
  if (b === undefined) throw new Error(`no HTTP duration bucket above ${seconds}s to place slow requests in`);
  return b;
}

function sortKeys(o: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The promtool test document (`promtool test rules`) for one service, as a plain object. */
export function buildRuleTests(service: ServiceDeclaration, groups: RuleGroups = buildRuleGroups(service), ruleFile: string = ruleFileName(service)): Record<string, unknown> {
  const rules = groups.groups.flatMap((g) => g.rules).filter(isAlertingRule);
  return {
    rule_files: [ruleFile],
    evaluation_interval: '1m',
    // Without an explicit order promtool evaluates groups in map order, so alerts would read the
    // recording rules' output of this step or of the previous one at random.
    group_eval_order: groups.groups.map((g) => g.name),
    tests: scenarios(service, rules).map((s) => ({
      name: s.name,
      interval: '1m',
      input_series: [...s.series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([series, values]) => ({ series, values })),
      alert_rule_test: s.checks.map((c) => ({
        eval_time: minutes(c.at),
        alertname: c.alert,
        ...(c.expect.length
          ? {
              exp_alerts: c.expect.map((e) => {
                const rule = pick(rules, c.alert, e.where ?? {});
                return {
                  exp_labels: sortKeys({ ...e.labels, ...rule.labels }),
                  exp_annotations: {
                    summary: expandTemplate(rule.annotations.summary, e.labels, e.value),
                    description: expandTemplate(rule.annotations.description, e.labels, e.value),
                    runbook_url: rule.annotations.runbook_url,
                  },
                };
              }),
            }
          : {}),
      })),
      ...(s.exprChecks?.length
        ? {
            promql_expr_test: s.exprChecks.map((e) => ({
              expr: e.expr,
              eval_time: minutes(e.at),
              exp_samples: e.samples.map((x) => ({ labels: x.labels, value: x.value })),
            })),
          }
        : {}),
    })),
  };
}

export interface RuleTestFileOptions extends BuildOptions {
  /** Where promtool finds the rule file, relative to the test file's folder. @default the rule file's name: the same folder */
  readonly ruleFile?: string;
}

/** The promtool test file for one service's rule file: run `promtool test rules <file>` from its folder. */
export function renderRuleTestFile(service: ServiceDeclaration, options: RuleTestFileOptions = {}): string {
  const ruleFile = options.ruleFile ?? ruleFileName(service);
  const doc = new Document(buildRuleTests(service, buildRuleGroups(service, options), ruleFile));
  doc.commentBefore = [
    ...generatedHeader(`promtool unit tests for ${ruleFile} ("${service.name}").`),
    ` Run from this folder: promtool test rules ${ruleTestFileName(service)}`,
  ].join('\n');
  return doc.toString({ lineWidth: 0, indent: 2, indentSeq: true });
}
