/** The service's pods: a hardened Deployment with probes, resources, flags, config and secret env. */
import { createHash } from 'node:crypto';
import { ADMIN_ENV, flagsToEnv, HEALTH_PATH, PORT_ENV, SHUTDOWN_ENV, TRUSTED_PROXY_HOPS_ENV } from '@bulwark/runtime/catalog';
import { k8s } from 'cdk8s-plus-31';
import type { Construct } from 'constructs';
import { commonLabels, selectorLabels } from './labels';
import type { ChartSettings } from './resolve';

/** Name of the container port of the application; the Service refers to it. */
export const HTTP_PORT_NAME = 'http';
/** Name of the container port of the admin listener (`/metrics`, `/health*`); probes and the ServiceMonitor use it. */
export const ADMIN_PORT_NAME = 'admin';
/** Pod annotation holding a digest of the env ConfigMap, so changing a value rolls the pods. */
export const ENV_CHECKSUM_ANNOTATION = 'bulwark.dev/env-checksum';

const STARTUP_PERIOD_SECONDS = 2;

export function envConfigMapName(settings: ChartSettings): string {
  return `${settings.service.name}-env`;
}

/** The ConfigMap of non-secret env values, or undefined when the service has none to set. */
export function envConfigMap(scope: Construct, settings: ChartSettings): k8s.KubeConfigMap | undefined {
  if (Object.keys(settings.env).length === 0) return undefined;
  return new k8s.KubeConfigMap(scope, 'env', {
    metadata: { name: envConfigMapName(settings), labels: { ...commonLabels(settings.service) } },
    data: { ...settings.env },
  });
}

/**
 * The runtime's settings first (flags, shutdown, ports, the admin listener's address, trusted
 * proxies — every one explicit), then declared non-secret vars from the ConfigMap, then secret vars
 * from the Secret — each group sorted by name so the manifest is stable.
 */
export function containerEnv(settings: ChartSettings): k8s.EnvVar[] {
  const values = {
    ...flagsToEnv(settings.flags),
    [SHUTDOWN_ENV.drainDelayMs]: String(settings.drainDelaySeconds * 1000),
    [SHUTDOWN_ENV.timeoutMs]: String(settings.shutdownTimeoutSeconds * 1000),
    [PORT_ENV]: String(settings.containerPort),
    [ADMIN_ENV.port]: String(settings.adminPort),
    [TRUSTED_PROXY_HOPS_ENV]: String(settings.trustedProxyHops),
  };
  // The admin listener binds the pod's own IP: reachable by the kubelet's probes and the scraper
  // (as the NetworkPolicy allows), where the runtime's default 127.0.0.1 would be reachable by neither.
  const adminHost: k8s.EnvVar = { name: ADMIN_ENV.host, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } };
  const runtime = [...Object.entries(values).map(([name, value]) => ({ name, value })), adminHost].sort((a, b) => (a.name < b.name ? -1 : 1));
  const config = Object.keys(settings.env).map((name) => ({
    name,
    valueFrom: { configMapKeyRef: { name: envConfigMapName(settings), key: name } },
  }));
  const secrets = settings.secretEnv.map(({ name, required }) => ({
    name,
    // An optional variable's key may be absent: the runtime then reports it as a startup warning.
    valueFrom: { secretKeyRef: { name: settings.secretName, key: name, optional: !required } },
  }));
  return [...runtime, ...config, ...secrets];
}

/** Probes go to the admin listener, where `/health/live` is served (the app port serves `/health/ready` only). */
function httpGet(path: string): k8s.HttpGetAction {
  return { path, port: k8s.IntOrString.fromString(ADMIN_PORT_NAME), scheme: 'HTTP' };
}

export function deployment(scope: Construct, settings: ChartSettings): k8s.KubeDeployment {
  const { service, resources } = settings;
  const user = settings.runAsUser;
  const annotations =
    Object.keys(settings.env).length > 0
      ? { [ENV_CHECKSUM_ANNOTATION]: createHash('sha256').update(JSON.stringify(settings.env)).digest('hex').slice(0, 16) }
      : undefined;

  return new k8s.KubeDeployment(scope, 'deployment', {
    metadata: { name: service.name, labels: { ...commonLabels(service) } },
    spec: {
      replicas: settings.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: { ...selectorLabels(service) } },
      // Surge first so capacity never drops below `replicas` during a rollout.
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) },
      },
      template: {
        metadata: { labels: { ...commonLabels(service) }, ...(annotations ? { annotations } : {}) },
        spec: {
          automountServiceAccountToken: false,
          // Room for the drain delay and the drain itself before the kubelet sends SIGKILL.
          terminationGracePeriodSeconds: settings.drainDelaySeconds + settings.shutdownTimeoutSeconds + 5,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: user,
            runAsGroup: user,
            fsGroup: user,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: service.name,
              image: settings.image,
              imagePullPolicy: 'IfNotPresent',
              ports: [
                { name: HTTP_PORT_NAME, containerPort: settings.containerPort, protocol: 'TCP' },
                { name: ADMIN_PORT_NAME, containerPort: settings.adminPort, protocol: 'TCP' },
              ],
              env: containerEnv(settings),
              resources: {
                requests: {
                  cpu: k8s.Quantity.fromString(resources.requests.cpu),
                  memory: k8s.Quantity.fromString(resources.requests.memory),
                },
                limits: {
                  cpu: k8s.Quantity.fromString(resources.limits.cpu),
                  memory: k8s.Quantity.fromString(resources.limits.memory),
                },
              },
              // Liveness waits for startup: a slow start (startup validation) is not a dead process.
              startupProbe: {
                httpGet: httpGet(HEALTH_PATH.live),
                periodSeconds: STARTUP_PERIOD_SECONDS,
                timeoutSeconds: 2,
                failureThreshold: Math.ceil(settings.startupGraceSeconds / STARTUP_PERIOD_SECONDS),
              },
              livenessProbe: { httpGet: httpGet(HEALTH_PATH.live), periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
              // Not ready (503) at EMERGENCY or before validation: out of the Service, not restarted.
              readinessProbe: { httpGet: httpGet(HEALTH_PATH.ready), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
              securityContext: {
                runAsNonRoot: true,
                runAsUser: user,
                runAsGroup: user,
                privileged: false,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString(settings.tmpSizeLimit) } }],
        },
      },
    },
  });
}
