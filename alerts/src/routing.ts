/**
 * How the generated alerts reach people: the severities they are routed by, how they are grouped
 * and which alert silences which. One source for every Alertmanager configuration Bulwark writes
 * (the AWS `MonitoringWorkspace` alert manager) and for what its docs say about routing.
 */
import { LABEL, TARGET_LABELS } from '@bulwark/runtime/catalog';
import { ALERT } from './rules';
import { HEARTBEAT_SEVERITY, type Severity } from './types';

/** Prometheus's own target label naming one scraped process. */
const INSTANCE_LABEL = TARGET_LABELS[1];

/** Label every generated alert carries: where it is routed. */
export const SEVERITY_LABEL = 'severity';

/** The severities the generated rules use, in routing order (one receiver each). */
export const SEVERITIES = ['critical', 'warning', HEARTBEAT_SEVERITY] as const satisfies readonly Severity[];

/** Alerts notified together: one notification per alert name, service and severity. */
export const GROUP_BY = ['alertname', LABEL.service, SEVERITY_LABEL] as const;

/** How long a group waits for more alerts before its first notification, and between updates. */
export const GROUP_WAIT = '30s';
export const GROUP_INTERVAL = '5m';

/** A route's own timing, where it differs from the top route's (`GROUP_WAIT`, `GROUP_INTERVAL`). */
export interface RouteTiming {
  readonly group_wait?: string;
  readonly group_interval?: string;
  /** How often a still-firing alert is sent again. */
  readonly repeat_interval: string;
}

export const ROUTE_TIMING: Readonly<Record<Severity, RouteTiming>> = {
  critical: { repeat_interval: '1h' },
  warning: { repeat_interval: '4h' },
  // The heartbeat is sent at once and then every minute, so its watcher can tell silence from a
  // slow notification within minutes (HEARTBEAT_SILENCE).
  heartbeat: { group_wait: '0s', group_interval: '1m', repeat_interval: '1m' },
};

/** How long the heartbeat receiver may hear nothing before its watcher pages: ten missed beats. */
export const HEARTBEAT_SILENCE_MINUTES = 10;

/** An Alertmanager inhibition: while a `source` alert fires, matching `target` alerts with the same `equal` labels are not notified. */
export interface InhibitRule {
  readonly source_matchers: readonly string[];
  readonly target_matchers: readonly string[];
  readonly equal: readonly string[];
}

export const INHIBIT_RULES: readonly InhibitRule[] = [
  // The page-level burn silences the ticket-level burn of the same objective. `dependency` is in
  // `equal` so that a critical dependency's outage never hides another dependency's warning.
  {
    source_matchers: [`${SEVERITY_LABEL}="critical"`],
    target_matchers: [`${SEVERITY_LABEL}="warning"`],
    equal: ['alertname', LABEL.service, LABEL.dependency],
  },
  // MINIMAL or worse says more than "degraded" about the same instance.
  {
    source_matchers: [`alertname="${ALERT.systemMinimal}"`],
    target_matchers: [`alertname="${ALERT.systemDegraded}"`],
    equal: [LABEL.service, INSTANCE_LABEL],
  },
];
