export * from './context';
export * from './destination';
export * from './logger';
export { isSensitiveKey, type SerializedError } from './redaction';
