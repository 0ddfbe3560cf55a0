#!/usr/bin/env node
/**
 * `iotpipe-credentials` (the Job cdk8s/src/charts/credentials.ts runs at every apply): creates
 * the platform Secrets listed in IOTPIPE_CREDENTIALS (JSON, see credentials.ts) that do not exist
 * yet in POD_NAMESPACE, one line each; exits non-zero naming what failed. In the cluster it uses
 * its ServiceAccount (create Secrets, read the CA Secret: nothing else); elsewhere KUBECONFIG.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { CREDENTIALS_ENV } from '@iotpipe/contract';
import { ensureCredentials, parseCredentialSpecs } from './credentials.js';
import { kubeSecretStore } from './store.js';

async function main(): Promise<void> {
  const namespace = process.env['POD_NAMESPACE'];
  if (!namespace) throw new Error('POD_NAMESPACE is not set');
  const specs = parseCredentialSpecs(process.env[CREDENTIALS_ENV] ?? '');
  const kc = new KubeConfig();
  kc.loadFromDefault();
  for (const line of await ensureCredentials(specs, kubeSecretStore(kc, namespace), new Date()))
    console.log(line);
}

main().catch((err: unknown) => {
  console.error(`iotpipe-credentials: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
