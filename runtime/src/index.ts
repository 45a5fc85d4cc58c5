export * from './declaration';
export * from './metrics';
export * from './flags/flags';
export * from './degradation/levels';
export * from './http/paths';
export * from './secrets/redact';
