import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/common.js';
import { loadProcessorConfig } from './config.js';

describe('loadProcessorConfig', () => {
  it('defaults work on the local stack', () => {
    const c = loadProcessorConfig({});
    expect(c.metricsPort).toBe(8001);
    expect(c.connection.topic).toBe('iot-sensor-data');
    expect(c.connection.alertsTopic).toBe('iot-alerts');
    expect(c.rules.silenceAfterMs).toBe(300_000);
    expect(c.groupId).toBe('iotpipe-processor');
  });

  it('reads every rule knob from its variable', () => {
    const c = loadProcessorConfig({
      PROCESSOR_ZSCORE_THRESHOLD: '3',
      PROCESSOR_MIN_SAMPLES: '5',
      PROCESSOR_SILENCE_AFTER_SECONDS: '10',
      PROCESSOR_ALERT_COOLDOWN_SECONDS: '0',
      PROCESSOR_METRICS_PORT: '0',
      KAFKA_ALERTS_TOPIC: 'alerts-x',
    });
    expect(c.rules).toMatchObject({
      zScoreThreshold: 3,
      minSamples: 5,
      silenceAfterMs: 10_000,
      cooldownMs: 0,
    });
    expect(c.metricsPort).toBe(0);
    expect(c.connection.alertsTopic).toBe('alerts-x');
  });

  it.each([
    ['PROCESSOR_ZSCORE_THRESHOLD', 'abc', 'rules.zScoreThreshold'],
    ['PROCESSOR_MIN_SAMPLES', '1.5', 'rules.minSamples'],
    ['PROCESSOR_METRICS_PORT', '70000', 'metricsPort'],
    ['PROCESSOR_BATTERY_LOW_PERCENT', '150', 'rules.batteryLowPercent'],
    ['PROCESSOR_FORGET_AFTER_MINUTES', '2', 'rules.forgetAfterMs'],
    ['SCHEMA_REGISTRY_URL', 'ftp://x', 'schemaRegistryUrl'],
  ])('%s=%s fails naming the field and the variable', (envVar, value, field) => {
    let err: unknown;
    try {
      loadProcessorConfig({ [envVar]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect((err as ConfigError).envVar).toBe(envVar);
  });
});
