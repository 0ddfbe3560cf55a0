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
    // No image policy unless the manifests set one (cdk8s/src/charts/operator.ts does).
    expect(c.imagePolicy).toEqual({ allowedRegistries: [], requireDigest: false });
  });

  it('reads the image policy', () => {
    const c = loadOperatorConfig({
      OPERATOR_ALLOWED_REGISTRIES: ' ghcr.io/iotpipe, localhost:5000 ,registry.example.com:8443/team/',
      OPERATOR_IMAGE_REQUIRE_DIGEST: 'true',
    });
    expect(c.imagePolicy).toEqual({
      allowedRegistries: ['ghcr.io/iotpipe', 'localhost:5000', 'registry.example.com:8443/team/'],
      requireDigest: true,
    });
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
    // A scheme, a tag or a bare name is not a registry prefix: refused rather than matching nothing.
    [{ OPERATOR_ALLOWED_REGISTRIES: 'https://ghcr.io' }, 'OPERATOR_ALLOWED_REGISTRIES'],
    [{ OPERATOR_ALLOWED_REGISTRIES: 'ghcr.io/iotpipe/workloads:0.1.0' }, 'OPERATOR_ALLOWED_REGISTRIES'],
    [{ OPERATOR_ALLOWED_REGISTRIES: 'iotpipe' }, 'OPERATOR_ALLOWED_REGISTRIES'],
    [{ OPERATOR_IMAGE_REQUIRE_DIGEST: 'yes' }, 'OPERATOR_IMAGE_REQUIRE_DIGEST'],
  ])('rejects %o naming %s', (env, envVar) => {
    expect(() => loadOperatorConfig(env)).toThrow(ConfigError);
    expect(() => loadOperatorConfig(env)).toThrow(envVar);
  });
});
