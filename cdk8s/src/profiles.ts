/**
 * The two deployment profiles. `kind` fits a laptop (a kind cluster on an 8 GiB machine: the
 * platform's memory requests stay under {@link KIND_MEMORY_BUDGET_MIB}); `production` sizes for
 * real load and adds PodDisruptionBudgets and anti-affinity. Everything that differs between
 * them is here, so the charts read one object.
 */

export const PROFILE_NAMES = ['kind', 'production'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Requests and limits of one container, in Kubernetes quantity strings. */
export interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu?: string; readonly memory: string };
}

export interface Profile {
  readonly name: ProfileName;
  /** PodDisruptionBudgets and pod anti-affinity across nodes (a kind cluster has one node). */
  readonly highAvailability: boolean;
  /** Namespace of kube-prometheus (Prometheus scrapes from there). */
  readonly monitoringNamespace: string;
  readonly kafka: {
    readonly replicas: number;
    readonly storage: string;
    readonly heap: string;
    readonly resources: ContainerResources;
    readonly topicOperator: ContainerResources;
    readonly userOperator: ContainerResources;
  };
  readonly registry: {
    readonly replicas: number;
    readonly resources: ContainerResources;
    /** The init container that writes the kafkasql SASL settings. */
    readonly init: ContainerResources;
  };
  readonly timescale: {
    readonly storage: string;
    readonly resources: ContainerResources;
    readonly exporter: ContainerResources;
    readonly sharedBuffers: string;
    /** The migration Job (the roles step, then `iotpipe db migrate`). */
    readonly migrate: ContainerResources;
  };
  readonly mosquitto: {
    readonly storage: string;
    readonly resources: ContainerResources;
    readonly exporter: ContainerResources;
    /** The NodePort of MQTT; the kind cluster config maps it to the host (kind-cluster.yaml). */
    readonly nodePort: number;
  };
  readonly operator: { readonly replicas: number; readonly resources: ContainerResources };
  /**
   * Each stage container of the sample IoTPipeline (its spec.resources). Without requests the
   * stages are BestEffort: on a busy node they got so little CPU that Node.js took minutes to load.
   */
  readonly pipeline: { readonly resources: ContainerResources };
  /** The credentials Job (charts/credentials.ts). */
  readonly credentials: ContainerResources;
  readonly alerting: { readonly to: string; readonly from: string; readonly smarthost: string };
}

const res = (
  cpu: string,
  memory: string,
  cpuLimit: string | undefined,
  memoryLimit: string,
): ContainerResources => ({
  requests: { cpu, memory },
  limits: cpuLimit === undefined ? { memory: memoryLimit } : { cpu: cpuLimit, memory: memoryLimit },
});

/** Sum of the platform's memory requests allowed in `kind` (a kind node on an 8 GiB laptop). */
export const KIND_MEMORY_BUDGET_MIB = 4096;

/** The MQTT NodePort (in the default 30000-32767 range); kind-cluster.yaml maps it to host 1883. */
export const MQTT_NODE_PORT = 31883;

const PROFILES: Record<ProfileName, Profile> = {
  kind: {
    name: 'kind',
    highAvailability: false,
    monitoringNamespace: 'monitoring',
    kafka: {
      replicas: 3,
      storage: '2Gi',
      heap: '320m',
      resources: res('100m', '640Mi', '1', '640Mi'),
      topicOperator: res('50m', '192Mi', '500m', '256Mi'),
      userOperator: res('50m', '192Mi', '500m', '256Mi'),
    },
    registry: {
      replicas: 1,
      resources: res('100m', '384Mi', '1', '512Mi'),
      init: res('10m', '16Mi', '100m', '32Mi'),
    },
    timescale: {
      storage: '2Gi',
      resources: res('100m', '256Mi', '1', '512Mi'),
      exporter: res('10m', '32Mi', '100m', '64Mi'),
      sharedBuffers: '64MB',
      migrate: res('50m', '128Mi', '1', '256Mi'),
    },
    mosquitto: {
      storage: '256Mi',
      resources: res('20m', '32Mi', '500m', '128Mi'),
      // A Node.js process (iotpipe mosquitto-exporter); the init container shares this sizing.
      // Loading the CLI peaks at about 200 MiB RSS: with a 96Mi limit it was OOM-killed at start.
      exporter: res('5m', '96Mi', '100m', '256Mi'),
      nodePort: MQTT_NODE_PORT,
    },
    operator: { replicas: 1, resources: res('20m', '96Mi', '500m', '192Mi') },
    // A stage's Node.js process holds 100 to 170 MiB (RSS on the local node).
    pipeline: { resources: res('50m', '160Mi', '1', '384Mi') },
    credentials: res('20m', '64Mi', '500m', '128Mi'),
    alerting: {
      to: 'oncall@iotpipe.local',
      from: 'alertmanager@iotpipe.local',
      smarthost: 'mailpit.monitoring:1025',
    },
  },
  production: {
    name: 'production',
    highAvailability: true,
    monitoringNamespace: 'monitoring',
    kafka: {
      replicas: 3,
      storage: '100Gi',
      heap: '2g',
      resources: res('1', '4Gi', undefined, '4Gi'),
      topicOperator: res('100m', '384Mi', '1', '512Mi'),
      userOperator: res('100m', '384Mi', '1', '512Mi'),
    },
    registry: {
      replicas: 2,
      resources: res('250m', '768Mi', '2', '1Gi'),
      init: res('10m', '16Mi', '100m', '32Mi'),
    },
    timescale: {
      storage: '200Gi',
      resources: res('1', '4Gi', undefined, '4Gi'),
      exporter: res('20m', '64Mi', '200m', '128Mi'),
      sharedBuffers: '1GB',
      migrate: res('100m', '256Mi', '1', '512Mi'),
    },
    mosquitto: {
      storage: '10Gi',
      resources: res('200m', '256Mi', '2', '1Gi'),
      exporter: res('10m', '128Mi', '200m', '256Mi'),
      nodePort: MQTT_NODE_PORT,
    },
    operator: { replicas: 2, resources: res('50m', '128Mi', '1', '256Mi') },
    pipeline: { resources: res('250m', '256Mi', '2', '1Gi') },
    credentials: res('20m', '64Mi', '500m', '128Mi'),
    alerting: {
      to: 'oncall@example.com',
      from: 'alertmanager@example.com',
      smarthost: 'smtp.example.com:587',
    },
  },
};

export function profile(name: ProfileName): Profile {
  return PROFILES[name];
}

export function isProfileName(value: string): value is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(value);
}
