export { loadSimulatorConfig, SIM_OUTPUTS, type SimulatorConfig, type SimOutput } from './config.js';
export { ReadingGenerator, type GeneratorOptions } from './generator.js';
export { expandPacket, type GenericReading, type RuuviUnit, type SimUnit } from './devices.js';
export {
  manifestDigest,
  manifestLine,
  ManifestBuilder,
  type DigestRow,
  type Manifest,
  type ManifestReading,
  type AnomalyKind,
} from './manifest.js';
export { KafkaOutput, MqttOutput, type SimulatorOutput, type OutputStats } from './outputs.js';
export { genericJson, ruuviGatewayMessage, ruuviGatewayTopic, type GenericReadingJson } from './payloads.js';
export { Simulator, type SimulationResult, type SimulatorDeps } from './simulator.js';
