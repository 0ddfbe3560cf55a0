/**
 * The charts' side of the shared workload builder (@iotpipe/contract kubernetes.ts, which the
 * operator's children use too): labels, probes, and {@link addObjects}, which puts the builder's
 * plain objects into a chart. Pod hardening is the builder's, not here. The hygiene test
 * (src/hygiene.ts) checks the output for what the builder promises.
 */
import { workloadObjects, type KubeObject, type Probe, type WorkloadSetInput } from '@iotpipe/contract';
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Profile } from './profiles.js';

export const PART_OF = 'iotpipe';

/** Labels of one component; `app.kubernetes.io/name` is also the pod selector. */
export function componentLabels(name: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': PART_OF,
  };
}

export function selectorOf(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name };
}

/** Adds plain objects to a chart (the chart sets their namespace), ids from kind and name. */
export function addObjects(scope: Construct, objects: readonly KubeObject[]): void {
  for (const o of objects) new ApiObject(scope, `${o.kind}-${o.metadata.name}`, o);
}

/**
 * A workload of the platform and what goes around it (Service, PDB, NetworkPolicy, monitor),
 * built by the shared builder; replicas spread over nodes in profiles with several.
 */
export function addWorkload(scope: Construct, p: Profile, w: WorkloadSetInput): void {
  addObjects(scope, workloadObjects({ ...w, spreadAcrossNodes: p.highAvailability }));
}

/** An emptyDir for /tmp (and other scratch paths) under a read-only root filesystem. */
export function scratchVolume(name: string, sizeLimit = '64Mi') {
  return { name, emptyDir: { sizeLimit } };
}

export function httpProbe(
  path: string,
  port: string,
  o: { initialDelaySeconds?: number; periodSeconds?: number; failureThreshold?: number } = {},
): Probe {
  return {
    httpGet: { path, port },
    initialDelaySeconds: o.initialDelaySeconds ?? 5,
    periodSeconds: o.periodSeconds ?? 10,
    timeoutSeconds: 5,
    failureThreshold: o.failureThreshold ?? 3,
  };
}

export function tcpProbe(
  port: string,
  o: { initialDelaySeconds?: number; periodSeconds?: number } = {},
): Probe {
  return {
    tcpSocket: { port },
    initialDelaySeconds: o.initialDelaySeconds ?? 5,
    periodSeconds: o.periodSeconds ?? 10,
    timeoutSeconds: 5,
    failureThreshold: 3,
  };
}

export function execProbe(
  command: string[],
  o: { initialDelaySeconds?: number; periodSeconds?: number } = {},
): Probe {
  return {
    exec: { command },
    initialDelaySeconds: o.initialDelaySeconds ?? 10,
    periodSeconds: o.periodSeconds ?? 10,
    timeoutSeconds: 5,
    failureThreshold: 6,
  };
}
