export * from './errors';
export * from './prometheus-workspace';
export * from './collector-config';
export * from './alertmanager-config';
export * from './observed-service';
export * from './monitoring-workspace';
export * from './grafana-versions';
export * from './service-dashboards';
