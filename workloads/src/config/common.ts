import { EnvReader } from '@iotpipe/local';

export { ConfigError, EnvReader } from '@iotpipe/local';

/**
 * Where the pipeline's stages find Kafka, the registry, PostgreSQL and Mosquitto. Every field
 * has an env variable and a default that works with the local stack (`iotpipe stack up`).
 */
export interface ConnectionConfig {
  readonly kafkaBrokers: string[];
  readonly schemaRegistryUrl: string;
  readonly databaseUrl: string;
  readonly mqttUrl: string;
  readonly mqttUsername: string;
  readonly mqttPassword: string;
  readonly topic: string;
  readonly dlqTopic: string;
  readonly alertsTopic: string;
}

export function loadConnectionConfig(env: NodeJS.ProcessEnv = process.env): ConnectionConfig {
  const r = new EnvReader(env);
  const user = r.string('postgres.user', 'POSTGRES_USER', 'iot_user');
  const password = r.string('postgres.password', 'POSTGRES_PASSWORD', 'iot_password');
  const db = r.string('postgres.database', 'POSTGRES_DB', 'iot_data');
  const host = r.string('postgres.host', 'POSTGRES_HOST', '127.0.0.1');
  const port = r.port('postgres.port', 'POSTGRES_PORT', 5432);
  return {
    kafkaBrokers: r.list('kafkaBrokers', 'KAFKA_BOOTSTRAP_SERVERS', [
      '127.0.0.1:29092',
      '127.0.0.1:29093',
      '127.0.0.1:29094',
    ]),
    schemaRegistryUrl: r.url(
      'schemaRegistryUrl',
      'SCHEMA_REGISTRY_URL',
      'http://127.0.0.1:8081/apis/ccompat/v7',
      ['http', 'https'],
    ),
    databaseUrl: r.url(
      'databaseUrl',
      'DATABASE_URL',
      `postgres://${user}:${encodeURIComponent(password)}@${host}:${port}/${db}`,
      ['postgres', 'postgresql'],
    ),
    mqttUrl: r.url('mqttUrl', 'MQTT_URL', 'mqtt://127.0.0.1:1883', [
      'mqtt',
      'mqtts',
      'tcp',
      'ssl',
      'ws',
      'wss',
    ]),
    mqttUsername: r.string('mqttUsername', 'MQTT_USERNAME', 'iotpipe'),
    mqttPassword: r.string('mqttPassword', 'MQTT_PASSWORD', 'iotpipe'),
    topic: r.string('topic', 'KAFKA_TOPIC', 'iot-sensor-data'),
    dlqTopic: r.string('dlqTopic', 'KAFKA_DLQ_TOPIC', 'iot-sensor-data-dlq'),
    alertsTopic: r.string('alertsTopic', 'KAFKA_ALERTS_TOPIC', 'iot-alerts'),
  };
}
