import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStackConfig } from '../config.js';
import { KAFKA_ACCOUNTS, kafkaSecurityProperties, STACK_PIPELINE, stageAcls } from './kafka.js';
import { WorkloadService } from './workloads.js';

describe('the local Kafka accounts', () => {
  it('each stage is allowed exactly what it does on the stack pipeline', () => {
    const rules = (stage: 'adapter' | 'sink' | 'processor') =>
      stageAcls(stage, STACK_PIPELINE).map(
        (a) => `${a.account} ${a.operation} ${a.resource}:${a.pattern}:${a.name}`,
      );
    expect(rules('adapter')).toEqual([
      'kafka-adapter write topic:literal:iot-sensor-data',
      'kafka-adapter write topic:literal:iot-sensor-data-dlq',
    ]);
    expect(rules('sink')).toEqual([
      'kafka-sink read topic:literal:iot-sensor-data',
      'kafka-sink write topic:literal:iot-sensor-data-dlq',
      'kafka-sink read group:prefixed:iotpipe-sink',
    ]);
    expect(rules('processor')).toEqual([
      'kafka-processor read topic:literal:iot-sensor-data',
      'kafka-processor write topic:literal:iot-alerts',
      'kafka-processor read group:literal:iotpipe-processor',
    ]);
  });

  it('a pipeline without alerts or groups grants none', () => {
    expect(stageAcls('processor', { topic: 't', dlqTopic: 'd' })).toHaveLength(1);
    expect(stageAcls('sink', { topic: 't', dlqTopic: 'd' }).map((a) => a.resource)).toEqual([
      'topic',
      'topic',
    ]);
  });

  it('the nodes: SASL_SSL everywhere, the authorizer on, only broker, controller and admin are super users', () => {
    const props = kafkaSecurityProperties({
      keystore: '/k.pem',
      truststore: '/ca.crt',
      brokerPassword: 'b',
      controllerPassword: 'c',
    });
    expect(props).toContain('listener.security.protocol.map=CLIENT:SASL_SSL,CONTROLLER:SASL_SSL');
    expect(props).toContain('authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(props).toContain('allow.everyone.if.no.acl.found=false');
    expect(props).toContain(
      `super.users=User:${KAFKA_ACCOUNTS.broker};User:controller;User:${KAFKA_ACCOUNTS.admin}`,
    );
    expect(props).toContain('ssl.endpoint.identification.algorithm=https');
    expect(props.join('\n')).not.toMatch(/PLAINTEXT/);
  });
});

describe('the stack starts each stage with its own Kafka account', () => {
  it('SASL_SSL, SCRAM-SHA-512, its user, its password file and the stack CA', () => {
    const c = loadStackConfig({ IOTPIPE_STATE_DIR: '/tmp/iotpipe-unit-state' });
    for (const stage of ['adapter', 'sink', 'processor'] as const) {
      const env = new WorkloadService(c, stage).programs()[0]!.env!;
      expect(env).toMatchObject({
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: KAFKA_ACCOUNTS[stage],
        KAFKA_SASL_PASSWORD_FILE: join('/tmp/iotpipe-unit-state', 'secrets', KAFKA_ACCOUNTS[stage]),
        KAFKA_SSL_CA_FILE: join('/tmp/iotpipe-unit-state', 'pki', 'ca.crt'),
      });
    }
  });
});
