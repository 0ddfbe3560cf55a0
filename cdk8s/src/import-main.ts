// `make cdk8s-import`: regenerates cdk8s/imports/ from the pinned CRDs (fetched and cached by
// the local control plane's code: Maven Central for Strimzi, the Go module proxy for
// prometheus-operator).
import { loadControlPlaneConfig, platformCrdFiles } from '@iotpipe/local/cluster';
import { generateImports, IMPORTS_DIR, importSpecs } from './imports.js';

const files = await platformCrdFiles(loadControlPlaneConfig(process.env), (line) => console.log(line));
for (const file of await generateImports(importSpecs(files), IMPORTS_DIR)) console.log(`wrote ${file}`);
