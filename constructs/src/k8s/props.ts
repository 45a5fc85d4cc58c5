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

/** Which Prometheus pods may reach the admin port to scrape `/metrics` (both selectors must match). */
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
 * Pods picked by labels, with NetworkPolicy peer semantics: `podLabels` alone means pods of the
 * chart's namespace, `namespaceLabels` alone every pod of those namespaces, both together pods
 * matching both. At least one must be set; an empty map matches everything (`namespaceLabels: {}`:
 * every namespace).
 */
export interface NetworkPeer {
  /** Labels of the namespaces the pods run in. */
  readonly namespaceLabels?: Labels;
  /** Labels of the pods. */
  readonly podLabels?: Labels;
}

/** A source allowed to reach the app port (see `NetworkPeer`). */
export type AppClient = NetworkPeer;

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
   * the prop exists so a mismatch is caught at synth instead of as a Service that reaches nothing.
   * Probes and the scrape use the declaration's `admin.port` (the runtime's admin listener).
   * @default service.port
   */
  readonly containerPort?: number;

  /**
   * The Service's port (clients call `http://<service>:<servicePort>`). The Service's `admin` port,
   * for the ServiceMonitor, is the declaration's `admin.port`; the two must differ.
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
   * Which Prometheus pods the NetworkPolicy lets reach the admin port (`/metrics`, `/health*`); nothing else may.
   * @default { namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' }, podLabels: { 'app.kubernetes.io/name': 'prometheus' } }
   */
  readonly scraper?: ScraperSelector;

  /**
   * Sources allowed to reach the app port besides `ingressController`, or `'any'` for every source,
   * inside the cluster or not. The admin port (`/metrics`, `/health*`) admits the scraper only, whatever this says.
   *
   * Breaking change: unset used to mean any source; it now means none.
   * @default [] - none beyond the ingress controller (when `ingressController` is set)
   */
  readonly appClients?: readonly AppClient[] | 'any';

  /**
   * The ingress controller pods that forward client requests to the Service (an Ingress or Gateway
   * of yours points at the Service; the chart creates none), e.g. ingress-nginx:
   * `{ namespaceLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' }, podLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } }`.
   * The NetworkPolicy admits them on the app port, and `trustedProxyHops` defaults to 1.
   * @default - none: no ingress controller is admitted
   */
  readonly ingressController?: NetworkPeer;

  /**
   * How many proxies in front of the pods append the client address they saw to X-Forwarded-For
   * (set as TRUSTED_PROXY_HOPS): the per-client rate limit counts the address the outermost one
   * saw. An ingress controller is one; a CDN or load balancer that appends too adds one each. With
   * more than 0, a client reaching the pods directly (an `appClients` peer) can choose its own
   * rate-limit key by sending X-Forwarded-For, so admit direct clients you trust.
   * @default 1 when `ingressController` is set, otherwise 0 (the connection's address)
   */
  readonly trustedProxyHops?: number;

  /**
   * Restrict the pods' egress to DNS (`dns`, UDP and TCP 53), the declared dependencies' ports and
   * 443 (HTTPS APIs), each port to any destination. `false` leaves egress open.
   * @default true
   */
  readonly restrictEgress?: boolean;

  /**
   * The cluster DNS pods egress is allowed to on port 53.
   * @default { namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' }, podLabels: { 'k8s-app': 'kube-dns' } } (the label the cluster DNS pods, CoreDNS or kube-dns, carry in kubeadm, EKS, GKE and AKS clusters)
   */
  readonly dns?: NetworkPeer;

  /**
   * The port each declared dependency is reached on, by dependency name (`{ db: 5433 }`), where it
   * is not its kind's usual port. Egress is open to these ports (TCP, any destination). A dependency
   * whose kind has no usual port (`http`) and whose URL is not given in `env` is assumed to be HTTPS
   * (443, always open): give its port here if it is not.
   * @default the port its connection settings given in `env` name (PGPORT, REDIS_PORT, or a non-secret URL's port, 80/443 for http/https), else its kind's `defaultPort` (PostgreSQL 5432, Redis 6379, OpenAI and S3 443)
   */
  readonly dependencyPorts?: Readonly<Record<string, number>>;

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
/** The cluster DNS pods in kube-system: CoreDNS keeps kube-dns's `k8s-app: kube-dns` label. */
export const DEFAULT_DNS: Required<NetworkPeer> = {
  namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
  podLabels: { 'k8s-app': 'kube-dns' },
};
export const DEFAULT_RUN_AS_USER = 10001;
export const DEFAULT_STARTUP_GRACE_SECONDS = 60;
export const DEFAULT_DRAIN_DELAY_SECONDS = 5;
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 10;
export const DEFAULT_TMP_SIZE_LIMIT = '64Mi';
