/**
 * A sample IoTPipeline (iotpipe.io/v1alpha1, typed from the operator's CRD): simulated sensors
 * and RuuviTag gateways over MQTT into the `iot-sensor-data` topic, a processor with thresholds
 * and a sink into TimescaleDB. The operator turns it into KafkaTopics, a schema subject and the
 * workloads (the adapter's StatefulSet, Deployments of the other stages); cdk8s does not make
 * those.
 */
import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { IoTPipeline, IoTPipelineSpecSchemaCompatibility } from '../../imports/iotpipe.io.js';
import { IMAGES } from '../images.js';
import type { Profile } from '../profiles.js';
import { PART_OF } from '../workload.js';
import { DATABASE_ADDRESS_KEY } from './credentials.js';
import { NAMES, PORTS } from './names.js';

export class SamplePipelineChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps & { profile: Profile }) {
    super(scope, id, props);
    const { requests, limits } = props.profile.pipeline.resources;
    new IoTPipeline(this, 'sample', {
      metadata: { name: NAMES.samplePipeline, labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        mqtt: {
          brokerUrl: `mqtt://${NAMES.mosquitto}:${PORTS.mqtt}`,
          credentialsSecret: { name: NAMES.mosquittoSecret },
          topicFilters: ['iotpipe/sim/#', 'ruuvi/#', 'ruuvitag/data'],
        },
        kafka: {
          cluster: NAMES.kafkaCluster,
          topic: 'iot-sensor-data',
          partitions: 6,
          replicas: 3,
          minInSyncReplicas: 2,
        },
        schema: {
          subject: 'iot-sensor-data-value',
          compatibility: IoTPipelineSpecSchemaCompatibility.BACKWARD,
          registryUrl: `http://${NAMES.registry}:${PORTS.registryHttp}/apis/ccompat/v7`,
        },
        sink: {
          // The URL without the password, which the sink reads from a file (no password in env).
          databaseSecret: { name: NAMES.timescaleSinkSecret, key: DATABASE_ADDRESS_KEY, passwordKey: 'password' },
          batchSize: 500,
          batchIntervalMs: 1000,
          replicas: 1,
        },
        processor: {
          // No alertsTopic: the processor writes to the shared iot-alerts topic (kafka chart).
          enabled: true,
          thresholds: {
            temperature: { min: -10, max: 35 },
            humidity: { min: 10, max: 90 },
          },
        },
        simulator: { devices: 8, intervalSeconds: 1, anomalyProbability: 0.05, topicPrefix: 'iotpipe/sim' },
        image: IMAGES.workloads,
        resources: { requests: { ...requests }, limits: { ...limits } },
      },
    });
  }
}
