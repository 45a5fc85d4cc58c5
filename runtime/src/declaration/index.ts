export * from './types';
export * from './define';
export { KIND_DEFAULTS, HEALTH_CHECK_DEFAULTS, OBJECTIVE_DEFAULTS, STARTUP_DEFAULTS } from './defaults';
export * from '../degradation/levels';
