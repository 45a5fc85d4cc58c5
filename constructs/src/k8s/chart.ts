import type { ServiceDeclaration } from '@bulwark/runtime/declaration';
import { ApiObject, Chart } from 'cdk8s';
import type { k8s } from 'cdk8s-plus-31';
import type { Construct } from 'constructs';
import { dashboardConfigMaps, prometheusRule, serviceMonitor } from './monitoring';
import { networkPolicy, podDisruptionBudget, service } from './network';
import type { ObservedServiceChartProps } from './props';
import { resolveSettings, type ChartSettings } from './resolve';
import { deployment, envConfigMap } from './workload';

/**
 * A declared service on Kubernetes with its monitoring: a hardened Deployment (probes on the
 * runtime's admin listener, resources, explicit feature flags, secrets from a Secret), its
 * Service, PodDisruptionBudget and a NetworkPolicy admitting only the named sources (the scraper on
 * the admin port; the ingress controller and `appClients` on the app port) and restricting egress,
 * a ServiceMonitor scraping `/metrics` on the admin port as `job="<service>"`, a PrometheusRule with
 * the generated alert rules and the generated Grafana dashboards as sidecar-labelled ConfigMaps.
 *
 * Every object has an explicit name derived from the service name, so synthesis is deterministic.
 * Invalid props throw an `ObservedServiceChartError` naming each offending prop.
 */
export class ObservedServiceChart extends Chart {
  /** The props after validation, with every default filled in. */
  readonly settings: ChartSettings;
  readonly service: ServiceDeclaration;
  readonly envConfigMap?: k8s.KubeConfigMap;
  readonly deployment: k8s.KubeDeployment;
  readonly kubeService: k8s.KubeService;
  readonly podDisruptionBudget: k8s.KubePodDisruptionBudget;
  readonly networkPolicy: k8s.KubeNetworkPolicy;
  readonly serviceMonitor: ApiObject;
  readonly prometheusRule: ApiObject;
  /** Dashboard ConfigMaps by dashboard stem (`overview`, `dependencies`, …). */
  readonly dashboardConfigMaps: Readonly<Record<string, k8s.KubeConfigMap>>;

  /** @param id defaults to the service name; it names the synthesized file (`<id>.k8s.yaml`). */
  constructor(scope: Construct, id: string | undefined, props: ObservedServiceChartProps) {
    const settings = resolveSettings(props);
    super(scope, id ?? settings.service.name, {
      ...(settings.namespace !== undefined ? { namespace: settings.namespace } : {}),
      disableResourceNameHashes: true,
    });
    this.settings = settings;
    this.service = settings.service;
    const env = envConfigMap(this, settings);
    if (env) this.envConfigMap = env;
    this.deployment = deployment(this, settings);
    this.kubeService = service(this, settings);
    this.podDisruptionBudget = podDisruptionBudget(this, settings);
    this.networkPolicy = networkPolicy(this, settings);
    this.serviceMonitor = serviceMonitor(this, settings);
    this.prometheusRule = prometheusRule(this, settings);
    this.dashboardConfigMaps = dashboardConfigMaps(this, settings);
  }
}
