/**
 * The service's monitoring as cluster objects: a ServiceMonitor for the Prometheus Operator, a
 * PrometheusRule with exactly the generated rule groups, and the generated Grafana dashboards as
 * ConfigMaps for Grafana's dashboard sidecar.
 */
import { HEALTH_PATH } from '@bulwark/runtime/catalog';
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-31';
import type { Construct } from 'constructs';
import { parse } from 'yaml';
import { renderRuleFile } from '@bulwark/alerts';
import { renderDashboards } from '@bulwark/dashboards';
import { commonLabels, JOB_LABEL, selectorLabels } from './labels';
import type { ChartSettings } from './resolve';
import { ADMIN_PORT_NAME } from './workload';

export const MONITORING_API_VERSION = 'monitoring.coreos.com/v1';

/** A ConfigMap's whole object must stay under 1 MiB (etcd's limit); this leaves room for metadata. */
export const CONFIGMAP_DATA_LIMIT_BYTES = 1024 * 1024 - 16 * 1024;

/** Rule groups as the rule file holds them: plain JSON objects. */
export type RuleGroupObject = Readonly<Record<string, unknown>> & { readonly name: string; readonly rules: readonly unknown[] };

export function serviceMonitor(scope: Construct, settings: ChartSettings): ApiObject {
  const { service } = settings;
  return new ApiObject(scope, 'service-monitor', {
    apiVersion: MONITORING_API_VERSION,
    kind: 'ServiceMonitor',
    metadata: { name: service.name, labels: { ...commonLabels(service), ...settings.serviceMonitorLabels } },
    spec: {
      // `job` comes from this label of the Service, whose value is the declared name (the Service is
      // also named after it) — the `job="<service>"` every generated rule and panel selects.
      jobLabel: JOB_LABEL,
      selector: { matchLabels: { ...selectorLabels(service) } },
      endpoints: [
        // The admin listener's port: the app port does not serve /metrics.
        { port: ADMIN_PORT_NAME, path: HEALTH_PATH.metrics, scheme: 'http', interval: settings.scrapeInterval, scrapeTimeout: settings.scrapeTimeout },
      ],
    },
  });
}

/** The `groups` of the generated rule file, parsed from the very text `alerts/` writes. */
export function generatedRuleGroups(settings: ChartSettings): RuleGroupObject[] {
  const text = renderRuleFile(settings.service, {
    heartbeat: settings.heartbeat,
    ...(settings.runbookBaseUrl !== undefined ? { runbookBaseUrl: settings.runbookBaseUrl } : {}),
  });
  const doc = parse(text) as { groups: RuleGroupObject[] };
  return doc.groups;
}

export function prometheusRuleName(settings: ChartSettings): string {
  return `${settings.service.name}-rules`;
}

export function prometheusRule(scope: Construct, settings: ChartSettings): ApiObject {
  return new ApiObject(scope, 'prometheus-rule', {
    apiVersion: MONITORING_API_VERSION,
    kind: 'PrometheusRule',
    metadata: { name: prometheusRuleName(settings), labels: { ...commonLabels(settings.service), ...settings.ruleLabels } },
    spec: { groups: generatedRuleGroups(settings) },
  });
}

/** One generated dashboard: its file stem (`overview`) and its JSON text exactly as committed. */
export interface DashboardFile {
  readonly stem: string;
  readonly json: string;
}

export function generatedDashboards(settings: ChartSettings): DashboardFile[] {
  return Object.entries(renderDashboards(settings.service)).map(([path, json]) => ({
    stem: path.slice(path.lastIndexOf('/') + 1).replace(/\.json$/, ''),
    json,
  }));
}

/**
 * The sidecar writes each data key as a file into one folder shared by every service, so keys
 * carry the service name (`providers-overview.json`) to never collide.
 */
export function dashboardDataKey(settings: ChartSettings, stem: string): string {
  return `${settings.service.name}-${stem}.json`;
}

/** One ConfigMap per dashboard (each far below the 1 MiB object limit), keyed by stem. */
export function dashboardConfigMaps(scope: Construct, settings: ChartSettings): Record<string, k8s.KubeConfigMap> {
  const out: Record<string, k8s.KubeConfigMap> = {};
  for (const { stem, json } of generatedDashboards(settings)) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > CONFIGMAP_DATA_LIMIT_BYTES) {
      throw new Error(
        `dashboard "${stem}" of service "${settings.service.name}" is ${bytes} bytes, over the ${CONFIGMAP_DATA_LIMIT_BYTES}-byte ConfigMap budget (Kubernetes objects are limited to 1 MiB); split it into smaller dashboards`,
      );
    }
    out[stem] = new k8s.KubeConfigMap(scope, `dashboard-${stem}`, {
      metadata: {
        name: `${settings.service.name}-dashboard-${stem}`,
        ...(settings.dashboardNamespace !== undefined ? { namespace: settings.dashboardNamespace } : {}),
        labels: { ...commonLabels(settings.service), [settings.dashboardLabel.name]: settings.dashboardLabel.value },
      },
      data: { [dashboardDataKey(settings, stem)]: json },
    });
  }
  return out;
}
