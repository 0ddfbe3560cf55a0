#!/usr/bin/env node
// `iotpipe-operator` (node operator/dist/main.js): wires env config and the kubeconfig to the
// Operator; runs until SIGTERM/SIGINT. KUBECONFIG, ~/.kube/config or the in-cluster service
// account (src/kube/connection.ts; @kubernetes/client-node is not loaded unless needed).
import { ConfigError, loadOperatorConfig } from './config.js';
import { loadConnection } from './kube/connection.js';
import { Operator } from './reconcile/operator.js';

let operator: Operator;
try {
  // Settings first: a bad one fails at once, naming it, before any network.
  const config = loadOperatorConfig();
  operator = new Operator(await loadConnection(), config);
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
