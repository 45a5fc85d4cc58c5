import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import type { Flags } from '@bulwark/runtime/catalog';

/** A label map (`key: value`), e.g. `{ release: 'kube-prometheus-stack' }`. */
export type Labels = Readonly<Record<string, string>>;

/** CPU and memory as Kubernetes quantities, e.g. `{ cpu: '250m', memory: '256Mi' }`. */
export interface ComputeResources {
  /** CPU in cores (`500m`, `1`). */
  readonly cpu?: string;
  /** Memory in bytes (`256Mi`, `1Gi`). */
  readonly memory?: string;
}

export interface ContainerResources {
  /**
   * What the scheduler reserves for the container.
   * @default { cpu: '100m', memory: '256Mi' }
   */
  readonly requests?: ComputeResources;
  /**
   * The most the container may use; above the memory limit it is OOM-killed.
   * @default { cpu: '1', memory: '512Mi' } — the seeds' budget is 500 MB of resident memory
   */
  readonly limits?: ComputeResources;
}

/** Which Prometheus pods may scrape `/metrics` (both selectors must match). */
export interface ScraperSelector {
  /**
   * Labels of the namespace Prometheus runs in.
   * @default { 'kubernetes.io/metadata.name': 'monitoring' }
   */
  readonly namespaceLabels?: Labels;
  /**
   * Labels of the Prometheus pods.
   * @default { 'app.kubernetes.io/name': 'prometheus' } (what the Prometheus Operator sets)
   */
  readonly podLabels?: Labels;
}

/**
 * A source allowed to reach the app port, with NetworkPolicy peer semantics: `podLabels` alone
 * means pods of this namespace, `namespaceLabels` alone every pod of those namespaces, both
 * together pods matching both. At least one must be set.
 */
export interface AppClient {
  /** Labels of the namespaces the clients run in. */
  readonly namespaceLabels?: Labels;
  /** Labels of the client pods. */
  readonly podLabels?: Labels;
}

/** The label Grafana's dashboard sidecar watches for. */
export interface DashboardLabel {
  /** @default 'grafana_dashboard' */
  readonly name: string;
  /** @default '1' */
  readonly value: string;
}

export interface ObservedServiceChartProps {
  /** The service declaration the workload, its probes, env, alerts and dashboards come from. */
  readonly service: ServiceDeclaration;

  /** The container image, with a tag or a digest (`registry/providers:1.4.2`); `latest` and untagged images are refused. */
  readonly image: string;

  /**
   * Namespace of every object.
   * @default - none: objects go to the namespace `kubectl apply` targets
   */
  readonly namespace?: string;

  /**
   * Number of pods.
   * @default 2
   */
  readonly replicas?: number;

  /**
   * Pods the PodDisruptionBudget keeps running during voluntary disruptions (node drains);
   * must be below `replicas` or drains can never finish.
   * @default replicas - 1
   */
  readonly minAvailable?: number;

  /**
   * CPU and memory requests and limits; each limit must be at least its request.
   * @default requests { cpu: '100m', memory: '256Mi' }, limits { cpu: '1', memory: '512Mi' }
   */
  readonly resources?: ContainerResources;

  /**
   * The port the container listens on. It must equal the declaration's `port` (the runtime listens there);
   * the prop exists so a mismatch is caught at synth instead of as failing probes.
   * @default service.port
   */
  readonly containerPort?: number;

  /**
   * The Service's port (clients call `http://<service>:<servicePort>`).
   * @default 80
   */
  readonly servicePort?: number;

  /**
   * Feature flags; every flag is written to the pod's environment explicitly.
   * @default the runtime's defaults: every capability on, STARTUP_FAIL_ON_WARNING off
   */
  readonly flags?: Partial<Flags>;

  /**
   * Values of the declaration's non-secret env vars, stored in a ConfigMap `<service>-env`.
   * A required non-secret var must have a value here; secret vars are refused (they come from `secretName`).
   * @default {}
   */
  readonly env?: Readonly<Record<string, string>>;

  /**
   * Name of the Kubernetes Secret holding every env var the declaration marks `secret`, one key per
   * variable named like the variable. The chart references it and never creates it.
   * @default '<service>-secrets'
   */
  readonly secretName?: string;

  /**
   * Labels on the ServiceMonitor. The Prometheus Operator only picks up ServiceMonitors matching its
   * `serviceMonitorSelector`; kube-prometheus-stack selects `release: <helm release name>`.
   * @default { release: 'kube-prometheus-stack' }
   */
  readonly serviceMonitorLabels?: Labels;

  /**
   * How often Prometheus scrapes `/metrics` (Prometheus duration).
   * @default '30s'
   */
  readonly scrapeInterval?: string;

  /**
   * Timeout of one scrape; at most `scrapeInterval`.
   * @default '10s'
   */
  readonly scrapeTimeout?: string;

  /**
   * Labels on the PrometheusRule, for the operator's `ruleSelector` (kube-prometheus-stack: `release`).
   * @default { release: 'kube-prometheus-stack' }
   */
  readonly ruleLabels?: Labels;

  /**
   * Base URL of the runbooks linked from alerts (passed to the alert rule builder).
   * @default `runbooks/` (the runbooks next to the rule file, where `bulwark generate` writes them)
   */
  readonly runbookBaseUrl?: string;

  /**
   * Include the generated always-firing `Heartbeat` alert (severity `heartbeat`) in the
   * PrometheusRule. Off by default: kube-prometheus-stack's own `Watchdog` already proves the
   * cluster's Prometheus → Alertmanager → receiver chain, and its Alertmanager would route an
   * unknown always-firing alert to a person. Turn it on where no Watchdog exists, and route
   * `severity="heartbeat"` to a dead man's switch receiver.
   * @default false
   */
  readonly heartbeat?: boolean;

  /**
   * The label Grafana's dashboard sidecar selects dashboard ConfigMaps by.
   * @default { name: 'grafana_dashboard', value: '1' }
   */
  readonly dashboardLabel?: DashboardLabel;

  /**
   * Namespace of the dashboard ConfigMaps (the sidecar may only watch Grafana's own namespace).
   * @default namespace
   */
  readonly dashboardNamespace?: string;

  /**
   * Which Prometheus pods the NetworkPolicy lets scrape `/metrics`.
   * @default { namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' }, podLabels: { 'app.kubernetes.io/name': 'prometheus' } }
   */
  readonly scraper?: ScraperSelector;

  /**
   * Sources allowed to reach the app port; an empty list admits only the scraper.
   * @default - any source
   */
  readonly appClients?: readonly AppClient[];

  /**
   * Numeric user (and group) the container runs as; must not be 0.
   * @default 10001
   */
  readonly runAsUser?: number;

  /**
   * Time the startup probe gives the process before liveness takes over; at least the declaration's
   * startup validation budget (`startup.timeoutMs`).
   * @default 60
   */
  readonly startupGraceSeconds?: number;

  /**
   * How long a terminating pod keeps serving after its readiness starts failing, so that
   * Kubernetes removes it from the Service's endpoints before connections close (endpoint removal
   * and SIGTERM happen at the same time). Set as SHUTDOWN_DRAIN_DELAY_MS.
   * @default 5
   */
  readonly drainDelaySeconds?: number;

  /**
   * Hard bound on draining in-flight requests after the drain delay. Set as SHUTDOWN_TIMEOUT_MS;
   * the pod's terminationGracePeriodSeconds is drain delay + this + 5.
   * @default 10
   */
  readonly shutdownTimeoutSeconds?: number;

  /**
   * Size limit of the `/tmp` emptyDir (the root filesystem is read-only).
   * @default '64Mi'
   */
  readonly tmpSizeLimit?: string;
}

export const DEFAULT_REPLICAS = 2;
export const DEFAULT_RESOURCES = {
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { cpu: '1', memory: '512Mi' },
} as const;
export const DEFAULT_SERVICE_PORT = 80;
/** kube-prometheus-stack's selectors match `release: <helm release>`; this is its usual release name. */
export const DEFAULT_OPERATOR_LABELS: Labels = { release: 'kube-prometheus-stack' };
export const DEFAULT_SCRAPE_INTERVAL = '30s';
export const DEFAULT_SCRAPE_TIMEOUT = '10s';
export const DEFAULT_DASHBOARD_LABEL: DashboardLabel = { name: 'grafana_dashboard', value: '1' };
export const DEFAULT_SCRAPER: Required<ScraperSelector> = {
  namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
  podLabels: { 'app.kubernetes.io/name': 'prometheus' },
};
export const DEFAULT_RUN_AS_USER = 10001;
export const DEFAULT_STARTUP_GRACE_SECONDS = 60;
export const DEFAULT_DRAIN_DELAY_SECONDS = 5;
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 10;
export const DEFAULT_TMP_SIZE_LIMIT = '64Mi';
