// kubectl against the single-node cluster, as a user runs it: manifests go in on stdin or as
// files, results come back as JSON. Failures throw with kubectl's own message.
import { spawn } from 'node:child_process';
import { loadNodeConfig } from '../../local/src/cluster/node/config.js';
import { Node } from '../../local/src/cluster/node/node.js';

export const nodeConfig = loadNodeConfig();
export const node = new Node(nodeConfig);

export function kubectl(args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', node.kubeconfigPath, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(stdout);
      else
        reject(
          new Error(`kubectl ${args.join(' ')} failed (exit ${code}): ${stderr.trim() || stdout.trim()}`),
        );
    });
    child.stdin.end(input ?? '');
  });
}

export async function kubectlJson<T>(args: readonly string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}
