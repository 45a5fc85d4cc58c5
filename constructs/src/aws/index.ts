export * from './errors';
export * from './prometheus-workspace';
export * from './collector-config';
export * from './alertmanager-config';
export * from './observed-service';
export { ALARM_PERIOD, DeploymentAlarms, ServiceAlarms, latencyPercentile, type AlarmTopics, type DeploymentAlarmsOptions, type DeploymentAlarmsProps, type ServiceAlarmsOptions, type ServiceAlarmsProps } from './service-alarms';
export * from './monitoring-workspace';
export * from './grafana-versions';
export * from './service-dashboards';
