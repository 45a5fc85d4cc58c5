/**
 * The AWS Distro for OpenTelemetry collector configuration of the sidecar: scrape the app's
 * metrics endpoint on its admin listener (loopback, inside the task) and remote-write to Amazon
 * Managed Prometheus with SigV4.
 */
import { Document } from 'yaml';

export interface CollectorConfigOptions {
  /** Scrape job name. Alert rules and dashboards select `job="<service>"`, so this is the service name. */
  readonly jobName: string;
  /** Address the admin listener binds (`127.0.0.1`: the collector shares the task's network, nothing outside it does). */
  readonly host: string;
  /** The admin listener's port (the declaration's `admin.port`), never the application's. */
  readonly port: number;
  readonly metricsPath: string;
  readonly scrapeIntervalSeconds: number;
  /** `<workspace endpoint>api/v1/remote_write` */
  readonly remoteWriteUrl: string;
  /** Region the SigV4 signature is for (the workspace's). */
  readonly region: string;
}

/** Resource attribute the `instance` label is taken from: unique per task, unlike `127.0.0.1:<port>`. */
export const INSTANCE_SOURCE_ATTRIBUTE = 'aws.ecs.task.arn';

/** Port of the collector's health_check extension (what the ADOT image's `/healthcheck` probes). */
export const COLLECTOR_HEALTH_PORT = 13133;

export function collectorConfig(o: CollectorConfigOptions): Record<string, unknown> {
  const interval = `${o.scrapeIntervalSeconds}s`;
  return {
    extensions: {
      health_check: { endpoint: `127.0.0.1:${COLLECTOR_HEALTH_PORT}` },
      sigv4auth: { region: o.region, service: 'aps' },
    },
    receivers: {
      prometheus: {
        config: {
          global: { scrape_interval: interval, scrape_timeout: `${Math.min(10, o.scrapeIntervalSeconds)}s` },
          scrape_configs: [
            {
              job_name: o.jobName,
              metrics_path: o.metricsPath,
              static_configs: [{ targets: [`${o.host}:${o.port}`] }],
            },
          ],
        },
      },
    },
    processors: {
      // Every task scrapes `127.0.0.1:<port>`: without this, the tasks' series would share one
      // `instance` and collide in the workspace. remote-write maps service.instance.id to `instance`.
      resourcedetection: { detectors: ['ecs'], timeout: '5s', override: false },
      resource: { attributes: [{ key: 'service.instance.id', from_attribute: INSTANCE_SOURCE_ATTRIBUTE, action: 'upsert' }] },
      batch: { timeout: '10s' },
    },
    exporters: {
      prometheusremotewrite: {
        endpoint: o.remoteWriteUrl,
        auth: { authenticator: 'sigv4auth' },
        resource_to_telemetry_conversion: { enabled: false },
      },
    },
    service: {
      extensions: ['health_check', 'sigv4auth'],
      pipelines: {
        metrics: {
          receivers: ['prometheus'],
          processors: ['resourcedetection', 'resource', 'batch'],
          exporters: ['prometheusremotewrite'],
        },
      },
    },
  };
}

/** The config as the YAML document the collector reads from `AOT_CONFIG_CONTENT`. */
export function renderCollectorConfig(o: CollectorConfigOptions): string {
  return new Document(collectorConfig(o)).toString({ lineWidth: 0 });
}
