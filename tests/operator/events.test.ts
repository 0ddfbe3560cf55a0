// The operator's event recorder against the real API server: the same event again is one Event
// with a series count; an object's events are rate-limited (burst 25, as client-go's
// recorders); the API server stores them as events.k8s.io/v1 Events that the core/v1 API (and
// so `kubectl describe`) shows too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import type { TestNamespace } from '../../local/src/cluster/testing.js';
import { KubeClient } from '../../operator/src/kube/client.js';
import { connectionFromKubeConfig } from '../../operator/src/kube/connection.js';
import { EventRecorder, type EventSubject } from '../../operator/src/reconcile/events.js';
import {
  eventsOf,
  operatorNamespace,
  pipelineManifest,
  applyAsUser,
  getPipeline,
  uniqueTopic,
  waitFor,
} from './support.js';

let ns: TestNamespace;
let client: KubeClient;

beforeAll(async () => {
  ns = await operatorNamespace('operator-events');
  client = new KubeClient(connectionFromKubeConfig(ns.kubeConfig));
});

afterAll(async () => {
  client?.close();
  await ns?.delete();
});

/** A stored IoTPipeline to record events about (no operator runs here). */
async function subject(name: string): Promise<EventSubject> {
  await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name, topic: uniqueTopic('op-events') }));
  const p = (await getPipeline(ns.kubeConfig, ns.name, name))!;
  return {
    apiVersion: p.apiVersion,
    kind: p.kind,
    metadata: { name, namespace: ns.name, uid: p.metadata.uid },
  };
}

describe('EventRecorder', () => {
  it('records the same event again as a series of one Event, visible through core/v1 as kubectl describe reads it', async () => {
    const dropped: string[] = [];
    const recorder = new EventRecorder(client, {
      controller: 'iotpipe.io/operator',
      instance: 'test',
      seriesUpdateMs: 200,
      onDropped: (r) => dropped.push(r),
    });
    try {
      const s = await subject('series');
      recorder.record(s, 'Warning', 'RegistryUnavailable', 'registry http://r unreachable');
      await waitFor(
        'the first Event',
        async () => (await eventsOf(ns.kubeConfig, ns.name, 'series')).length === 1,
      );
      for (let i = 0; i < 9; i++)
        recorder.record(s, 'Warning', 'RegistryUnavailable', 'registry http://r unreachable');
      await new Promise((r) => setTimeout(r, 300));
      recorder.flush();
      const events = await waitFor('a series of 10', async () => {
        const got = await eventsOf(ns.kubeConfig, ns.name, 'series');
        return got[0]?.series?.count === 10 ? got : undefined;
      });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'Warning',
        reason: 'RegistryUnavailable',
        note: 'registry http://r unreachable',
        reportingController: 'iotpipe.io/operator',
        regarding: { kind: 'IoTPipeline', name: 'series', uid: s.metadata.uid },
      });
      // What kubectl describe lists: core/v1 Events of the object.
      const core = await ns.kubeConfig.makeApiClient(CoreV1Api).listNamespacedEvent({
        namespace: ns.name,
        fieldSelector: `involvedObject.uid=${s.metadata.uid}`,
      });
      // kubectl describe prints the series as "(x10 over ...)" and the reportingController as From.
      expect(
        core.items.map((e) => [e.type, e.reason, e.message, e.series?.count, e.reportingComponent]),
      ).toEqual([
        ['Warning', 'RegistryUnavailable', 'registry http://r unreachable', 10, 'iotpipe.io/operator'],
      ]);
      expect(dropped).toEqual([]);
    } finally {
      recorder.stop();
    }
  });

  it('lets 25 distinct events about one object through, then drops them; another object has its own budget', async () => {
    const dropped: string[] = [];
    const recorder = new EventRecorder(client, {
      controller: 'iotpipe.io/operator',
      instance: 'test',
      onDropped: (r) => dropped.push(r),
    });
    try {
      const noisy = await subject('noisy');
      const quiet = await subject('quiet');
      for (let i = 0; i < 30; i++)
        recorder.record(noisy, 'Warning', 'ApplyFailed', `attempt ${i} failed differently`);
      recorder.record(quiet, 'Normal', 'Ready', 'ready');
      await waitFor('25 + 1 Events', async () => {
        const [a, b] = await Promise.all([
          eventsOf(ns.kubeConfig, ns.name, 'noisy'),
          eventsOf(ns.kubeConfig, ns.name, 'quiet'),
        ]);
        return a.length === 25 && b.length === 1;
      });
      expect(dropped).toEqual(Array.from({ length: 5 }, () => 'rate-limited'));
      const notes = (await eventsOf(ns.kubeConfig, ns.name, 'noisy')).map((e) => e.note);
      expect(notes).toContain('attempt 0 failed differently');
      expect(notes).not.toContain('attempt 29 failed differently');
    } finally {
      recorder.stop();
    }
  });
});
