/** The README written beside the synthesized manifests: what to create first, what the labels mean, node settings. */
import { HEALTH_PATH } from '@bulwark/runtime/catalog';
import type { ObservedServiceChart } from './chart';
import { JOB_LABEL } from './labels';
import { KUBELET_CONFIG_FILE, KUBELET_LOG_ROTATION, type KubeletLogRotation } from './log-rotation';
import { dashboardDataKey, prometheusRuleName } from './monitoring';
import { HTTPS_PORT } from './dependency-ports';
import { DNS_PORT } from './network';
import type { Labels, NetworkPeer } from './props';
import type { ChartSettings } from './resolve';
import { ADMIN_PORT_NAME, HTTP_PORT_NAME } from './workload';

function labelList(labels: Labels): string {
  const entries = Object.entries(labels);
  return entries.length ? entries.map(([k, v]) => `\`${k}: "${v}"\``).join(', ') : '(none)';
}

function peerText(peer: NetworkPeer): string {
  const parts = [
    ...(peer.namespaceLabels ? [`namespaces ${labelList(peer.namespaceLabels)}`] : []),
    ...(peer.podLabels ? [`pods ${labelList(peer.podLabels)}`] : []),
  ];
  return parts.join(', ');
}

function appSources(s: ChartSettings): string {
  if (s.appClients === 'any') return 'any source, inside the cluster or not (`appClients: \'any\'`)';
  const sources = [
    ...(s.ingressController ? [`the ingress controller (${peerText(s.ingressController)})`] : []),
    ...s.appClients.map((c) => `${peerText(c)} (\`appClients\`)`),
  ];
  return sources.length ? sources.join('; ') : 'nobody (set `ingressController` or `appClients` to admit clients)';
}

function egressText(s: ChartSettings): string {
  if (!s.egress) return 'Egress is not restricted (`restrictEgress: false`).';
  const byPort = new Map<number, string[]>([[HTTPS_PORT, ['HTTPS APIs']]]);
  for (const { name, port, assumed } of s.egress.dependencies) {
    byPort.set(port, [...(byPort.get(port) ?? []), assumed ? `${name}: no port known, HTTPS assumed; set \`dependencyPorts.${name}\` otherwise` : name]);
  }
  const ports = [...byPort.entries()].sort(([a], [b]) => a - b).map(([port, names]) => `${port} (${names.join(', ')})`);
  return `Egress only to DNS (UDP and TCP ${DNS_PORT}) at ${peerText(s.egress.dns)}, and TCP ${ports.join(', ')} to any destination.`;
}

function exposure(s: ChartSettings): string[] {
  const admin = [HEALTH_PATH.metrics, HEALTH_PATH.live, HEALTH_PATH.ready, HEALTH_PATH.report].map((p) => `\`${p}\``).join(', ');
  return [
    `- **Exposed.** The NetworkPolicy admits only what is named:`,
    `  - app port ${s.containerPort} (\`${HTTP_PORT_NAME}\`, Service port ${s.servicePort}): the application and \`${HEALTH_PATH.ready}\`, from ${appSources(s)}. \`TRUSTED_PROXY_HOPS=${s.trustedProxyHops}\`${
      s.trustedProxyHops > 0
        ? `: the rate limit counts the client address the outermost of ${s.trustedProxyHops} trusted proxies put in X-Forwarded-For`
        : ': the rate limit counts the connection\'s address'
    }.`,
    `  - admin port ${s.adminPort} (\`${ADMIN_PORT_NAME}\`, Service port ${s.adminPort}): ${admin}, bound to the pod's IP, only from Prometheus (${peerText(s.scraper)}); the kubelet's probes come from the node, which a NetworkPolicy always admits.`,
    `  - ${egressText(s)}`,
  ];
}

function chartSection(chart: ObservedServiceChart, manifestFile: string): string {
  const s = chart.settings;
  const name = s.service.name;
  const ns = s.namespace ? ` -n ${s.namespace}` : '';
  const secretKeys = s.secretEnv.map((e) => `\`${e.name}\`${e.required ? '' : ' (optional)'}`);
  const lines = [
    `## ${name} — \`${manifestFile}\``,
    '',
    `Image \`${s.image}\`, ${s.replicas} replicas (PodDisruptionBudget minAvailable ${s.minAvailable}), port ${s.containerPort} (Service port ${s.servicePort}).`,
    '',
    `- **Secret first.** The pods read ${secretKeys.length ? secretKeys.join(', ') : 'no secret variables'} from the Secret \`${s.secretName}\` (one key per variable, named like it). The chart never creates it:`,
    secretKeys.length
      ? `  \`kubectl${ns} create secret generic ${s.secretName} --from-env-file=${name}.secrets.env\` (a \`KEY=value\` file kept out of the repository and shell history) or your secret store's operator.`
      : '  nothing to create.',
    `- **Scrape.** ServiceMonitor \`${name}\` (labels ${labelList(s.serviceMonitorLabels)}) scrapes \`${HEALTH_PATH.metrics}\` on the Service's \`${ADMIN_PORT_NAME}\` port every ${s.scrapeInterval}; \`job\` is taken from the Service's \`${JOB_LABEL}\` label, i.e. \`job="${name}"\`, what every generated rule and dashboard selects. If your Prometheus selects ServiceMonitors by another label (kube-prometheus-stack: \`release: <helm release name>\`), set \`serviceMonitorLabels\`.`,
    `- **Alerts.** PrometheusRule \`${prometheusRuleName(s)}\` (labels ${labelList(s.ruleLabels)}) holds exactly the rule file generated for it (\`${name}.rules.yml\`)${
      s.heartbeat
        ? ', with the always-firing `Heartbeat` (severity `heartbeat`): route it to a dead man\'s switch receiver, as kube-prometheus-stack does its `Watchdog`'
        : ' without the always-firing `Heartbeat`: kube-prometheus-stack\'s own `Watchdog` proves the same Prometheus → Alertmanager → receiver chain (`heartbeat: true` adds it)'
    }; set \`ruleLabels\` to match your operator's \`ruleSelector\`.`,
    `- **Dashboards.** ${Object.keys(chart.dashboardConfigMaps).length} ConfigMaps labelled \`${s.dashboardLabel.name}: "${s.dashboardLabel.value}"\`${s.dashboardNamespace ? ` in namespace \`${s.dashboardNamespace}\`` : ''}, keys ${Object.keys(chart.dashboardConfigMaps).map((stem) => `\`${dashboardDataKey(s, stem)}\``).join(', ')}. Grafana's sidecar must watch that label and namespace (\`sidecar.dashboards.label\`/\`labelValue\`/\`searchNamespace\`).`,
    ...exposure(s),
    '',
  ];
  return lines.join('\n');
}

/** Markdown for `<outdir>/README.md`; `manifestFiles[i]` is the file of `charts[i]`. */
export function renderManifestsReadme(
  charts: readonly ObservedServiceChart[],
  manifestFiles: readonly string[],
  logRotation: KubeletLogRotation = KUBELET_LOG_ROTATION,
): string {
  return [
    '# Kubernetes manifests (generated)',
    '',
    'GENERATED by cdk8s from the service declarations (Bulwark) — do not edit by hand.',
    '',
    '## Apply',
    '',
    '1. Install the Prometheus Operator CRDs (e.g. the kube-prometheus-stack Helm chart): the manifests contain `ServiceMonitor` and `PrometheusRule` objects.',
    '2. Create each service\'s Secret (below).',
    '3. `kubectl apply --server-side -f <this folder>` — server-side apply, because a client-side apply copies every object into the',
    '   `kubectl.kubernetes.io/last-applied-configuration` annotation, and annotations are limited to 256 KiB in total (dashboards are large).',
    '   The folder\'s subfolders (`node/`) are not applied: `-f <dir>` is not recursive.',
    '',
    ...charts.map((chart, i) => chartSection(chart, manifestFiles[i] ?? `${chart.node.id}.k8s.yaml`)),
    '## Container log rotation (node setting)',
    '',
    'Kubernetes rotates container logs in the kubelet, so a pod cannot set it. Give the nodes that run these services:',
    '',
    '| kubelet setting | value |',
    '|---|---|',
    `| \`containerLogMaxSize\` | \`${logRotation.containerLogMaxSize}\` |`,
    `| \`containerLogMaxFiles\` | \`${logRotation.containerLogMaxFiles}\` |`,
    '',
    `\`${KUBELET_CONFIG_FILE}\` holds them as a KubeletConfiguration fragment to merge into the nodes' kubelet config (it is not a cluster object).`,
    'The values are exported as `KUBELET_LOG_ROTATION` from `@bulwark/constructs/k8s` for code that creates nodes.',
    '',
  ].join('\n');
}
