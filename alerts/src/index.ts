export * from './types';
export * from './rules';
export * from './slo';
export * from './render';
export { RUNBOOK_BASE_URL, RUNBOOKS_INDEX, runbook, runbookUrl } from './runbooks';
export * from './promtool-tests';
export { expandTemplate } from './go-template';
export * from './routing';
