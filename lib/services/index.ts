import type { ServiceDeclaration } from '@bulwark/runtime';
import type { ObservedServiceChartProps } from '@bulwark/constructs/k8s';
import type { ImageSource } from '../service-stack';
import { providersService } from './providers';

export { providersService };

/** A declared service and where the example app gets its image. */
export interface ServiceDeployment {
  readonly service: ServiceDeclaration;
  readonly image: ImageSource;
  /**
   * Values of the declaration's non-secret env vars in its Kubernetes manifests (bin/k8s.ts): the
   * chart needs one for every required variable. (The CDK stack provisions its own: ServiceDependencies.)
   * @default - none
   */
  readonly kubernetesEnv?: Readonly<Record<string, string>>;
  /** Further props of its Kubernetes chart (bin/k8s.ts). @default - none */
  readonly kubernetesChart?: Omit<ObservedServiceChartProps, 'service' | 'image' | 'env'>;
}

/**
 * The providers service in a cluster: PostgreSQL and Redis behind the Services `providers-postgres`
 * and `providers-redis` of its namespace (the chart does not create them). PGPASSWORD and
 * REDIS_PASSWORD, like OPENAI_API_KEY, come from the Secret `providers-secrets`.
 */
export const PROVIDERS_KUBERNETES_ENV: Readonly<Record<string, string>> = {
  PGHOST: 'providers-postgres',
  PGDATABASE: 'providers',
  PGUSER: 'providers',
  REDIS_HOST: 'providers-redis',
};

/** Clients reach the providers pods through ingress-nginx; the NetworkPolicy admits nobody else on the app port. */
export const PROVIDERS_KUBERNETES_CHART: ServiceDeployment['kubernetesChart'] = {
  ingressController: { namespaceLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' }, podLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
};

/** Every service the example app deploys (one stack each) and the generators write rules and dashboards for. */
export const DEPLOYMENTS: readonly ServiceDeployment[] = [
  { service: providersService, image: { dockerfile: 'service/Dockerfile' }, kubernetesEnv: PROVIDERS_KUBERNETES_ENV, kubernetesChart: PROVIDERS_KUBERNETES_CHART },
];

export const SERVICES: readonly ServiceDeclaration[] = DEPLOYMENTS.map((d) => d.service);
