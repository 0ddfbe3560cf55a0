import { describe, expect, it } from 'vitest';
import { ConfigError, loadOperatorConfig } from './config.js';

describe('operator config', () => {
  it('has defaults that work on the local stack', () => {
    const c = loadOperatorConfig({});
    expect(c.metricsPort).toBe(8080);
    expect(c.leaderElection).toMatchObject({
      leaseName: 'iotpipe-operator',
      leaseDurationMs: 10_000,
      renewDeadlineMs: 7_000,
      retryPeriodMs: 1_000,
    });
    expect(c).toMatchObject({ notReadyBaseMs: 5_000, notReadyMaxMs: 300_000 });
    expect(c.schemaFile).toMatch(/workloads\/src\/schema\/sensor_reading\.avsc$/);
  });

  it.each([
    [{ OPERATOR_METRICS_PORT: '70000' }, 'OPERATOR_METRICS_PORT'],
    [
      { OPERATOR_NOT_READY_REQUEUE_SECONDS: '60', OPERATOR_NOT_READY_REQUEUE_MAX_SECONDS: '10' },
      'OPERATOR_NOT_READY_REQUEUE_MAX_SECONDS',
    ],
    [{ OPERATOR_WORKERS: '0' }, 'OPERATOR_WORKERS'],
    [
      { OPERATOR_LEASE_DURATION_SECONDS: '5', OPERATOR_RENEW_DEADLINE_SECONDS: '5' },
      'OPERATOR_RENEW_DEADLINE_SECONDS',
    ],
    [{ OPERATOR_BACKOFF_BASE_MS: '1000', OPERATOR_BACKOFF_MAX_MS: '10' }, 'OPERATOR_BACKOFF_MAX_MS'],
  ])('rejects %o naming %s', (env, envVar) => {
    expect(() => loadOperatorConfig(env)).toThrow(ConfigError);
    expect(() => loadOperatorConfig(env)).toThrow(envVar);
  });
});
