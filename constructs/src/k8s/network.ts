/** How the pods are reached and kept available: Service, PodDisruptionBudget, NetworkPolicy. */
import { k8s } from 'cdk8s-plus-31';
import type { Construct } from 'constructs';
import { commonLabels, selectorLabels } from './labels';
import type { AppClient } from './props';
import type { ChartSettings } from './resolve';
import { HTTP_PORT_NAME } from './workload';

/**
 * Named after the declared service: the ServiceMonitor's default `job` is the Service name, and
 * the generated alerts and dashboards select `job="<service name>"`.
 */
export function service(scope: Construct, settings: ChartSettings): k8s.KubeService {
  return new k8s.KubeService(scope, 'service', {
    metadata: { name: settings.service.name, labels: { ...commonLabels(settings.service) } },
    spec: {
      type: 'ClusterIP',
      selector: { ...selectorLabels(settings.service) },
      ports: [{ name: HTTP_PORT_NAME, port: settings.servicePort, targetPort: k8s.IntOrString.fromString(HTTP_PORT_NAME), protocol: 'TCP' }],
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

function peer(client: AppClient): k8s.NetworkPolicyPeer {
  return {
    ...(client.namespaceLabels ? { namespaceSelector: { matchLabels: { ...client.namespaceLabels } } } : {}),
    ...(client.podLabels ? { podSelector: { matchLabels: { ...client.podLabels } } } : {}),
  };
}

/**
 * Ingress only (egress stays open: the service must reach its dependencies): the scrape from the
 * Prometheus pods, and the app port from `appClients` (any source when unset). `/metrics` is served
 * on the app port, so both rules name the same port.
 */
export function networkPolicy(scope: Construct, settings: ChartSettings): k8s.KubeNetworkPolicy {
  const ports = [{ port: k8s.IntOrString.fromNumber(settings.containerPort), protocol: 'TCP' }];
  const scrape: k8s.NetworkPolicyIngressRule = {
    from: [peer({ namespaceLabels: settings.scraper.namespaceLabels, podLabels: settings.scraper.podLabels })],
    ports,
  };
  const clients = settings.appClients;
  const app: k8s.NetworkPolicyIngressRule[] =
    clients === undefined ? [{ ports }] : clients.length > 0 ? [{ from: clients.map(peer), ports }] : [];
  return new k8s.KubeNetworkPolicy(scope, 'network-policy', {
    metadata: { name: settings.service.name, labels: { ...commonLabels(settings.service) } },
    spec: {
      podSelector: { matchLabels: { ...selectorLabels(settings.service) } },
      policyTypes: ['Ingress'],
      ingress: [scrape, ...app],
    },
  });
}
