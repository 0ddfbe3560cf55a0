/**
 * The one builder of the platform's pods and what goes around them, as plain Kubernetes objects:
 * the Deployment or StatefulSet, its Service, its ServiceMonitor or PodMonitor, its NetworkPolicy
 * and its PodDisruptionBudget. The cdk8s charts (cdk8s/src/charts) and the operator's children
 * (operator/src/children) both build their workloads here, so pod hardening lives in one place:
 * non-root with a seccomp profile, no service-account token unless asked for, no privilege
 * escalation, no capabilities, a read-only root filesystem, no service-link env, requests and a
 * memory limit on every container. Pure: no I/O, no cdk8s, no client library (the operator's
 * image stays free of them).
 */
import type { EnvVar } from './settings.js';

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export type Labels = Record<string, string>;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: Array<{
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }>;
}

/** Requests and limits in Kubernetes quantity strings. */
export interface Resources {
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
}

/**
 * What a container gets when its builder names no resources: enough for a Node.js stage at a
 * few thousand readings per second; a memory limit (a leak kills the container, not the node)
 * and no CPU limit (throttling a stage that holds PUBACKs or offsets only adds latency).
 */
export const DEFAULT_RESOURCES = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { memory: '512Mi' },
} as const satisfies Resources;

export interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

export interface Volume {
  name: string;
  emptyDir?: { medium?: 'Memory'; sizeLimit?: string };
  secret?: {
    secretName: string;
    items?: Array<{ key: string; path: string }>;
    defaultMode?: number;
    optional?: boolean;
  };
  configMap?: { name: string; items?: Array<{ key: string; path: string }>; defaultMode?: number };
  projected?: { sources: ProjectedSource[]; defaultMode?: number };
}

/** One Secret's keys in a projected volume (paths may name sub-directories). */
export interface ProjectedSource {
  secret: { name: string; items: Array<{ key: string; path: string }>; optional?: boolean };
}

/** An env entry: a value, a Secret key, or a field of the pod (the downward API). */
export type ContainerEnv = EnvVar;

export interface ContainerInput {
  name: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: ContainerEnv[];
  ports?: Array<{ name: string; containerPort: number; protocol?: 'TCP' | 'UDP' }>;
  /** {@link DEFAULT_RESOURCES} when absent. */
  resources?: Resources;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: VolumeMount[];
  /** Only for an image that must write under / (a database's entrypoint); default true. */
  readOnlyRootFilesystem?: boolean;
}

/** The user and group a pod runs as (never 0). */
export interface RunAs {
  user: number;
  group?: number;
  /** Group owning mounted volumes; `group` when absent. */
  fsGroup?: number;
}

export interface StatefulSetInput {
  /** The governing (headless) Service. */
  serviceName: string;
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  volumeClaimTemplates?: Array<{ name: string; storage: string; accessModes?: string[] }>;
}

export interface WorkloadInput {
  kind: 'Deployment' | 'StatefulSet';
  metadata: ObjectMeta;
  /** The pods' identifying labels; also the selector of the Service, PDB and NetworkPolicy. */
  selector: Labels;
  replicas: number;
  /** Labels of the pods besides the selector (the object's labels by default). */
  podLabels?: Labels;
  podAnnotations?: Record<string, string>;
  containers: ContainerInput[];
  initContainers?: ContainerInput[];
  volumes?: Volume[];
  runAs: RunAs;
  /** The ServiceAccount; its token is mounted only with `serviceAccountToken` (API clients). */
  serviceAccountName?: string;
  serviceAccountToken?: boolean;
  /** Prefer one replica per node (a production cluster has several). */
  spreadAcrossNodes?: boolean;
  terminationGracePeriodSeconds?: number;
  statefulSet?: StatefulSetInput;
}

/** A container with the platform's hardening and default resources. */
export function hardenedContainer(c: ContainerInput): Record<string, unknown> {
  const { readOnlyRootFilesystem = true, resources, ...rest } = c;
  return {
    ...rest,
    resources: resources ?? structuredClone(DEFAULT_RESOURCES),
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem,
      capabilities: { drop: ['ALL'] },
    },
  };
}

/** The pod-level hardening: non-root with the RuntimeDefault seccomp profile. */
export function podSecurityContext(runAs: RunAs): Record<string, unknown> {
  if (runAs.user === 0) throw new Error('a pod must not run as uid 0');
  const group = runAs.group ?? runAs.user;
  return {
    runAsNonRoot: true,
    runAsUser: runAs.user,
    runAsGroup: group,
    fsGroup: runAs.fsGroup ?? group,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function antiAffinity(selector: Labels): Record<string, unknown> {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: 'kubernetes.io/hostname',
            labelSelector: { matchLabels: selector },
          },
        },
      ],
    },
  };
}

/** The hardened pod template of a workload. */
export function podTemplate(w: WorkloadInput): Record<string, unknown> {
  return {
    metadata: {
      labels: { ...(w.podLabels ?? w.metadata.labels), ...w.selector },
      ...(w.podAnnotations && { annotations: w.podAnnotations }),
    },
    spec: {
      ...(w.serviceAccountName !== undefined && { serviceAccountName: w.serviceAccountName }),
      automountServiceAccountToken: w.serviceAccountToken === true,
      // A Service named like a setting's prefix (kafka, mqtt ...) would otherwise put
      // KAFKA_PORT=tcp://... into every container's environment.
      enableServiceLinks: false,
      securityContext: podSecurityContext(w.runAs),
      ...(w.spreadAcrossNodes && { affinity: antiAffinity(w.selector) }),
      ...(w.terminationGracePeriodSeconds !== undefined && {
        terminationGracePeriodSeconds: w.terminationGracePeriodSeconds,
      }),
      ...(w.initContainers && { initContainers: w.initContainers.map(hardenedContainer) }),
      containers: w.containers.map(hardenedContainer),
      ...(w.volumes && { volumes: w.volumes }),
    },
  };
}

/** The Deployment or StatefulSet. */
export function workloadObject(w: WorkloadInput): KubeObject {
  const spec: Record<string, unknown> = {
    replicas: w.replicas,
    selector: { matchLabels: w.selector },
    template: podTemplate(w),
  };
  if (w.kind === 'StatefulSet') {
    if (!w.statefulSet) throw new Error(`StatefulSet ${w.metadata.name}: no statefulSet (serviceName) given`);
    const s = w.statefulSet;
    spec['serviceName'] = s.serviceName;
    if (s.podManagementPolicy) spec['podManagementPolicy'] = s.podManagementPolicy;
    spec['updateStrategy'] = { type: 'RollingUpdate' };
    if (s.volumeClaimTemplates)
      spec['volumeClaimTemplates'] = s.volumeClaimTemplates.map((v) => ({
        metadata: { name: v.name },
        spec: {
          accessModes: v.accessModes ?? ['ReadWriteOnce'],
          resources: { requests: { storage: v.storage } },
        },
      }));
  }
  return { apiVersion: 'apps/v1', kind: w.kind, metadata: w.metadata, spec };
}

export interface JobInput extends Omit<
  WorkloadInput,
  'kind' | 'replicas' | 'statefulSet' | 'spreadAcrossNodes'
> {
  backoffLimit?: number;
  /** Finished Jobs (and their pods) go after this long. */
  ttlSecondsAfterFinished?: number;
}

/** A Job whose pod is hardened like every other (restarted on failure, in place). */
export function jobObject(j: JobInput): KubeObject {
  const template = podTemplate({ ...j, kind: 'Deployment', replicas: 1 }) as {
    spec: Record<string, unknown>;
  };
  template.spec['restartPolicy'] = 'OnFailure';
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: j.metadata,
    spec: {
      ...(j.backoffLimit !== undefined && { backoffLimit: j.backoffLimit }),
      ...(j.ttlSecondsAfterFinished !== undefined && { ttlSecondsAfterFinished: j.ttlSecondsAfterFinished }),
      template,
    },
  };
}

/**
 * A PodDisruptionBudget keeping all but one replica up while nodes drain; none for a single
 * replica (a budget there would only block drains, or allow everything).
 */
export function disruptionBudget(
  metadata: ObjectMeta,
  selector: Labels,
  replicas: number,
): KubeObject | undefined {
  if (replicas < 2) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata,
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
}

export interface ServicePort {
  name: string;
  port: number;
  targetPort?: string | number;
  nodePort?: number;
  protocol?: 'TCP' | 'UDP';
}

export function service(
  metadata: ObjectMeta,
  selector: Labels,
  ports: readonly ServicePort[],
  o: { headless?: boolean; type?: 'ClusterIP' | 'LoadBalancer' | 'NodePort' } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      ...(o.headless && { clusterIP: 'None' }),
      ...(o.type && { type: o.type }),
      selector,
      ...(ports.length > 0 && {
        ports: ports.map((p) => ({ protocol: 'TCP', targetPort: p.name, ...p })),
      }),
    },
  };
}

export interface ScrapeEndpoint {
  port: string;
  path?: string;
  interval?: string;
  /** Sets the `job` label (what the alert rules and dashboards select on). */
  job?: string;
  relabelings?: Array<Record<string, unknown>>;
}

function endpoint(e: ScrapeEndpoint): Record<string, unknown> {
  const relabelings = [
    ...(e.job === undefined ? [] : [{ targetLabel: 'job', replacement: e.job }]),
    ...(e.relabelings ?? []),
  ];
  return {
    port: e.port,
    path: e.path ?? '/metrics',
    interval: e.interval ?? '30s',
    ...(relabelings.length > 0 && { relabelings }),
  };
}

/** A prometheus-operator ServiceMonitor over the Services matching `selector`. */
export function serviceMonitor(
  metadata: ObjectMeta,
  selector: Labels,
  endpoints: readonly ScrapeEndpoint[],
): KubeObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata,
    spec: { selector: { matchLabels: selector }, endpoints: endpoints.map(endpoint) },
  };
}

/** A prometheus-operator PodMonitor over the pods matching `selector`. */
export function podMonitor(
  metadata: ObjectMeta,
  selector: Labels,
  endpoints: readonly ScrapeEndpoint[],
): KubeObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata,
    spec: { selector: { matchLabels: selector }, podMetricsEndpoints: endpoints.map(endpoint) },
  };
}

// --- NetworkPolicy ----------------------------------------------------------------------------

/** A NetworkPolicy peer: pods (in namespaces), or addresses. */
export interface NetworkPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

/** Traffic allowed to or from `peers` on `ports`. */
export interface NetworkRule {
  /** Never empty: an empty peer list would mean everyone (use {@link ANYWHERE} to say so). */
  peers: readonly NetworkPeer[];
  ports: readonly number[];
  protocol?: 'TCP' | 'UDP';
}

/** Pods of this namespace with these labels. */
export function podsWith(labels: Labels): NetworkPeer {
  return { podSelector: { matchLabels: labels } };
}

/** Every pod of the namespace called `namespace`. */
export function namespaceNamed(namespace: string): NetworkPeer {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } };
}

/** Any address, inside the cluster or out (gateways on the LAN; the API server, which is no pod). */
export const ANYWHERE: NetworkPeer = { ipBlock: { cidr: '0.0.0.0/0' } };

/**
 * Prometheus, wherever kube-prometheus (or kube-prometheus-stack) runs it: both label its pods
 * `app.kubernetes.io/name: prometheus`. Metrics ports admit it and nothing else.
 */
export const PROMETHEUS_PEER: NetworkPeer = {
  namespaceSelector: {},
  podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
};

/** Cluster DNS: the kube-dns pods (CoreDNS keeps that label) of any namespace, UDP and TCP 53. */
export const DNS_EGRESS = {
  to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
} as const;

function rule(direction: 'from' | 'to', r: NetworkRule): Record<string, unknown> {
  if (r.peers.length === 0)
    throw new Error('a NetworkPolicy rule needs at least one peer (ANYWHERE for all)');
  if (r.ports.length === 0) throw new Error('a NetworkPolicy rule needs at least one port');
  return {
    [direction]: r.peers.map((p) => ({ ...p })),
    ports: r.ports.map((port) => ({ protocol: r.protocol ?? 'TCP', port })),
  };
}

/**
 * The allow-list of the pods matching `podSelector`, both directions: what may reach them, and
 * what they may reach besides cluster DNS. Under the namespace's default deny this is all they
 * get; empty lists deny everything in that direction.
 */
export function networkPolicy(
  metadata: ObjectMeta,
  podSelector: LabelSelector,
  ingress: readonly NetworkRule[],
  egress: readonly NetworkRule[],
): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata,
    spec: {
      podSelector,
      policyTypes: ['Ingress', 'Egress'],
      ingress: ingress.map((r) => rule('from', r)),
      egress: [
        structuredClone(DNS_EGRESS) as unknown as Record<string, unknown>,
        ...egress.map((r) => rule('to', r)),
      ],
    },
  };
}

/** Denies all traffic to and from every pod of the namespace that no other policy allows. */
export function defaultDenyPolicy(metadata: ObjectMeta): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata,
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}

// --- everything around one workload -----------------------------------------------------------

export interface WorkloadSetInput extends WorkloadInput {
  /** The Service in front of the pods (its name is the workload's unless given). */
  service?: {
    name?: string;
    ports: readonly ServicePort[];
    headless?: boolean;
    type?: 'ClusterIP' | 'LoadBalancer' | 'NodePort';
  };
  /** Scraped through the Service (ServiceMonitor) or the pods (PodMonitor). */
  monitor?: { through: 'service' | 'pods'; endpoints: readonly ScrapeEndpoint[] };
  /** The pods' allow-lists; omitted only where another party writes the policy (Strimzi). */
  network?: { ingress: readonly NetworkRule[]; egress: readonly NetworkRule[] };
}

/**
 * The workload and what goes around it, in apply order: Service (a StatefulSet's governing
 * Service first), the Deployment or StatefulSet, its PodDisruptionBudget (several replicas),
 * its NetworkPolicy and its monitor. Every object carries the workload's metadata (name,
 * namespace, labels, owner), so they live and go together.
 */
export function workloadObjects(w: WorkloadSetInput): KubeObject[] {
  // The Service and the monitor select by the workload's selector labels, so every object
  // carries them.
  const labels = { ...w.metadata.labels, ...w.selector };
  const meta = (name = w.metadata.name): ObjectMeta => ({ ...w.metadata, name, labels });
  const out: KubeObject[] = [];
  if (w.service) {
    out.push(
      service(meta(w.service.name), w.selector, w.service.ports, {
        ...(w.service.headless && { headless: true }),
        ...(w.service.type && { type: w.service.type }),
      }),
    );
  }
  const { service: _service, monitor: _monitor, network: _network, ...workload } = w;
  out.push(workloadObject({ ...workload, metadata: meta() }));
  const pdb = disruptionBudget(meta(), w.selector, w.replicas);
  if (pdb) out.push(pdb);
  if (w.network)
    out.push(networkPolicy(meta(), { matchLabels: w.selector }, w.network.ingress, w.network.egress));
  if (w.monitor) {
    out.push(
      w.monitor.through === 'service'
        ? serviceMonitor(meta(), w.selector, w.monitor.endpoints)
        : podMonitor(meta(), w.selector, w.monitor.endpoints),
    );
  }
  return out;
}
