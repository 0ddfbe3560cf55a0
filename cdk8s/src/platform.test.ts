import { readFileSync } from 'node:fs';
import { JMX_EXPORTER_RULES } from '@iotpipe/local';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  credentialProblems,
  danglingReferences,
  DEFAULT_CREDENTIALS,
  memoryRequests,
  workloadProblems,
  workloads,
  workloadsWithoutPolicy,
} from './hygiene.js';
import { IMAGES, isPinnedImage } from './images.js';
import { CHILD_KINDS } from '../../operator/src/children/desired.js';
import { SECRETS_DIR, workloadProcess } from '../../operator/src/children/workload.js';
import { defaultedSpec, type IoTPipeline } from '../../operator/src/crd/iotpipeline.js';
import { NAMES } from './charts/names.js';
import { OPERATOR_RULES } from './charts/operator.js';
import { CDK8S_DIR } from './imports.js';
import { allObjects, readInputs, synthPlatform, toYaml, type ManifestObject } from './platform.js';
import { KIND_MEMORY_BUDGET_MIB, PROFILE_NAMES } from './profiles.js';
import { helmChart, mergeValues, renderChart } from './helm.js';
import { CREDENTIALS_ENV, parseCredentialSpecs } from '@iotpipe/contract';
import { imageRefusal } from '../../operator/src/children/image-policy.js';
import { loadOperatorConfig } from '../../operator/src/config.js';

const inputs = readInputs();
const synth = (profile: 'kind' | 'production') => allObjects(synthPlatform({ profile, inputs }));
const find = (objects: ManifestObject[], kind: string, name: string): ManifestObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not synthesized`);
  return o;
};
const clone = (objects: ManifestObject[]): ManifestObject[] =>
  JSON.parse(JSON.stringify(objects)) as ManifestObject[];

describe.each(PROFILE_NAMES)('synth %s', (profile) => {
  it('matches the committed snapshot (cdk8s/test/__snapshots__)', async () => {
    // Inputs other engineers own change often and are checked where they are made: the
    // IoTPipeline CRD (operator/crd) and the alert rules (monitoring/rules) are summarized here;
    // the dry-run and chart tests use them in full.
    const summarize = (o: ManifestObject): ManifestObject => {
      if (o.kind === 'CustomResourceDefinition') {
        return {
          apiVersion: o.apiVersion,
          kind: o.kind,
          metadata: o.metadata,
          spec: '<operator/crd/iotpipelines.iotpipe.io.yaml>',
        };
      }
      if (o.kind === 'PrometheusRule') {
        const groups = (o['spec'] as { groups: Array<{ name: string; rules: unknown[] }> }).groups;
        return {
          ...o,
          spec: { groups: groups.map((g) => `${g.name}: ${g.rules.length} rules from monitoring/rules`) },
        };
      }
      return o;
    };
    const text = synthPlatform({ profile, inputs })
      .map((f) => `# ==== ${f.file}\n${toYaml(f.objects.map(summarize))}`)
      .join('');
    await expect(text).toMatchFileSnapshot(`../test/__snapshots__/${profile}.yaml`);
  });

  it('is deterministic: two synths give the same bytes', () => {
    const a = synthPlatform({ profile, inputs }).map((f) => toYaml(f.objects));
    const b = synthPlatform({ profile, inputs }).map((f) => toYaml(f.objects));
    expect(b).toEqual(a);
  });

  it('every workload has probes, requests, limits, a pinned image, non-root and a read-only root', () => {
    const objects = synth(profile);
    expect(workloads(objects).length).toBeGreaterThanOrEqual(4);
    expect(workloadProblems(objects, profile === 'production')).toEqual([]);
  });

  it('every Secret, ConfigMap, Service, ServiceAccount and Kafka referenced exists in the output', () => {
    expect(danglingReferences(synth(profile))).toEqual([]);
  });

  it('names objects explicitly (no cdk8s hash suffixes) and namespaces every namespaced one', () => {
    const clusterScoped = new Set([
      'Namespace',
      'CustomResourceDefinition',
      'ClusterRole',
      'ClusterRoleBinding',
    ]);
    for (const o of synth(profile)) {
      expect(o.metadata.name, `${o.kind}/${o.metadata.name}`).not.toMatch(/-c8[0-9a-f]{6,}$/);
      if (clusterScoped.has(o.kind)) expect(o.metadata.namespace).toBeUndefined();
      else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('iotpipe');
    }
  });

  it('Kafka: KRaft node pool of 3 combined nodes, RF 3, min ISR 2, metrics from the local stack rules', () => {
    const objects = synth(profile);
    const pool = find(objects, 'KafkaNodePool', 'combined') as ManifestObject & {
      spec: { replicas: number; roles: string[] };
    };
    expect(pool.spec.replicas).toBe(3);
    expect(pool.spec.roles).toEqual(['controller', 'broker']);
    const kafka = find(objects, 'Kafka', 'iotpipe') as ManifestObject & {
      spec: { kafka: { config: Record<string, unknown>; metricsConfig: unknown } };
    };
    expect(kafka.apiVersion).toBe('kafka.strimzi.io/v1');
    expect(kafka.spec.kafka.config['default.replication.factor']).toBe(3);
    expect(kafka.spec.kafka.config['min.insync.replicas']).toBe(2);
    expect(kafka.spec.kafka.metricsConfig).toEqual({
      type: 'jmxPrometheusExporter',
      valueFrom: { configMapKeyRef: { name: 'kafka-metrics', key: 'jmx-exporter.yaml' } },
    });
    const rules = (
      find(objects, 'ConfigMap', 'kafka-metrics') as ManifestObject & { data: Record<string, string> }
    ).data['jmx-exporter.yaml'];
    expect(rules).toBe(JMX_EXPORTER_RULES);
    for (const metric of [
      'kafka_server_brokertopicmetrics_messagesin_total',
      'kafka_server_replica_manager_under_replicated_partitions',
      'kafka_network_requests_total',
    ]) {
      expect(rules).toContain(`name: ${metric}`);
    }
  });

  it('Mosquitto: shared config with raised max_queued_messages, password file from the Secret, NodePort', () => {
    const objects = synth(profile);
    const conf = (
      find(objects, 'ConfigMap', 'mosquitto-config') as ManifestObject & { data: Record<string, string> }
    ).data['mosquitto.conf']!;
    expect(conf).toMatch(/^max_queued_messages 10000000$/m);
    expect(conf).toMatch(/^password_file \/mosquitto\/passwd\/passwd$/m);
    expect(conf).toMatch(/^allow_anonymous false$/m);
    const svc = find(objects, 'Service', 'mosquitto') as ManifestObject & {
      spec: { type: string; ports: Array<{ port: number; nodePort: number }> };
    };
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports[0]).toMatchObject({ port: 1883, nodePort: 31883 });
  });

  it('the operator has exactly the RBAC it needs (no Secret at all, leases only in its namespace)', () => {
    const objects = synth(profile);
    const role = find(objects, 'ClusterRole', 'iotpipe-operator') as ManifestObject & {
      rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    };
    expect(role.rules).toEqual(OPERATOR_RULES);
    // Core Events are read (the kubelet's FailedMount) as well as written.
    expect(role.rules.filter((r) => r.resources.includes('events')).map((r) => r.verbs)).toEqual([
      ['create', 'patch'],
      ['get', 'list', 'watch'],
    ]);
    for (const readOnly of ['pods', 'kafkas']) {
      expect(role.rules.find((r) => r.resources.includes(readOnly))?.verbs, readOnly).toEqual([
        'get',
        'list',
        'watch',
      ]);
    }
    expect(role.rules.flatMap((r) => r.resources).sort()).toEqual(
      [
        'deployments',
        'events',
        'events',
        'iotpipelines',
        'iotpipelines/finalizers',
        'iotpipelines/status',
        'kafkas',
        'kafkatopics',
        'kafkausers',
        'networkpolicies',
        'poddisruptionbudgets',
        'pods',
        'prometheusrules',
        'servicemonitors',
        'services',
        'statefulsets',
      ].sort(),
    );
    // Every kind the operator applies, watches and prunes (operator/src/children/desired.ts).
    for (const kind of CHILD_KINDS) {
      const group = kind.apiVersion.includes('/') ? kind.apiVersion.split('/')[0]! : '';
      const rule = role.rules.find((r) => r.apiGroups.includes(group) && r.resources.includes(kind.plural));
      expect(rule?.verbs, kind.kind).toEqual(
        expect.arrayContaining(['get', 'list', 'watch', 'create', 'patch', 'delete']),
      );
    }
    expect(role.rules.some((r) => r.verbs.includes('*') || r.resources.includes('*'))).toBe(false);
    const leases = find(objects, 'Role', 'iotpipe-operator-leader-election') as ManifestObject & {
      rules: Array<{ resources: string[] }>;
    };
    expect(leases.rules.flatMap((r) => r.resources)).toEqual(['leases']);
    // Cluster scope: a ClusterRoleBinding; namespace scope: a RoleBinding of the same ClusterRole
    // and the operator told to watch its own namespace only.
    expect(objects.some((o) => o.kind === 'ClusterRoleBinding')).toBe(true);
    const scoped = allObjects(synthPlatform({ profile, inputs, operatorScope: 'namespace' }));
    expect(scoped.some((o) => o.kind === 'ClusterRoleBinding')).toBe(false);
    expect(find(scoped, 'RoleBinding', 'iotpipe-operator')['roleRef']).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'iotpipe-operator',
    });
    expect(JSON.stringify(find(scoped, 'Deployment', 'iotpipe-operator'))).toContain(
      '{"name":"OPERATOR_WATCH_NAMESPACE","valueFrom":{"fieldRef":{"fieldPath":"metadata.namespace"}}}',
    );
  });

  it("sets the operator's image policy: the workloads image runs, another registry's does not", () => {
    const operator = find(synth(profile), 'Deployment', 'iotpipe-operator') as ManifestObject & {
      spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } };
    };
    const env = Object.fromEntries(
      operator.spec.template.spec.containers[0]!.env.flatMap((e) =>
        e.value === undefined ? [] : [[e.name, e.value]],
      ),
    );
    // Read as the operator reads it (one declaration of the settings: operator/src/config.ts).
    const { imagePolicy } = loadOperatorConfig(env);
    expect(imagePolicy).toEqual({ allowedRegistries: ['ghcr.io/iotpipe'], requireDigest: false });
    expect(imageRefusal(IMAGES.workloads, imagePolicy)).toBeUndefined();
    expect(imageRefusal('docker.io/someone/workloads:0.1.0', imagePolicy)).toMatch(
      /OPERATOR_ALLOWED_REGISTRIES/,
    );
    // The Helm chart makes values of them, with these defaults.
    const values = helmChart(inputs, '').files.get(
      profile === 'kind' ? 'values.yaml' : 'values-production.yaml',
    );
    expect(values).toContain(`OPERATOR_ALLOWED_REGISTRIES: ghcr.io/iotpipe`);
  });

  it('denies all traffic in the namespace by default; every workload has its own allow-list', () => {
    const objects = synth(profile);
    expect(find(objects, 'NetworkPolicy', 'default-deny')['spec']).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
    for (const o of objects.filter((x) => x.kind === 'NetworkPolicy')) {
      const spec = o['spec'] as { policyTypes: string[]; egress?: unknown[] };
      expect(spec.policyTypes, o.metadata.name).toEqual(['Ingress', 'Egress']);
      if (o.metadata.name !== 'default-deny')
        expect(JSON.stringify(spec.egress), o.metadata.name).toContain('kube-dns');
    }
  });

  it('Kafka: TLS + SCRAM-SHA-512 is the only client listener, authorization on, the user operator runs, the registry has its own user', () => {
    const objects = synth(profile);
    const kafka = find(objects, 'Kafka', 'iotpipe') as ManifestObject & {
      spec: {
        kafka: { listeners: unknown[]; authorization: unknown };
        entityOperator: Record<string, unknown>;
      };
    };
    expect(kafka.spec.kafka.listeners).toEqual([
      expect.objectContaining({
        name: 'tls',
        port: 9093,
        tls: true,
        authentication: { type: 'scram-sha-512' },
      }),
    ]);
    expect(kafka.spec.kafka.authorization).toEqual({ type: 'simple' });
    expect(kafka.spec.entityOperator['userOperator']).toBeDefined();
    const user = find(objects, 'KafkaUser', 'apicurio-registry') as ManifestObject & {
      spec: { authorization: { acls: Array<{ resource: { name: string } }> } };
    };
    expect(user.spec.authorization.acls.map((a) => a.resource.name)).toEqual([
      'kafkasql-journal',
      'kafkasql-snapshots',
      'registry-events',
      'apicurio-registry-',
    ]);
    const registry = JSON.stringify(find(objects, 'Deployment', 'apicurio-registry'));
    expect(registry).toContain('"name":"APICURIO_KAFKASQL_SECURITY_PROTOCOL","value":"SASL_SSL"');
    expect(registry).toContain('"name":"APICURIO_REST_DELETION_ARTIFACT_ENABLED","value":"false"');
  });

  it('has a NetworkPolicy for every workload and a monitor for every part', () => {
    const objects = synth(profile);
    expect(workloadsWithoutPolicy(objects)).toEqual([]);
    // The check can fail: a Deployment whose policy is gone.
    expect(
      workloadsWithoutPolicy(
        objects.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'apicurio-registry')),
      ),
    ).toEqual(['Deployment/apicurio-registry']);
    const monitors = objects
      .filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'PodMonitor')
      .map((o) => o.metadata.name);
    expect(monitors.sort()).toEqual([
      'apicurio-registry',
      'iotpipe-operator',
      'kafka',
      'kafka-entity-operator',
      'mosquitto',
      'timescaledb',
    ]);
  });

  it('routes alerts by severity to email with the SMTP password from a Secret', () => {
    const amc = find(synth(profile), 'AlertmanagerConfig', 'iotpipe') as ManifestObject & {
      spec: {
        route: { routes: Array<{ matchers: Array<{ value: string }>; receiver: string }> };
        receivers: unknown[];
      };
    };
    expect(amc.spec.route.routes.map((r) => [r.matchers[0]!.value, r.receiver])).toEqual([
      ['critical', 'email-critical'],
      ['warning', 'email-warning'],
    ]);
    expect(JSON.stringify(amc.spec.receivers)).toContain(
      '"authPassword":{"key":"password","name":"alertmanager-smtp"}',
    );
  });

  it('the sample IoTPipeline points at the platform objects by their names', () => {
    const p = find(synth(profile), 'IoTPipeline', 'sensors') as ManifestObject & {
      spec: Record<string, Record<string, unknown>>;
    };
    expect(p.apiVersion).toBe('iotpipe.io/v1alpha1');
    expect(p.spec['kafka']).toMatchObject({
      cluster: 'iotpipe',
      partitions: 6,
      replicas: 3,
      minInSyncReplicas: 2,
    });
    expect(p.spec['mqtt']!['brokerUrl']).toBe('mqtt://mosquitto:1883');
    expect(p.spec['schema']!['registryUrl']).toBe('http://apicurio-registry:8080/apis/ccompat/v7');
  });
});

describe("the sample pipeline's sink, as the operator builds it", () => {
  it.each(PROFILE_NAMES)(
    '%s: reads its password as a file, its URL has none, and it connects with TLS verify-full against the platform CA',
    (profile) => {
      const objects = synth(profile);
      const sample = find(objects, 'IoTPipeline', NAMES.samplePipeline) as ManifestObject & { spec: unknown };
      const pipeline: IoTPipeline = {
        apiVersion: 'iotpipe.io/v1alpha1',
        kind: 'IoTPipeline',
        metadata: { name: sample.metadata.name, namespace: 'iotpipe', uid: 'u', generation: 1 },
        spec: defaultedSpec(sample.spec),
      };
      const sink = workloadProcess('sink', pipeline);
      // What the credentials Job puts in the Secret the sample pipeline names.
      const job = objects.find(
        (o) => o.kind === 'Job' && o.metadata.name.startsWith('iotpipe-credentials-'),
      )!;
      const jobEnv = (
        job['spec'] as {
          template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } };
        }
      ).template.spec.containers[0]!.env;
      const specs = parseCredentialSpecs(jobEnv.find((e) => e.name === CREDENTIALS_ENV)!.value!);
      const secret = specs.find((c) => c.name === pipeline.spec.sink.databaseSecret.name);
      if (secret?.kind !== 'passwords') throw new Error('the sink Secret is not made by the credentials Job');
      const keyOf = (name: string) => {
        const ref = sink.env.find((e) => e.name === name)?.valueFrom;
        if (!ref || !('secretKeyRef' in ref)) throw new Error(`${name} is not from a Secret`);
        expect(ref.secretKeyRef.name).toBe(secret.name);
        return secret.keys[ref.secretKeyRef.key];
      };
      expect(keyOf('DATABASE_URL')).toEqual({ value: 'postgres://iot_sink@timescaledb:5432/iot_data' });
      expect(keyOf('POSTGRES_SSLMODE')).toEqual({ value: 'verify-full' });
      const value = (name: string) => sink.env.find((e) => e.name === name)?.value;
      const files = new Map(
        sink.volumes
          .flatMap((v) => v.projected?.sources ?? [])
          .flatMap((src) =>
            src.secret.items.map((i) => [
              `${SECRETS_DIR}/${i.path}`,
              { secret: src.secret.name, key: i.key },
            ]),
          ),
      );
      const fileOf = (name: string) => {
        const file = files.get(value(name)!);
        expect(file?.secret, name).toBe(secret.name);
        return secret.keys[file!.key];
      };
      expect(fileOf('POSTGRES_PASSWORD_FILE')).toEqual({ random: true });
      expect(fileOf('POSTGRES_SSLROOTCERT')).toEqual({ caCertificateOf: NAMES.platformCa });
      // The database's certificate is signed by that CA for the Service's name.
      const tls = specs.find((c) => c.name === NAMES.timescaleTls);
      expect(tls).toMatchObject({ kind: 'server-tls', ca: NAMES.platformCa });
      expect(tls?.kind === 'server-tls' && tls.dnsNames).toContain(NAMES.timescale);
      expect(sink.env.filter((e) => /PASSWORD$/.test(e.name))).toEqual([]);
    },
  );
});

describe('no credential in the manifests', () => {
  it.each(PROFILE_NAMES)(
    '%s: no Secret contents, literal credential, URL password or default credential in any object',
    (profile) => {
      expect(credentialProblems(synth(profile))).toEqual([]);
    },
  );

  it.each(PROFILE_NAMES)('%s: nor in the Helm chart rendered with its values', (profile) => {
    const chart = helmChart(inputs, readFileSync(inputs.crdFile, 'utf8'));
    const values = parse(chart.files.get('values.yaml')!) as Record<string, never>;
    const merged =
      profile === 'production'
        ? mergeValues(values, parse(chart.files.get('values-production.yaml')!) as Record<string, never>)
        : values;
    const rendered = renderChart(chart.files, merged, 'iot-ns');
    expect(rendered.length).toBeGreaterThan(20);
    expect(credentialProblems(rendered)).toEqual([]);
    // Nor in the values themselves.
    for (const file of ['values.yaml', 'values-production.yaml'])
      for (const d of DEFAULT_CREDENTIALS)
        expect(chart.files.get(file)!, `${file}: ${d}`).not.toMatch(new RegExp(`: ${d}$`, 'm'));
  });

  it('the scan can fail: it finds what the manifests used to carry', () => {
    const objects = clone(synth('production'));
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'timescaledb-credentials' },
      stringData: {
        password: 'iot_password',
        'database-url': 'postgres://iot_user:iot_password@timescaledb:5432/iot_data',
      },
    });
    const registry = find(objects, 'Deployment', 'apicurio-registry') as unknown as {
      spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } };
    };
    registry.spec.template.spec.containers[0]!.env.push({ name: 'MQTT_PASSWORD', value: 'x7' });
    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('iotpipe-credentials-'))!;
    const env = (
      job['spec'] as {
        template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } };
      }
    ).template.spec.containers[0]!.env;
    const specs = env.find((e) => e.name === CREDENTIALS_ENV)!;
    specs.value = specs.value!.replace('{"random":true}', '{"value":"hunter2"}');
    expect(
      credentialProblems(objects).map((l) => l.replace(/-[0-9a-f]{8} /, ' ').replace(/env\[\d+\]/, 'env[n]')),
    ).toEqual([
      'Job/iotpipe-credentials .spec.template.spec.containers[0].env[n].value: Secret timescaledb-owner key password is a literal, not generated',
      'Deployment/apicurio-registry .spec.template.spec.containers[0].env[n].value: env MQTT_PASSWORD has a literal value',
      'Secret/timescaledb-credentials: a Secret with its contents in the manifests',
      "Secret/timescaledb-credentials .stringData.password: default credential 'iot_password'",
      'Secret/timescaledb-credentials .stringData.database-url: a URL with a password',
    ]);
  });
});

describe('profiles', () => {
  it(`kind requests at most ${KIND_MEMORY_BUDGET_MIB} MiB of memory in all (fits a kind node on an 8 GiB laptop)`, () => {
    const { total, parts } = memoryRequests(synth('kind'));
    console.log(`kind profile memory requests: ${total} MiB`, parts);
    expect(total).toBeGreaterThan(1024);
    expect(total).toBeLessThanOrEqual(KIND_MEMORY_BUDGET_MIB);
  });

  it('production adds PodDisruptionBudgets and anti-affinity; kind has neither', () => {
    const prod = synth('production');
    const kind = synth('kind');
    expect(
      prod
        .filter((o) => o.kind === 'PodDisruptionBudget')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['apicurio-registry', 'iotpipe-operator']);
    expect(kind.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
    expect(JSON.stringify(find(prod, 'Kafka', 'iotpipe'))).toContain('podAntiAffinity');
    expect(JSON.stringify(find(kind, 'Kafka', 'iotpipe'))).not.toContain('podAntiAffinity');
  });
});

describe('the hygiene checks can fail', () => {
  const base = () => clone(synth('production'));
  const registry = (objects: ManifestObject[]) =>
    (
      find(objects, 'Deployment', 'apicurio-registry') as unknown as {
        spec: {
          template: {
            spec: { containers: Array<Record<string, unknown>>; securityContext: Record<string, unknown> };
          };
        };
      }
    ).spec.template.spec;

  it('flags a missing probe, an unpinned image, a missing limit, root and a writable root', () => {
    const objects = base();
    const pod = registry(objects);
    const c = pod.containers[0]!;
    delete c['readinessProbe'];
    c['image'] = 'quay.io/apicurio/apicurio-registry:latest';
    (c['resources'] as { limits: Record<string, string> }).limits = {};
    c['securityContext'] = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: false };
    pod.securityContext = { runAsUser: 0 };
    expect(workloadProblems(objects, true)).toEqual([
      'Deployment/apicurio-registry: pod runs as uid 0',
      "Deployment/apicurio-registry container registry: image 'quay.io/apicurio/apicurio-registry:latest' is not pinned",
      'Deployment/apicurio-registry container registry: no readinessProbe',
      'Deployment/apicurio-registry container registry: no memory limit',
      'Deployment/apicurio-registry container registry: not runAsNonRoot',
      'Deployment/apicurio-registry container registry: root filesystem is writable',
    ]);
  });

  it('flags a replicated workload without a PodDisruptionBudget in production', () => {
    const objects = base().filter(
      (o) => !(o.kind === 'PodDisruptionBudget' && o.metadata.name === 'apicurio-registry'),
    );
    expect(workloadProblems(objects, true)).toEqual([
      'Deployment/apicurio-registry: 2 replicas but no PodDisruptionBudget',
    ]);
  });

  it('flags references to objects the output lacks (a Secret nobody makes, a ConfigMap)', () => {
    const objects = base().filter(
      (o) =>
        !(o.kind === 'Job' && o.metadata.name.startsWith('iotpipe-credentials-')) &&
        !(o.kind === 'ConfigMap' && o.metadata.name === 'kafka-metrics'),
    );
    const missing = danglingReferences(objects);
    expect(missing).toEqual(
      expect.arrayContaining([
        'IoTPipeline/sensors -> Secret/mosquitto-credentials',
        'IoTPipeline/sensors -> Secret/timescaledb-sink',
        'Kafka/iotpipe -> ConfigMap/kafka-metrics',
        'StatefulSet/timescaledb -> Secret/timescaledb-tls',
      ]),
    );
    // The SMTP account is the user's: referenced, required, not made.
    expect(danglingReferences(base(), [])).toContain(
      'AlertmanagerConfig/iotpipe -> Secret/alertmanager-smtp',
    );
  });

  it('tells pinned images from unpinned ones', () => {
    for (const image of Object.values(IMAGES)) expect(isPinnedImage(image), image).toBe(true);
    expect(isPinnedImage('eclipse-mosquitto')).toBe(false);
    expect(isPinnedImage('eclipse-mosquitto:latest')).toBe(false);
    expect(isPinnedImage('localhost:5000/mosquitto')).toBe(false);
    expect(isPinnedImage(`eclipse-mosquitto@sha256:${'a'.repeat(64)}`)).toBe(true);
  });
});

describe('kind-cluster.yaml', () => {
  it('maps the Mosquitto NodePort of the synthesized Service to host port 1883 on all interfaces', () => {
    const cluster = parse(readFileSync(`${CDK8S_DIR}/kind-cluster.yaml`, 'utf8')) as {
      nodes: Array<{
        extraPortMappings?: Array<{ containerPort: number; hostPort: number; listenAddress: string }>;
      }>;
    };
    const svc = find(synth('kind'), 'Service', 'mosquitto') as ManifestObject & {
      spec: { ports: Array<{ nodePort: number }> };
    };
    expect(cluster.nodes[0]!.extraPortMappings).toEqual([
      {
        containerPort: svc.spec.ports[0]!.nodePort,
        hostPort: 1883,
        listenAddress: '0.0.0.0',
        protocol: 'TCP',
      },
    ]);
  });
});
