/** The API resources the operator reads or writes, and their URL paths. */

export interface Resource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
}

/** The collection URL of a namespaced resource; '' namespace: across all namespaces. */
export function collectionPath(resource: Resource, namespace: string): string {
  const base = resource.apiVersion.includes('/')
    ? `/apis/${resource.apiVersion}`
    : `/api/${resource.apiVersion}`;
  return namespace
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`
    : `${base}/${resource.plural}`;
}

export function objectPath(resource: Resource, namespace: string, name: string): string {
  return `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`;
}

export const POD = { apiVersion: 'v1', kind: 'Pod', plural: 'pods' } as const;
export const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases' } as const;
export const EVENT = { apiVersion: 'events.k8s.io/v1', kind: 'Event', plural: 'events' } as const;
/** Events as the kubelet writes them (core/v1), read for FailedMount: their field selectors are known. */
export const CORE_EVENT = { apiVersion: 'v1', kind: 'Event', plural: 'events' } as const;
/** Strimzi's Kafka cluster (the KafkaTopics' strimzi.io/cluster names one). */
export const KAFKA = { apiVersion: 'kafka.strimzi.io/v1', kind: 'Kafka', plural: 'kafkas' } as const;
