/**
 * `node cdk8s/dist/src/main.js synth [--profile kind|production] [--out DIR] [--namespace NS]
 * [--operator-scope cluster|namespace]`: writes dist/<profile>/*.yaml (both profiles by default);
 * `node cdk8s/dist/src/main.js chart [--out DIR]`: writes the Helm chart (charts/iotpipe).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OPERATOR_SCOPES, type OperatorScope } from './charts/operator.js';
import { writeHelmChart } from './helm.js';
import { CDK8S_DIR, REPO_ROOT } from './imports.js';
import { synthMonitoringStack } from './monitoring-stack.js';
import { readInputs, synthPlatform, toYaml } from './platform.js';
import { isProfileName, PROFILE_NAMES, type ProfileName } from './profiles.js';

async function synth(
  profiles: readonly ProfileName[],
  outRoot: string,
  namespace: string | undefined,
  operatorScope: OperatorScope,
): Promise<void> {
  const inputs = readInputs();
  for (const name of profiles) {
    const dir = join(outRoot, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const f of synthPlatform({ profile: name, namespace, inputs, operatorScope })) {
      await writeFile(join(dir, f.file), toYaml(f.objects));
    }
    console.log(`synthesized ${name} into ${dir}`);
  }
  // The kube-prometheus stand-in for a cluster without one (the local node): its own folder, as
  // it is not part of the platform (kubectl apply -f dist/monitoring-stack/ after the operator).
  const stackDir = join(outRoot, 'monitoring-stack');
  await rm(stackDir, { recursive: true, force: true });
  await mkdir(stackDir, { recursive: true });
  for (const f of synthMonitoringStack('kind')) await writeFile(join(stackDir, f.file), toYaml(f.objects));
  console.log(`synthesized the monitoring stack into ${stackDir}`);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    profile: { type: 'string' },
    out: { type: 'string' },
    namespace: { type: 'string' },
    'operator-scope': { type: 'string' },
  },
});
const command = positionals[0] ?? 'synth';
if (command === 'synth') {
  const wanted = values.profile;
  if (wanted !== undefined && !isProfileName(wanted)) {
    console.error(`--profile must be one of ${PROFILE_NAMES.join(', ')}, not '${wanted}'`);
    process.exit(2);
  }
  const scope = values['operator-scope'] ?? 'cluster';
  if (!(OPERATOR_SCOPES as readonly string[]).includes(scope)) {
    console.error(`--operator-scope must be one of ${OPERATOR_SCOPES.join(', ')}, not '${scope}'`);
    process.exit(2);
  }
  await synth(
    wanted === undefined ? PROFILE_NAMES : [wanted],
    values.out ?? join(CDK8S_DIR, 'dist'),
    values.namespace,
    scope as OperatorScope,
  );
} else if (command === 'chart') {
  const out = values.out ?? join(REPO_ROOT, 'charts', 'iotpipe');
  await writeHelmChart(out, readInputs());
  console.log(`wrote the Helm chart into ${out}`);
} else {
  console.error(`unknown command '${command}' (synth | chart)`);
  process.exit(2);
}
