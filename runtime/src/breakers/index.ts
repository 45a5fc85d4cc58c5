export { BreakerOpenError, BreakerTimeoutError, BreakerShutdownError } from './errors';
export { neverAbortedSignal, type Breaker, type BreakerOptions, type BreakerState } from './breaker';
export { BreakerRegistry, BREAKER_STATE_VALUE, type BreakerRegistryOptions, type BreakerSnapshot, type BreakerStateChange } from './registry';
