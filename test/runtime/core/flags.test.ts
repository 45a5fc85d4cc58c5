import { FlagError } from '@bulwark/runtime';
import { ACCEPTED_FLAG_VALUES, FLAG, flagsToEnv, parseFlags } from '../../../runtime/src/internal';

describe('feature flags', () => {
  it('unset means on, except STARTUP_FAIL_ON_WARNING', () => {
    const f = parseFlags({});
    expect(f).toEqual({
      startupValidation: true,
      startupFailOnWarning: false,
      circuitBreaker: true,
      prometheusMetrics: true,
      structuredLogging: true,
      gracefulDegradation: true,
    });
  });

  it('false switches a capability off; values are case-insensitive and trimmed', () => {
    const f = parseFlags({ [FLAG.circuitBreaker]: 'false', [FLAG.prometheusMetrics]: ' OFF ', [FLAG.startupFailOnWarning]: 'Yes' });
    expect(f.circuitBreaker).toBe(false);
    expect(f.prometheusMetrics).toBe(false);
    expect(f.startupFailOnWarning).toBe(true);
  });

  it('an invalid value names the variable and the accepted values', () => {
    let err: unknown;
    try {
      parseFlags({ ENABLE_CIRCUIT_BREAKER: 'yes please', ENABLE_STRUCTURED_LOGGING: 'nope' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FlagError);
    const msg = (err as Error).message;
    expect(msg).toContain('ENABLE_CIRCUIT_BREAKER="yes please" is not a boolean; use one of true, false, 1, 0, yes, no, on, off');
    expect(msg).toContain('ENABLE_STRUCTURED_LOGGING="nope"');
    expect((err as FlagError).problems).toHaveLength(2);
    expect(ACCEPTED_FLAG_VALUES).toContain('off');
  });

  it('flagsToEnv sets every flag explicitly, for deployments', () => {
    const env = flagsToEnv({ circuitBreaker: false });
    expect(Object.keys(env).sort()).toEqual(Object.values(FLAG).sort());
    expect(env.ENABLE_CIRCUIT_BREAKER).toBe('false');
    expect(parseFlags(env).circuitBreaker).toBe(false);
    expect(parseFlags(env).prometheusMetrics).toBe(true);
  });
});
