import { BinaryBuilder } from './binaries.js';
import { loadControlPlaneConfig } from './config.js';
import { ControlPlane } from './controlplane.js';
import { installCrds, platformCrdFiles } from './crds.js';
import { loadNodeConfig } from './node/config.js';
import { Node } from './node/node.js';

export const CLUSTER_COMMANDS = ['up', 'down', 'status', 'build'] as const;
export type ClusterCommand = (typeof CLUSTER_COMMANDS)[number];

export function isClusterCommand(value: string): value is ClusterCommand {
  return (CLUSTER_COMMANDS as readonly string[]).includes(value);
}

export interface ClusterCommandOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Progress and results, one line each (default: stdout). */
  readonly out?: (line: string) => void;
  /** `up` only: more CRD files to install with the platform's (e.g. the IoTPipeline CRD). */
  readonly extraCrdFiles?: readonly string[];
  /** `--node`: the single-node cluster (kubelet, containerd, ...) instead of the bare control plane. */
  readonly node?: boolean;
}

/**
 * `node local/dist/cluster/cli.js <command>`; returns the process exit code (status: 0 ready, 1 not).
 *   build   build etcd + kube-apiserver into the cache and fetch the CRDs (no start)
 *   up      build what is missing, start etcd + kube-apiserver, install the platform CRDs
 *   down    stop what `up` started (state is kept; certificates and kubeconfig stay valid)
 *   status  probe etcd /health and kube-apiserver /readyz
 * With `--node` each acts on the single-node cluster instead (local/cluster/README.md): `up` adds
 * containerd, kubelet, controller-manager, scheduler, kube-proxy, CNI, CoreDNS and volumes; `down`
 * also undoes every mount, route, rule, bridge, address, sysctl and cgroup it made.
 * Errors are thrown (StackError/ConfigError carry cause and fix); the caller prints them.
 */
export async function runClusterCommand(
  command: ClusterCommand,
  options: ClusterCommandOptions = {},
): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const env = options.env ?? process.env;
  if (options.node === true && command !== 'build') return runNodeCommand(command, env, out);
  const config = loadControlPlaneConfig(env);
  const plane = new ControlPlane(config, out);
  switch (command) {
    case 'build': {
      const t0 = Date.now();
      const builder = new BinaryBuilder(config, out);
      const { binaries, reports } = await builder.ensure();
      if (options.node) reports.push(...(await builder.ensureNode()).reports);
      for (const r of reports)
        out(`${r.binary}: ${r.built ? `built in ${r.seconds.toFixed(1)} s` : 'cached'}`);
      const files = await platformCrdFiles(config, out);
      out(
        `${files.length} CRD files ready (kubernetes ${binaries.versions.kubernetes}, etcd ${binaries.versions.etcd}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      return 0;
    }
    case 'up': {
      const report = await plane.start();
      const files = await platformCrdFiles(config, out);
      const names = await installCrds(plane.kubeConfig(), files, { extraFiles: options.extraCrdFiles ?? [] });
      out(
        report.started.length > 0 ? `started ${report.started.join(', ')}` : 'control plane already running',
      );
      out(`${names.length} CRDs established; ready in ${report.seconds.toFixed(1)} s`);
      out(`export KUBECONFIG=${plane.kubeconfigPath}   # ${plane.server}`);
      return 0;
    }
    case 'down': {
      const stopped = await plane.stop();
      out(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'control plane was not running');
      return 0;
    }
    case 'status': {
      const status = await plane.status();
      for (const c of status.components)
        out(
          `${c.name.padEnd(15)} ${c.healthy ? 'up  ' : 'DOWN'} ${c.pid !== undefined ? `pid ${c.pid} ` : ''}${c.detail}`,
        );
      out(status.ready ? `ready; KUBECONFIG=${status.kubeconfig}` : 'not ready: `make cluster-up` starts it');
      return status.ready ? 0 : 1;
    }
  }
}

async function runNodeCommand(
  command: Exclude<ClusterCommand, 'build'>,
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
): Promise<number> {
  const node = new Node(loadNodeConfig(env), out);
  switch (command) {
    case 'up': {
      const report = await node.up();
      for (const b of report.builds.filter((x) => x.built))
        out(`built ${b.binary} in ${b.seconds.toFixed(0)} s`);
      const loaded = report.loads.filter((l) => l.outcome === 'loaded');
      if (loaded.length > 0) out(`loaded into the node: ${loaded.map((l) => l.ref).join(', ')}`);
      out(report.started.length > 0 ? `started ${report.started.join(', ')}` : 'node already running');
      out(
        `node ${node.config.nodeName} Ready, CoreDNS and volumes serving, in ${report.seconds.toFixed(1)} s`,
      );
      out(`export KUBECONFIG=${node.kubeconfigPath}   # ${node.plane.server}`);
      return 0;
    }
    case 'down': {
      const { stopped, problems } = await node.down();
      out(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'node was not running');
      for (const p of problems) out(`NOT UNDONE: ${p}`);
      return problems.length === 0 ? 0 : 1;
    }
    case 'status': {
      const status = await node.status();
      for (const p of status.parts) out(`${p.name.padEnd(40)} ${p.healthy ? 'up  ' : 'DOWN'} ${p.detail}`);
      out(status.ready ? `ready; KUBECONFIG=${status.kubeconfig}` : 'not ready: `make node-up` starts it');
      return status.ready ? 0 : 1;
    }
  }
}
