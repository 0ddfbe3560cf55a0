import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/common.js';
import { simulateEnv } from '../cli/simulate.js';
import { loadSimulatorConfig } from './config.js';

const NOW = Date.UTC(2026, 10, 27, 6, 0, 0);
const load = (env: NodeJS.ProcessEnv) => loadSimulatorConfig(env, () => NOW);

function configError(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadSimulatorConfig', () => {
  it("defaults to the original README's simulator and the local stack", () => {
    const c = load({ SIM_SEED: '7' });
    expect(c.numDevices).toBe(8);
    expect(c.intervalSec).toBe(1);
    expect(c.deviceTypes).toEqual(['temperature', 'humidity', 'pressure', 'motion', 'light']);
    expect(c.anomalyProbability).toBe(0.05);
    expect(c.output).toBe('mqtt');
    expect(c.rate).toBeNull();
    expect(c.count).toBeNull();
    expect(c.durationSec).toBeNull();
    expect(c.startMs).toBe(NOW);
    expect(c.seed).toBe(7);
    expect(c.mqttTopicPrefix).toBe('iotpipe/sim');
    expect(c.ruuviTopicPrefix).toBe('ruuvi');
    expect(c.connection.mqttUrl).toBe('mqtt://127.0.0.1:1883');
    expect(c.manifestPath).toBeNull();
  });

  it('reads every variable', () => {
    const c = load({
      IOT_NUM_DEVICES: '100',
      IOT_DATA_INTERVAL_SEC: '2.5',
      IOT_DEVICE_TYPES: 'light, motion',
      IOT_ANOMALY_PROBABILITY: '0',
      SIM_RUUVI_TAGS: '3',
      SIM_RUUVI_FORMATS: '5,3',
      SIM_GATEWAYS: '2',
      SIM_DUPLICATE_GATEWAYS: '0.5',
      SIM_GATEWAY_TIME: 'false',
      SIM_RATE: '1000',
      SIM_DURATION_SEC: '10',
      SIM_COUNT: '500',
      SIM_SEED: '4294967295',
      SIM_START: '2026-01-01T00:00:00Z',
      SIM_OUTPUT: 'kafka',
      SIM_MQTT_TOPIC_PREFIX: 'test/sim/',
      SIM_BATCH_SIZE: '1000',
      SIM_CONNECTIONS: '4',
      SIM_MANIFEST: '/tmp/m.json',
      KAFKA_TOPIC: 'mine',
      SIM_SHARD: '1/3',
    });
    expect(c).toMatchObject({
      numDevices: 100,
      intervalSec: 2.5,
      deviceTypes: ['light', 'motion'],
      anomalyProbability: 0,
      ruuviTags: 3,
      ruuviFormats: [5, 3],
      gateways: 2,
      duplicateGatewayShare: 0.5,
      gatewayTime: false,
      rate: 1000,
      durationSec: 10,
      count: 500,
      seed: 4294967295,
      startMs: Date.UTC(2026, 0, 1),
      output: 'kafka',
      mqttTopicPrefix: 'test/sim',
      batchSize: 1000,
      connections: 4,
      manifestPath: '/tmp/m.json',
      shard: { index: 1, count: 3 },
    });
    expect(c.connection.topic).toBe('mine');
  });

  it.each([
    [{ IOT_NUM_DEVICES: '-1' }, 'IOT_NUM_DEVICES'],
    [{ IOT_DATA_INTERVAL_SEC: 'fast' }, 'IOT_DATA_INTERVAL_SEC'],
    [{ IOT_DEVICE_TYPES: 'temperature,smell' }, 'IOT_DEVICE_TYPES'],
    [{ IOT_ANOMALY_PROBABILITY: '1.5' }, 'IOT_ANOMALY_PROBABILITY'],
    [{ SIM_RUUVI_FORMATS: '6' }, 'SIM_RUUVI_FORMATS'],
    [{ SIM_RUUVI_FORMATS: '3', IOT_DATA_INTERVAL_SEC: '0.5' }, 'SIM_RUUVI_FORMATS'],
    [{ SIM_DUPLICATE_GATEWAYS: '0.2' }, 'SIM_DUPLICATE_GATEWAYS'],
    [{ SIM_OUTPUT: 'file' }, 'SIM_OUTPUT'],
    [{ SIM_RATE: '-5' }, 'SIM_RATE'],
    [{ SIM_SEED: 'abc' }, 'SIM_SEED'],
    [{ SIM_START: 'yesterday' }, 'SIM_START'],
    [{ SIM_BATCH_SIZE: '1001' }, 'SIM_BATCH_SIZE'],
    [{ SIM_MQTT_TOPIC_PREFIX: 'a/#' }, 'SIM_MQTT_TOPIC_PREFIX'],
    [{ IOT_NUM_DEVICES: '0', SIM_RUUVI_TAGS: '0' }, 'IOT_NUM_DEVICES'],
    [{ MQTT_URL: 'http://x' }, 'MQTT_URL'],
    [{ SIM_SHARD: '2/2' }, 'SIM_SHARD'],
  ])('rejects %o naming %s', (env, envVar) => {
    const e = configError(env);
    expect(e.envVar).toBe(envVar);
    expect(e.message).toContain(envVar);
  });

  it('takes flags over env variables', () => {
    const env = simulateEnv({ devices: '3', rate: '50', 'gateway-time': false }, { IOT_NUM_DEVICES: '9' });
    const c = load(env);
    expect(c.numDevices).toBe(3);
    expect(c.rate).toBe(50);
    expect(c.gatewayTime).toBe(false);
  });
});
