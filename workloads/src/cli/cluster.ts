import { CLUSTER_COMMANDS, runClusterCommand } from '@iotpipe/local/cluster';
import type { Argv, CommandModule } from 'yargs';

/** `iotpipe cluster up|down|status|build`: the local control plane (etcd + kube-apiserver). */
export const clusterCommand: CommandModule = {
  command: 'cluster <action>',
  describe: 'the local Kubernetes control plane: up | down | status | build',
  builder: (y: Argv) => y.positional('action', { choices: CLUSTER_COMMANDS, demandOption: true }),
  handler: async (argv) => {
    process.exitCode = await runClusterCommand(argv.action as (typeof CLUSTER_COMMANDS)[number]);
  },
};
