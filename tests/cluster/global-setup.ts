import { ensureControlPlane } from '../../local/src/cluster/testing.js';

/** Starts the local control plane unless one is running, installs the platform CRDs. */
export default async function setup(): Promise<() => Promise<void>> {
  const handle = await ensureControlPlane({ log: (line) => console.log(`[cluster] ${line}`) });
  return () => handle.release();
}
