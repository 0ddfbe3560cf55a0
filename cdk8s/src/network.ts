/**
 * NetworkPolicies: each part is reachable only from what needs it and reaches only what it
 * needs (plus DNS). Prometheus scrapes from the monitoring namespace.
 */
import { k8s } from 'cdk8s-plus-34';
import type { Construct } from 'constructs';

export type Peer = k8s.NetworkPolicyPeer;

export function podsNamed(name: string): Peer {
  return { podSelector: { matchLabels: { 'app.kubernetes.io/name': name } } };
}

/** The workload pods the operator creates for IoTPipelines (it labels them with the pipeline). */
export const PIPELINE_PODS: Peer = {
  podSelector: { matchExpressions: [{ key: 'iotpipe.io/pipeline', operator: 'Exists' }] },
};

export function kafkaBrokers(cluster: string): Peer {
  return {
    podSelector: {
      matchLabels: {
        'strimzi.io/cluster': cluster,
        'strimzi.io/kind': 'Kafka',
        'strimzi.io/broker-role': 'true',
      },
    },
  };
}

export function namespaceNamed(ns: string): Peer {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } };
}

/** Anywhere, inside or outside the cluster (MQTT gateways on the LAN; the API server). */
export const ANYWHERE: Peer = { ipBlock: { cidr: '0.0.0.0/0' } };

export interface Rule {
  readonly peers: readonly Peer[];
  readonly ports: readonly number[];
  readonly protocol?: 'TCP' | 'UDP';
}

const DNS: k8s.NetworkPolicyEgressRule = {
  to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [
    { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
    { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
  ],
};

function ports(r: Rule): k8s.NetworkPolicyPort[] {
  return r.ports.map((p) => ({ protocol: r.protocol ?? 'TCP', port: k8s.IntOrString.fromNumber(p) }));
}

/** Ingress and egress allow-lists for the pods matching `podSelector`; DNS egress is always allowed. */
export function networkPolicy(
  scope: Construct,
  name: string,
  podSelector: k8s.LabelSelector,
  ingress: readonly Rule[],
  egress: readonly Rule[],
): void {
  new k8s.KubeNetworkPolicy(scope, `${name}-netpol`, {
    metadata: { name },
    spec: {
      podSelector,
      policyTypes: ['Ingress', 'Egress'],
      ingress: ingress.map((r) => ({ from: [...r.peers], ports: ports(r) })),
      egress: [DNS, ...egress.map((r) => ({ to: [...r.peers], ports: ports(r) }))],
    },
  });
}
