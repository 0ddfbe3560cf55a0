/**
 * Building blocks every workload of the platform shares: labels, a hardened pod and container
 * security context, resources, PodDisruptionBudgets and anti-affinity. The hygiene test
 * (src/hygiene.ts) checks the output for what these helpers promise.
 */
import { k8s } from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import type { ContainerResources, Profile } from './profiles.js';

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

export function resources(r: ContainerResources): k8s.ResourceRequirements {
  const q = (v: Record<string, string | undefined>): Record<string, k8s.Quantity> =>
    Object.fromEntries(
      Object.entries(v)
        .filter((e): e is [string, string] => e[1] !== undefined)
        .map(([k, x]) => [k, k8s.Quantity.fromString(x)]),
    );
  return { requests: q(r.requests), limits: q(r.limits) };
}

/** Non-root, no privilege escalation, no capabilities, read-only root filesystem. */
export function containerSecurity(readOnlyRootFilesystem = true): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'] },
  };
}

export function podSecurity(uid: number, gid = uid): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** An emptyDir for /tmp (and other scratch paths) under a read-only root filesystem. */
export function scratchVolume(name: string, sizeLimit = '64Mi'): k8s.Volume {
  return { name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit) } };
}

/** Spreads replicas over nodes in `production` (preferred: a smaller cluster still schedules). */
export function antiAffinity(p: Profile, name: string): k8s.Affinity | undefined {
  if (!p.highAvailability) return undefined;
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: 'kubernetes.io/hostname',
            labelSelector: { matchLabels: selectorOf(name) },
          },
        },
      ],
    },
  };
}

/** A PodDisruptionBudget keeping all but one replica up, in `production` for replicated parts. */
export function disruptionBudget(scope: Construct, p: Profile, name: string, replicas: number): void {
  if (!p.highAvailability || replicas < 2) return;
  new k8s.KubePodDisruptionBudget(scope, `${name}-pdb`, {
    metadata: { name },
    spec: {
      maxUnavailable: k8s.IntOrString.fromNumber(1),
      selector: { matchLabels: selectorOf(name) },
    },
  });
}

export function httpProbe(
  path: string,
  port: string,
  o: { initialDelaySeconds?: number; periodSeconds?: number; failureThreshold?: number } = {},
): k8s.Probe {
  return {
    httpGet: { path, port: k8s.IntOrString.fromString(port) },
    initialDelaySeconds: o.initialDelaySeconds ?? 5,
    periodSeconds: o.periodSeconds ?? 10,
    timeoutSeconds: 5,
    failureThreshold: o.failureThreshold ?? 3,
  };
}

export function tcpProbe(
  port: string,
  o: { initialDelaySeconds?: number; periodSeconds?: number } = {},
): k8s.Probe {
  return {
    tcpSocket: { port: k8s.IntOrString.fromString(port) },
    initialDelaySeconds: o.initialDelaySeconds ?? 5,
    periodSeconds: o.periodSeconds ?? 10,
    timeoutSeconds: 5,
    failureThreshold: 3,
  };
}

export function execProbe(
  command: string[],
  o: { initialDelaySeconds?: number; periodSeconds?: number } = {},
): k8s.Probe {
  return {
    exec: { command },
    initialDelaySeconds: o.initialDelaySeconds ?? 10,
    periodSeconds: o.periodSeconds ?? 10,
    timeoutSeconds: 5,
    failureThreshold: 6,
  };
}
