/**
 * Amazon Managed Grafana versions the dashboards construct can target, with the newest dashboard
 * schemaVersion each one loads. The generator (grafana-foundation-sdk 0.0.21) writes schemaVersion
 * 42, Grafana 12's; for an older workspace the upload states that version's number instead (see
 * `forSchemaVersion` in dashboards-handler/grafana-api.ts for why that is all it takes).
 *
 * AMG workspaces run 8.4, 9.4, 10.4 and, newer, Grafana 12 (check what your region offers with
 * `aws grafana list-versions`). 8.4 is not offered here: several panel options the generator
 * uses (e.g. time-series thresholds style) came later.
 */
export const GRAFANA_SCHEMA_VERSIONS = {
  '9.4': 37,
  '10.4': 39,
  '12.4': 42,
} as const;

export type GrafanaVersion = keyof typeof GRAFANA_SCHEMA_VERSIONS;

export const GRAFANA_VERSIONS = Object.keys(GRAFANA_SCHEMA_VERSIONS) as GrafanaVersion[];

/**
 * What a new workspace runs unless told otherwise: 10.4, the newest version every AMG region and
 * CloudFormation's `GrafanaVersion` have offered for long; pick '12.4' where it is available to
 * load the dashboards exactly as generated.
 */
export const DEFAULT_GRAFANA_VERSION: GrafanaVersion = '10.4';

export function isGrafanaVersion(v: string): v is GrafanaVersion {
  return Object.prototype.hasOwnProperty.call(GRAFANA_SCHEMA_VERSIONS, v);
}
