export * from './types';
export * from './define';
export { KIND_DEFAULTS, HEALTH_CHECK_DEFAULTS, OBJECTIVE_DEFAULTS, SLO_PAGE_BURN_RATE, STARTUP_DEFAULTS, DEFAULT_ADMIN_PORT, RATE_LIMIT_DEFAULTS } from './defaults';
export * from '../degradation/levels';
export { defineKind, registerKind, kindOf, registeredKinds, kindMetrics, KindError } from '../kinds/kind';
export type { DependencyKindSpec, DependencyKindDefinition, KindDefaults, ConnectionSpec, SplitSetting, CallMetricsSpec, KindPanelSpec, KindAdapterContext, KindAdapterFactory } from '../kinds/kind';
