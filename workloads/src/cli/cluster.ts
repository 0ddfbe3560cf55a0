import { CLUSTER_COMMANDS, runClusterCommand } from '@iotpipe/local/cluster';
import type { Argv, CommandModule } from 'yargs';

/** `iotpipe cluster up|down|status|build [--node]`: the local control plane, or the single-node cluster. */
export const clusterCommand: CommandModule = {
  command: 'cluster <action>',
  describe: 'the local Kubernetes control plane (--node: a single-node cluster): up | down | status | build',
  builder: (y: Argv) =>
    y.positional('action', { choices: CLUSTER_COMMANDS, demandOption: true }).option('node', {
      type: 'boolean',
      default: false,
      describe: 'the single-node cluster: containerd, kubelet, kube-proxy, CNI, CoreDNS, volumes',
    }),
  handler: async (argv) => {
    process.exitCode = await runClusterCommand(argv.action as (typeof CLUSTER_COMMANDS)[number], {
      node: argv.node === true,
    });
  },
};
