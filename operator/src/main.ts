#!/usr/bin/env node
// `iotpipe-operator` (node operator/dist/main.js): wires env config and the kubeconfig to the
// Operator; runs until SIGTERM/SIGINT. KUBECONFIG or the in-cluster service account.
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, loadOperatorConfig } from './config.js';
import { Operator } from './reconcile/operator.js';

let operator: Operator;
try {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  operator = new Operator(kc, loadOperatorConfig());
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`iotpipe-operator: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
const shutdown = (signal: string) => {
  console.log(`${new Date().toISOString()} ${signal}: stopping`);
  operator.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
await operator.start();
