export * from './paths';
export * from './routes';
export * from './respond';
export * from './health';
export * from './instrument';
export * from './fastify';
export { CLIENT_CLOSED_STATUS, OTHER_METHOD, ACCESS_LOG_MESSAGE } from './recorder';
