/** How the pods are reached and kept available: Service, PodDisruptionBudget, NetworkPolicy. */
import { k8s } from 'cdk8s-plus-31';
import type { Construct } from 'constructs';
import { commonLabels, selectorLabels } from './labels';
import type { NetworkPeer } from './props';
import { HTTPS_PORT } from './dependency-ports';
import type { ChartSettings, EgressSettings } from './resolve';
import { ADMIN_PORT_NAME, HTTP_PORT_NAME } from './workload';

export const DNS_PORT = 53;

/**
 * Named after the declared service: the ServiceMonitor's default `job` is the Service name, and
 * the generated alerts and dashboards select `job="<service name>"`. The `admin` port is there for
 * the ServiceMonitor; going through the Service reaches no more than the NetworkPolicy lets reach the pods.
 */
export function service(scope: Construct, settings: ChartSettings): k8s.KubeService {
  return new k8s.KubeService(scope, 'service', {
    metadata: { name: settings.service.name, labels: { ...commonLabels(settings.service) } },
    spec: {
      type: 'ClusterIP',
      selector: { ...selectorLabels(settings.service) },
      ports: [
        { name: HTTP_PORT_NAME, port: settings.servicePort, targetPort: k8s.IntOrString.fromString(HTTP_PORT_NAME), protocol: 'TCP' },
        { name: ADMIN_PORT_NAME, port: settings.adminPort, targetPort: k8s.IntOrString.fromString(ADMIN_PORT_NAME), protocol: 'TCP' },
      ],
    },
  });
}

export function podDisruptionBudget(scope: Construct, settings: ChartSettings): k8s.KubePodDisruptionBudget {
  return new k8s.KubePodDisruptionBudget(scope, 'pdb', {
    metadata: { name: settings.service.name, labels: { ...commonLabels(settings.service) } },
    spec: {
      minAvailable: k8s.IntOrString.fromNumber(settings.minAvailable),
      selector: { matchLabels: { ...selectorLabels(settings.service) } },
      // A crash-looping pod must not block a node drain.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
}

function peer(selector: NetworkPeer): k8s.NetworkPolicyPeer {
  return {
    ...(selector.namespaceLabels ? { namespaceSelector: { matchLabels: { ...selector.namespaceLabels } } } : {}),
    ...(selector.podLabels ? { podSelector: { matchLabels: { ...selector.podLabels } } } : {}),
  };
}

function tcp(port: number): k8s.NetworkPolicyPort {
  return { port: k8s.IntOrString.fromNumber(port), protocol: 'TCP' };
}

/**
 * Only what is named gets in: the admin port (`/metrics`, `/health*`) from the scraper, the app
 * port from the ingress controller and `appClients` (every source only with `appClients: 'any'`).
 * The kubelet's probes need no rule: traffic from a pod's own node is always allowed.
 */
function ingressRules(settings: ChartSettings): k8s.NetworkPolicyIngressRule[] {
  const scrape: k8s.NetworkPolicyIngressRule = { from: [peer(settings.scraper)], ports: [tcp(settings.adminPort)] };
  const app = [tcp(settings.containerPort)];
  if (settings.appClients === 'any') return [scrape, { ports: app }];
  const sources = [...(settings.ingressController ? [settings.ingressController] : []), ...settings.appClients];
  return sources.length > 0 ? [scrape, { from: sources.map(peer), ports: app }] : [scrape];
}

/**
 * DNS to the cluster's DNS pods, and TCP to any destination on the dependencies' ports and 443:
 * which hosts those are is not known at synth (a managed database, a public API), their ports are.
 */
function egressRules(egress: EgressSettings): k8s.NetworkPolicyEgressRule[] {
  const ports = [...new Set([...egress.dependencies.map((d) => d.port), HTTPS_PORT])].sort((a, b) => a - b);
  return [
    {
      to: [peer(egress.dns)],
      ports: [
        { port: k8s.IntOrString.fromNumber(DNS_PORT), protocol: 'UDP' },
        { port: k8s.IntOrString.fromNumber(DNS_PORT), protocol: 'TCP' },
      ],
    },
    { ports: ports.map(tcp) },
  ];
}

export function networkPolicy(scope: Construct, settings: ChartSettings): k8s.KubeNetworkPolicy {
  const { egress } = settings;
  return new k8s.KubeNetworkPolicy(scope, 'network-policy', {
    metadata: { name: settings.service.name, labels: { ...commonLabels(settings.service) } },
    spec: {
      podSelector: { matchLabels: { ...selectorLabels(settings.service) } },
      policyTypes: egress ? ['Ingress', 'Egress'] : ['Ingress'],
      ingress: ingressRules(settings),
      ...(egress ? { egress: egressRules(egress) } : {}),
    },
  });
}
