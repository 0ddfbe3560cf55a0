import { BinaryBuilder } from './binaries.js';
import { loadControlPlaneConfig } from './config.js';
import { ControlPlane } from './controlplane.js';
import { installCrds, platformCrdFiles } from './crds.js';

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
}

/**
 * `iotpipe cluster <command>`; returns the process exit code (status: 0 ready, 1 not).
 *   build   build etcd + kube-apiserver into the cache and fetch the CRDs (no start)
 *   up      build what is missing, start etcd + kube-apiserver, install the platform CRDs
 *   down    stop what `up` started (state is kept; certificates and kubeconfig stay valid)
 *   status  probe etcd /health and kube-apiserver /readyz
 * Errors are thrown (StackError/ConfigError carry cause and fix); the caller prints them.
 */
export async function runClusterCommand(
  command: ClusterCommand,
  options: ClusterCommandOptions = {},
): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const config = loadControlPlaneConfig(options.env ?? process.env);
  const plane = new ControlPlane(config, out);
  switch (command) {
    case 'build': {
      const t0 = Date.now();
      const { binaries, reports } = await new BinaryBuilder(config, out).ensure();
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
