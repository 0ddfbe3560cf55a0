/**
 * Checks over synthesized objects, used by the tests and usable by anyone reviewing output:
 * workload hygiene (probes, requests and limits, pinned images, non-root, read-only root
 * filesystem, PodDisruptionBudgets in production), references between objects, and the memory
 * the platform requests. Pure.
 */
import { CONNECTION, CREDENTIALS_ENV, parseCredentialSpecs } from '@iotpipe/contract';
import { USER_SECRETS } from './charts/credentials.js';
import { isPinnedImage } from './images.js';
import type { ManifestObject } from './platform.js';

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

interface Container {
  name: string;
  image?: string;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
  };
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string }; configMapKeyRef?: { name: string } };
  }>;
  envFrom?: Array<{ secretRef?: { name: string }; configMapRef?: { name: string } }>;
}

interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: Array<{ secret?: { secretName: string }; configMap?: { name: string } }>;
  serviceAccountName?: string;
  affinity?: unknown;
}

function podSpecOf(o: ManifestObject): PodSpec | undefined {
  const spec = o['spec'] as
    { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } } | undefined;
  return o.kind === 'CronJob' ? spec?.jobTemplate?.spec?.template?.spec : spec?.template?.spec;
}

export function workloads(objects: readonly ManifestObject[]): ManifestObject[] {
  return objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
}

/** Problems with the workloads' hygiene, one line each; empty when all is well. */
export function workloadProblems(objects: readonly ManifestObject[], production: boolean): string[] {
  const problems: string[] = [];
  const pdbSelectors = objects
    .filter((o) => o.kind === 'PodDisruptionBudget')
    .map((o) => JSON.stringify((o['spec'] as { selector?: unknown }).selector));
  for (const w of workloads(objects)) {
    const id = `${w.kind}/${w.metadata.name}`;
    const pod = podSpecOf(w);
    if (!pod) {
      problems.push(`${id}: no pod template`);
      continue;
    }
    const podNonRoot = pod.securityContext?.runAsNonRoot === true;
    if (pod.securityContext?.runAsUser === 0) problems.push(`${id}: pod runs as uid 0`);
    for (const [list, c] of [
      ...(pod.initContainers ?? []).map((c) => ['init', c] as const),
      ...(pod.containers ?? []).map((c) => ['main', c] as const),
    ]) {
      const cid = `${id} container ${c.name}`;
      if (!c.image || !isPinnedImage(c.image))
        problems.push(`${cid}: image '${c.image ?? ''}' is not pinned`);
      // A Job's pod runs to completion: nothing to probe.
      const serving = w.kind !== 'Job' && w.kind !== 'CronJob';
      if (serving && list === 'main' && !c.livenessProbe) problems.push(`${cid}: no livenessProbe`);
      if (serving && list === 'main' && !c.readinessProbe) problems.push(`${cid}: no readinessProbe`);
      for (const r of ['cpu', 'memory']) {
        if (!c.resources?.requests?.[r]) problems.push(`${cid}: no ${r} request`);
      }
      if (!c.resources?.limits?.['memory']) problems.push(`${cid}: no memory limit`);
      const sc = c.securityContext;
      if (!(podNonRoot || sc?.runAsNonRoot === true)) problems.push(`${cid}: not runAsNonRoot`);
      if (sc?.readOnlyRootFilesystem !== true) problems.push(`${cid}: root filesystem is writable`);
      if (sc?.allowPrivilegeEscalation !== false) problems.push(`${cid}: allowPrivilegeEscalation not false`);
    }
    const replicas = (w['spec'] as { replicas?: number }).replicas ?? 1;
    if (production && replicas > 1) {
      const selector = JSON.stringify((w['spec'] as { selector?: unknown }).selector);
      if (!pdbSelectors.includes(selector))
        problems.push(`${id}: ${replicas} replicas but no PodDisruptionBudget`);
      if (!pod.affinity) problems.push(`${id}: ${replicas} replicas but no anti-affinity`);
    }
  }
  return problems;
}

/** The Secrets a credentials Job of the output makes (its CREDENTIALS_ENV specs). */
export function generatedSecrets(objects: readonly ManifestObject[]): string[] {
  return workloads(objects).flatMap((w) =>
    (podSpecOf(w)?.containers ?? []).flatMap((c) =>
      (c.env ?? [])
        .filter((e) => e.name === CREDENTIALS_ENV && e.value !== undefined)
        .flatMap((e) => parseCredentialSpecs(e.value!).map((spec) => spec.name)),
    ),
  );
}

/** The labels of a workload's pods. */
export function podLabels(w: ManifestObject): Record<string, string> {
  const spec = w['spec'] as { template?: { metadata?: { labels?: Record<string, string> } } };
  return spec.template?.metadata?.labels ?? {};
}

/**
 * Workloads whose pods no NetworkPolicy but the namespace's default deny selects (matchLabels
 * only, as the charts write them): under default deny they could reach nothing, not even DNS.
 */
export function workloadsWithoutPolicy(objects: readonly ManifestObject[]): string[] {
  const selectors = objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .map(
      (o) =>
        (o['spec'] as { podSelector: { matchLabels?: Record<string, string> } }).podSelector.matchLabels ??
        {},
    )
    .filter((m) => Object.keys(m).length > 0);
  return workloads(objects)
    .filter((w) => {
      const labels = podLabels(w);
      return !selectors.some((m) => Object.entries(m).every(([k, v]) => labels[k] === v));
    })
    .map((w) => `${w.kind}/${w.metadata.name}`);
}

/** Secrets, ConfigMaps, ServiceAccounts and Services that objects refer to but the output lacks. */
export function danglingReferences(
  objects: readonly ManifestObject[],
  userSecrets: readonly string[] = USER_SECRETS,
): string[] {
  const have = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
  // Strimzi writes these: the cluster CA certificate of each Kafka, a Secret per KafkaUser; the
  // credentials Job those it lists; the user those the platform cannot invent.
  for (const name of [...generatedSecrets(objects), ...userSecrets]) have.add(`Secret/${name}`);
  for (const o of objects) {
    if (o.kind === 'Kafka') have.add(`Secret/${o.metadata.name}-cluster-ca-cert`);
    if (o.kind === 'KafkaUser') have.add(`Secret/${o.metadata.name}`);
  }
  const missing: string[] = [];
  const need = (from: string, kind: string, name: string | undefined) => {
    if (name !== undefined && !have.has(`${kind}/${name}`)) missing.push(`${from} -> ${kind}/${name}`);
  };
  for (const w of workloads(objects)) {
    const id = `${w.kind}/${w.metadata.name}`;
    const pod = podSpecOf(w) ?? {};
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      for (const e of c.env ?? []) {
        need(id, 'Secret', e.valueFrom?.secretKeyRef?.name);
        need(id, 'ConfigMap', e.valueFrom?.configMapKeyRef?.name);
      }
      for (const e of c.envFrom ?? []) {
        need(id, 'Secret', e.secretRef?.name);
        need(id, 'ConfigMap', e.configMapRef?.name);
      }
    }
    for (const v of pod.volumes ?? []) {
      need(id, 'Secret', v.secret?.secretName);
      need(id, 'ConfigMap', v.configMap?.name);
    }
    need(id, 'ServiceAccount', pod.serviceAccountName);
    if (w.kind === 'StatefulSet') need(id, 'Service', (w['spec'] as { serviceName?: string }).serviceName);
  }
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'Kafka') {
      const cm = (
        o['spec'] as { kafka?: { metricsConfig?: { valueFrom?: { configMapKeyRef?: { name: string } } } } }
      ).kafka?.metricsConfig?.valueFrom?.configMapKeyRef?.name;
      need(id, 'ConfigMap', cm);
    }
    if (o.kind === 'IoTPipeline') {
      const spec = o['spec'] as {
        sink?: { databaseSecret?: { name: string } };
        mqtt?: { credentialsSecret?: { name: string } };
        kafka?: { cluster?: string };
      };
      need(id, 'Secret', spec.sink?.databaseSecret?.name);
      need(id, 'Secret', spec.mqtt?.credentialsSecret?.name);
      need(id, 'Kafka', spec.kafka?.cluster);
    }
    if (o.kind === 'AlertmanagerConfig') {
      const receivers = (
        o['spec'] as { receivers?: Array<{ emailConfigs?: Array<{ authPassword?: { name: string } }> }> }
      ).receivers;
      for (const r of receivers ?? [])
        for (const e of r.emailConfigs ?? []) need(id, 'Secret', e.authPassword?.name);
    }
    if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
      const ref = o['roleRef'] as { kind: string; name: string };
      need(id, ref.kind, ref.name);
    }
    if (
      (o.kind === 'KafkaTopic' || o.kind === 'KafkaNodePool') &&
      o.metadata.labels?.['strimzi.io/cluster']
    ) {
      need(id, 'Kafka', o.metadata.labels['strimzi.io/cluster']);
    }
  }
  return missing;
}

/**
 * Values that are, or once were, default credentials of the platform (the local stack's
 * database password in the contract, the manifests' old placeholder): none may stand anywhere in
 * a manifest. The MQTT default (`iotpipe`) is also the platform's name, in labels and names
 * everywhere; where it would be a credential, the Secret and env rules below find it.
 */
export const DEFAULT_CREDENTIALS = [CONNECTION.postgresPassword.default, 'change-me', 'changeme'] as const;

const CREDENTIAL_NAME = /pass(word)?|secret|token|credential|private.?key|jaas/i;
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:([^@/\s]+)@/i;

/**
 * Credentials written into manifests, one line each; empty when there are none. Scans every
 * object: no Secret carries data (the credentials Job makes them in the cluster, or the user
 * does), no credential-named env variable has a literal value (only *_FILE paths), no URL holds
 * a password, no default credential stands as a value anywhere, and the credentials Job's specs
 * generate every password-named key. Pure.
 */
export function credentialProblems(objects: readonly ManifestObject[]): string[] {
  const problems: string[] = [];
  const defaults = new Set<string>(DEFAULT_CREDENTIALS);
  const walk = (id: string, path: string, v: unknown, envName?: string): void => {
    if (typeof v === 'string') {
      if (envName === CREDENTIALS_ENV) {
        for (const spec of parseCredentialSpecs(v))
          if (spec.kind === 'passwords')
            for (const [key, source] of Object.entries(spec.keys))
              if (CREDENTIAL_NAME.test(key) && 'value' in source)
                problems.push(`${id} ${path}: Secret ${spec.name} key ${key} is a literal, not generated`);
        return;
      }
      if (defaults.has(v)) problems.push(`${id} ${path}: default credential '${v}'`);
      // A schema's description documents the URL form (postgres://user:password@...).
      if (!path.endsWith('.description') && URL_WITH_PASSWORD.test(v))
        problems.push(`${id} ${path}: a URL with a password`);
      if (envName !== undefined && CREDENTIAL_NAME.test(envName) && !/_FILE$/.test(envName))
        problems.push(`${id} ${path}: env ${envName} has a literal value`);
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(id, `${path}[${i}]`, x));
      return;
    }
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // An env entry: its value is checked against its name.
      const name = o['name'];
      const env = typeof name === 'string' && 'value' in o ? name : undefined;
      for (const [k, x] of Object.entries(o)) walk(id, `${path}.${k}`, x, k === 'value' ? env : undefined);
    }
  };
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'Secret' && (o['data'] !== undefined || o['stringData'] !== undefined))
      problems.push(`${id}: a Secret with its contents in the manifests`);
    walk(id, '', o);
  }
  return problems;
}

/** Kubernetes memory quantity -> MiB. */
export function mebibytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!m) throw new Error(`not a memory quantity: ${quantity}`);
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  const factor: Record<string, number> = {
    '': 1 / 2 ** 20,
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    Ti: 1024 * 1024,
    k: 1000 / 2 ** 20,
    M: 1e6 / 2 ** 20,
    G: 1e9 / 2 ** 20,
    T: 1e12 / 2 ** 20,
  };
  return n * factor[unit]!;
}

/**
 * The memory the platform requests, per part and in total (MiB): workloads (containers, or the
 * largest init container if larger, times replicas), Kafka's node pools (times replicas) and
 * Strimzi's topic operator. The workloads the operator creates for IoTPipelines are not in it.
 */
export function memoryRequests(objects: readonly ManifestObject[]): {
  total: number;
  parts: Record<string, number>;
} {
  const parts: Record<string, number> = {};
  const req = (c: { resources?: { requests?: Record<string, unknown> } } | undefined): number => {
    const v = c?.resources?.requests?.['memory'];
    return typeof v === 'string' ? mebibytes(v) : 0;
  };
  for (const w of workloads(objects)) {
    const pod = podSpecOf(w) ?? {};
    const main = (pod.containers ?? []).reduce((s, c) => s + req(c), 0);
    const init = Math.max(0, ...(pod.initContainers ?? []).map(req));
    parts[`${w.kind}/${w.metadata.name}`] =
      Math.max(main, init) * ((w['spec'] as { replicas?: number }).replicas ?? 1);
  }
  for (const o of objects) {
    const spec = o['spec'] as Record<string, unknown> | undefined;
    if (o.kind === 'KafkaNodePool') {
      parts[`KafkaNodePool/${o.metadata.name}`] =
        req(spec) * ((spec?.['replicas'] as number | undefined) ?? 0);
    }
    if (o.kind === 'IoTPipeline') {
      // The operator's stage pods, one container of spec.resources each; absent replicas are the
      // CRD's default (1), an absent simulator runs none.
      const stage = (name: string) => spec?.[name] as { replicas?: number; enabled?: boolean } | undefined;
      const pods =
        (stage('adapter')?.replicas ?? 1) +
        (stage('sink')?.replicas ?? 1) +
        (stage('processor')?.enabled === false ? 0 : (stage('processor')?.replicas ?? 1)) +
        (stage('simulator') === undefined ? 0 : 1);
      parts[`IoTPipeline/${o.metadata.name} stages`] = req(spec) * pods;
    }
    if (o.kind === 'Kafka') {
      const entity = spec?.['entityOperator'] as { topicOperator?: never; userOperator?: never } | undefined;
      parts[`Kafka/${o.metadata.name} topic operator`] = req(entity?.topicOperator);
      parts[`Kafka/${o.metadata.name} user operator`] = req(entity?.userOperator);
    }
  }
  return { total: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}
