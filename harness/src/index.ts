/**
 * Real processes on 127.0.0.1 for this repository's tests, demo and bench: throwaway PostgreSQL,
 * Redis, Prometheus and Alertmanager, local stand-ins for the OpenAI API and for Amazon SNS (a
 * webhook receiver), a latency-injecting TCP proxy, a load generator, and the example service with
 * all of them. Everything started here stops on every
 * exit path of its owner.
 */
export * from './binaries';
export * from './ports';
export * from './servers';
export * from './connection-env';
export * from './prometheus';
export * from './openai-server';
export * from './latency-proxy';
export * from './load';
export * from './service-process';
export * from './example-stack';
export * from './example-traffic';
export * from './node-image';
export * from './alertmanager';
export * from './alert-receiver';
export * from './accelerated-alerting';
