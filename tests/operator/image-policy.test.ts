// The operator's image policy (OPERATOR_ALLOWED_REGISTRIES, OPERATOR_IMAGE_REQUIRE_DIGEST): a
// pipeline whose spec.image breaks it gets WorkloadsAvailable False ImageNotAllowed naming the
// image and the rule, a Warning Event, and no workload made or changed; the rest of the pipeline
// is applied. Against the local control plane and the local stack's registry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestNamespace } from '../../local/src/cluster/testing.js';
import type { Operator } from '../../operator/src/reconcile/operator.js';
import {
  applyAsUser,
  conditionOf,
  eventsOf,
  getPipeline,
  inProcessOperator,
  operatorNamespace,
  pipelineManifest,
  readObject,
  uniqueTopic,
  waitFor,
} from './support.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const ALLOWED = `ghcr.io/iotpipe/workloads@${DIGEST}`;

type Workload = {
  metadata: { generation: number };
  spec: { template: { spec: { containers: Array<{ image: string }> } } };
};

let ns: TestNamespace;
let operator: Operator;

beforeAll(async () => {
  ns = await operatorNamespace('operator-image-policy');
  operator = inProcessOperator(ns, 'op-image-policy', {
    OPERATOR_ALLOWED_REGISTRIES: 'ghcr.io/iotpipe',
    OPERATOR_IMAGE_REQUIRE_DIGEST: 'true',
  });
  await operator.start();
});

afterAll(async () => {
  await operator?.stop();
  await ns?.delete();
});

const sinkOf = (pipeline: string) =>
  readObject<Workload>(ns.kubeConfig, 'apps/v1', 'Deployment', ns.name, `${pipeline}-sink`);

async function refused(name: string, image: string) {
  return waitFor(`${name} ImageNotAllowed for ${image}`, async () => {
    const p = await getPipeline(ns.kubeConfig, ns.name, name);
    const c = conditionOf(p, 'WorkloadsAvailable');
    return c?.reason === 'ImageNotAllowed' && c.message.includes(image) ? p : undefined;
  });
}

describe('the image policy', () => {
  it('a new pipeline with an image from another registry gets no workload, a condition naming the rule and an Event', async () => {
    const image = `docker.io/someone/workloads@${DIGEST}`;
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({ name: 'elsewhere', topic: uniqueTopic('op-img'), spec: { image } }),
    );
    const p = await refused('elsewhere', image);
    expect(conditionOf(p, 'WorkloadsAvailable')).toMatchObject({
      status: 'False',
      message: expect.stringContaining(
        `spec.image: image ${image} (docker.io/someone/workloads) is from none of the registries the operator allows (OPERATOR_ALLOWED_REGISTRIES: ghcr.io/iotpipe)`,
      ),
    });
    expect(conditionOf(p, 'Ready')).toMatchObject({ status: 'False', reason: 'ImageNotAllowed' });
    // The rest is applied (topics, the Kafka user); no workload.
    expect(
      await readObject(ns.kubeConfig, 'kafka.strimzi.io/v1', 'KafkaTopic', ns.name, 'elsewhere-topic'),
    ).toBeDefined();
    expect(await sinkOf('elsewhere')).toBeUndefined();
    expect(
      await readObject(ns.kubeConfig, 'apps/v1', 'StatefulSet', ns.name, 'elsewhere-adapter'),
    ).toBeUndefined();
    const event = await waitFor('the ImageNotAllowed event', async () =>
      (await eventsOf(ns.kubeConfig, ns.name, 'elsewhere')).find((e) => e.reason === 'ImageNotAllowed'),
    );
    expect(event).toMatchObject({ type: 'Warning', note: expect.stringContaining(image) });
  });

  it('a change to an image not pinned by digest is refused and leaves the running workloads as they are; an allowed one goes through', async () => {
    const topic = uniqueTopic('op-img');
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({ name: 'pinned', topic, spec: { image: ALLOWED } }),
    );
    const before = await waitFor('the sink Deployment', () => sinkOf('pinned'));
    expect(before.spec.template.spec.containers[0]!.image).toBe(ALLOWED);

    const tagged = 'ghcr.io/iotpipe/workloads:0.2.0';
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({ name: 'pinned', topic, spec: { image: tagged } }),
    );
    const p = await refused('pinned', tagged);
    expect(conditionOf(p, 'WorkloadsAvailable')?.message).toContain(
      `spec.image: image ${tagged} is not pinned by digest (name@sha256:...), which the operator requires (OPERATOR_IMAGE_REQUIRE_DIGEST)`,
    );
    expect(p.status?.observedGeneration).toBe(p.metadata.generation);
    // No Deployment change: same generation, same image.
    const after = await sinkOf('pinned');
    expect(after?.metadata.generation).toBe(before.metadata.generation);
    expect(after?.spec.template.spec.containers[0]!.image).toBe(ALLOWED);

    // Back to an allowed image (another digest): applied.
    const next = `ghcr.io/iotpipe/workloads@sha256:${'fedcba9876543210'.repeat(4)}`;
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({ name: 'pinned', topic, spec: { image: next } }),
    );
    await waitFor('the sink on the new image', async () => {
      const sink = await sinkOf('pinned');
      return sink?.spec.template.spec.containers[0]!.image === next;
    });
    await waitFor('ImageNotAllowed gone', async () => {
      const got = await getPipeline(ns.kubeConfig, ns.name, 'pinned');
      return conditionOf(got, 'WorkloadsAvailable')?.reason !== 'ImageNotAllowed';
    });
  });
});
