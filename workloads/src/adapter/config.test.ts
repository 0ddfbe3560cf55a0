import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/common.js';
import { effectiveFilters, loadAdapterConfig } from './config.js';

describe('loadAdapterConfig', () => {
  it('has defaults that work on the local stack', () => {
    const c = loadAdapterConfig({});
    expect(c).toMatchObject({
      mqttClientId: 'iotpipe-adapter',
      subscriptions: ['ruuvi/+/+', 'ruuvitag/data', 'iotpipe/sim/#'],
      sharedGroup: '',
      maxInFlight: 64,
      metricsPort: 8002,
      kafkaClient: 'platformatic',
    });
    expect(c.connection.topic).toBe('iot-sensor-data');
    // Plain by default: Mosquitto keeps a plain subscription across its restart.
    expect(effectiveFilters(c)).toEqual(['ruuvi/+/+', 'ruuvitag/data', 'iotpipe/sim/#']);
  });

  it('applies prefix and group; "-" subscribes without a group', () => {
    const grouped = loadAdapterConfig({ ADAPTER_TOPIC_PREFIX: 't1/', ADAPTER_SHARED_GROUP: 'g1' });
    expect(effectiveFilters(grouped)).toEqual([
      '$share/g1/t1/ruuvi/+/+',
      '$share/g1/t1/ruuvitag/data',
      '$share/g1/t1/iotpipe/sim/#',
    ]);
    const plain = loadAdapterConfig({
      ADAPTER_TOPIC_PREFIX: 't1/',
      ADAPTER_SHARED_GROUP: '-',
      ADAPTER_MAX_IN_FLIGHT: '8',
      ADAPTER_SUBSCRIPTIONS: 'ruuvi/#',
    });
    expect(effectiveFilters(plain)).toEqual(['t1/ruuvi/#']);
    expect(plain.maxInFlight).toBe(8);
  });

  it('subscribes to the Ruuvi Gateway topics under ADAPTER_RUUVI_TOPIC_PREFIX', () => {
    expect(loadAdapterConfig({}).ruuviTopicPrefix).toBe('ruuvi');
    const c = loadAdapterConfig({ ADAPTER_RUUVI_TOPIC_PREFIX: 'home/ruuvi', ADAPTER_TOPIC_PREFIX: 't1/' });
    expect(c.ruuviTopicPrefix).toBe('home/ruuvi');
    expect(effectiveFilters(c)).toEqual(['t1/home/ruuvi/+/+', 't1/ruuvitag/data', 't1/iotpipe/sim/#']);
    // explicit subscriptions stay as given
    const explicit = loadAdapterConfig({ ADAPTER_RUUVI_TOPIC_PREFIX: 'gw', ADAPTER_SUBSCRIPTIONS: 'gw/#' });
    expect(explicit.subscriptions).toEqual(['gw/#']);
  });

  it('chooses the Kafka client by ADAPTER_KAFKA_CLIENT', () => {
    expect(loadAdapterConfig({ ADAPTER_KAFKA_CLIENT: 'platformatic' }).kafkaClient).toBe('platformatic');
    expect(loadAdapterConfig({ ADAPTER_KAFKA_CLIENT: 'kafkajs' }).kafkaClient).toBe('kafkajs');
    expect(loadAdapterConfig({ ADAPTER_KAFKA_CLIENT: '' }).kafkaClient).toBe('platformatic');
    expect(() => loadAdapterConfig({ ADAPTER_KAFKA_CLIENT: 'rdkafka' })).toThrow(
      /ADAPTER_KAFKA_CLIENT.*'rdkafka' is not one of kafkajs, platformatic/,
    );
  });

  it.each([
    ['ADAPTER_MAX_IN_FLIGHT', 'many', 'maxInFlight'],
    ['ADAPTER_MAX_IN_FLIGHT', '0', 'maxInFlight'],
    ['ADAPTER_MAX_PAYLOAD_BYTES', '10', 'maxPayloadBytes'],
    ['ADAPTER_DEDUP_WINDOW_SIZE', '-5', 'dedupWindowSize'],
    ['ADAPTER_METRICS_PORT', '70000', 'metricsPort'],
    ['ADAPTER_SUBSCRIPTIONS', 'ruuvi/#/x', 'subscriptions'],
    ['ADAPTER_SUBSCRIPTIONS', 'a/b+', 'subscriptions'],
    ['ADAPTER_SHARED_GROUP', 'a/b', 'sharedGroup'],
    ['ADAPTER_TOPIC_PREFIX', 'test', 'topicPrefix'],
    ['ADAPTER_RUUVI_TOPIC_PREFIX', 'ruuvi/#', 'ruuviTopicPrefix'],
    ['ADAPTER_RUUVI_TOPIC_PREFIX', 'ruuvi/', 'ruuviTopicPrefix'],
    ['ADAPTER_RUUVI_TOPIC_PREFIX', 'a//b', 'ruuviTopicPrefix'],
    ['ADAPTER_RUUVI_TOPIC_PREFIX', '$SYS', 'ruuviTopicPrefix'],
    ['ADAPTER_RUUVI_TOPIC_PREFIX', 'iotpipe/sim', 'ruuviTopicPrefix'],
    ['ADAPTER_RUUVI_TOPIC_PREFIX', 'x'.repeat(65), 'ruuviTopicPrefix'],
    ['ADAPTER_MQTT_CLIENT_ID', 'has space', 'mqttClientId'],
    ['ADAPTER_BACKOFF_MAX_MS', '50', 'backoffMaxMs'],
    ['KAFKA_BOOTSTRAP_SERVERS', ',', 'kafkaBrokers'],
    ['MQTT_URL', 'http://x', 'mqttUrl'],
    ['ADAPTER_KAFKA_CLIENT', 'librdkafka', 'kafkaClient'],
    ['ADAPTER_KAFKA_CLIENT', 'KafkaJS', 'kafkaClient'],
  ])('%s=%s fails naming %s', (envVar, value, field) => {
    let err: unknown;
    try {
      loadAdapterConfig({ [envVar]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ field, envVar });
    expect((err as Error).message).toContain(envVar);
  });
});
