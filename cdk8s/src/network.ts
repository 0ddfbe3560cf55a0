/**
 * The platform's network peers, for the NetworkPolicies the shared builder writes
 * (@iotpipe/contract networkPolicy): under the namespace's default deny, each part is reachable
 * only from what needs it and reaches only what it needs (plus DNS).
 */
import { podsWith, type NetworkPeer } from '@iotpipe/contract';
import { selectorOf } from './workload.js';

export { ANYWHERE, PROMETHEUS_PEER, namespaceNamed } from '@iotpipe/contract';

export function podsNamed(name: string): NetworkPeer {
  return podsWith(selectorOf(name));
}

/** Pods of the operator-made workloads of these stages (the operator labels them so). */
export function pipelinePods(...stages: readonly string[]): NetworkPeer {
  return {
    podSelector: {
      matchExpressions: [
        { key: 'iotpipe.io/pipeline', operator: 'Exists' },
        { key: 'app.kubernetes.io/component', operator: 'In', values: [...stages] },
      ],
    },
  };
}

/** The broker pods of a Strimzi cluster. */
export function kafkaBrokers(cluster: string): NetworkPeer {
  return podsWith({
    'strimzi.io/cluster': cluster,
    'strimzi.io/kind': 'Kafka',
    'strimzi.io/broker-role': 'true',
  });
}

/** Every pod Strimzi runs for a cluster (brokers, controllers, the entity operator). */
export function strimziPods(cluster: string): NetworkPeer {
  return podsWith({ 'strimzi.io/cluster': cluster });
}

/** The API server is no pod: any address on its usual ports. */
export const API_SERVER_PORTS = [443, 6443] as const;
