/** cdk8s constructs that deploy a declared service on Kubernetes with its monitoring. */
export { ObservedServiceChart } from './chart';
export * from './props';
export { ObservedServiceChartError, resolveSettings, type ChartSettings, type EgressSettings } from './resolve';
export { HTTPS_PORT, type DependencyPort } from './dependency-ports';
export { JOB_LABEL, commonLabels, selectorLabels } from './labels';
export { ADMIN_PORT_NAME, ENV_CHECKSUM_ANNOTATION, HTTP_PORT_NAME, containerEnv, envConfigMapName } from './workload';
export { DNS_PORT } from './network';
export {
  CONFIGMAP_DATA_LIMIT_BYTES,
  MONITORING_API_VERSION,
  dashboardDataKey,
  generatedDashboards,
  generatedRuleGroups,
  prometheusRuleName,
  type DashboardFile,
  type RuleGroupObject,
} from './monitoring';
export { KUBELET_CONFIG_FILE, KUBELET_LOG_ROTATION, checkLogRotation, renderKubeletLogRotation, type KubeletLogRotation } from './log-rotation';
export { parseQuantity } from './quantity';
export { renderManifestsReadme } from './output-docs';
