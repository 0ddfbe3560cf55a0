// The `kubectl get` and `kubectl describe` output in operator/README.md, from a real run (a
// script, not a test): `npx tsx tests/operator/readme-sample.ts` against the local control plane
// and the local stack's registry. The operator runs as its own process; two pipelines: one whose
// topics and workloads are reported ready (playing Strimzi and the kubelet, which do not run
// here), one whose database Secret lacks the key it names (as the kubelet reports it). Prints what kubectl prints.
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { markDeploymentAvailable, markStatefulSetAvailable } from '../../local/src/cluster/testing.js';
import {
  applyAsUser,
  conditionOf,
  getPipeline,
  kubeletReports,
  markKafkaTopicReady,
  operatorEnv,
  operatorNamespace,
  pipelineManifest,
  repoRoot,
  waitFor,
} from './support.js';

const ns = await operatorNamespace('readme', { databaseSecret: false });
const operator = spawn(process.execPath, [resolve(repoRoot, 'operator/dist/main.js')], {
  env: {
    ...process.env,
    ...operatorEnv(ns.name, 'iotpipe-operator-7c9f8-x2k4q'),
    KUBECONFIG: ns.kubeconfigPath,
  },
  stdio: 'ignore',
});
const kubectl = (...args: string[]) => {
  const r = spawnSync('kubectl', [...ns.kubectlArgs, ...args], { encoding: 'utf8' });
  return `$ kubectl ${args.join(' ')}\n${r.stdout}${r.stderr}`;
};
try {
  await ns.kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: ns.name,
    body: {
      metadata: { name: 'timescaledb' },
      stringData: { 'database-url': 'postgres://iot:x@timescaledb:5432/iot' },
    },
  });
  const image = 'ghcr.io/iotpipe/workloads:0.1.0';
  const sink = (key: string) => ({ sink: { databaseSecret: { name: 'timescaledb', key } } });
  await applyAsUser(
    ns.kubeConfig,
    ns.name,
    pipelineManifest({ name: 'plant-a', topic: 'plant-a-readings', spec: sink('database-url') }),
  );
  await applyAsUser(
    ns.kubeConfig,
    ns.name,
    pipelineManifest({ name: 'plant-b', topic: 'plant-b-readings', spec: sink('uri') }),
  );
  await waitFor(
    'plant-a registered',
    async () =>
      conditionOf(await getPipeline(ns.kubeConfig, ns.name, 'plant-a'), 'SchemaRegistered')?.status ===
      'True',
  );
  // Playing Strimzi's topic operator and the kubelet for plant-a.
  for (const t of ['topic', 'dlq']) await markKafkaTopicReady(ns.kubeConfig, ns.name, `plant-a-${t}`);
  for (const s of ['sink', 'processor'])
    await markDeploymentAvailable(ns.kubeConfig, ns.name, `plant-a-${s}`);
  await markStatefulSetAvailable(ns.kubeConfig, ns.name, 'plant-a-adapter');
  await waitFor(
    'plant-a Ready',
    async () => conditionOf(await getPipeline(ns.kubeConfig, ns.name, 'plant-a'), 'Ready')?.status === 'True',
  );
  // Playing the kubelet for plant-b: its sink cannot start, the Secret has no key uri.
  await kubeletReports(ns.kubeConfig, ns.name, 'plant-b-sink-5d8f7c9b6-q7x2m', 'plant-b', 'sink', image, {
    reason: 'CreateContainerConfigError',
    message: `couldn't find key uri in Secret ${ns.name}/timescaledb`,
  });
  await waitFor(
    'plant-b diagnosed',
    async () =>
      conditionOf(await getPipeline(ns.kubeConfig, ns.name, 'plant-b'), 'Ready')?.reason ===
      'SecretKeyNotFound',
  );
  await new Promise((r) => setTimeout(r, 3000));
  console.log(kubectl('get', 'iotpipelines'));
  console.log(kubectl('describe', 'iotpipeline', 'plant-b'));
  console.log(kubectl('describe', 'iotpipeline', 'plant-a'));
} finally {
  operator.kill('SIGTERM');
  await ns.delete();
}
