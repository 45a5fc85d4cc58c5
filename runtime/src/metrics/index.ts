export * from './catalog';
export * from './registry';
