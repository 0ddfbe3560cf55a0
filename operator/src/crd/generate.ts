// Writes the IoTPipeline CRD YAML (operator/crd/iotpipelines.iotpipe.io.yaml) from the TS schema.
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRD_FILE, iotPipelineCrdYaml } from './crd.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const target = resolve(repoRoot, CRD_FILE);
await mkdir(dirname(target), { recursive: true });
await writeFile(target, iotPipelineCrdYaml());
console.log(`wrote ${CRD_FILE}`);
