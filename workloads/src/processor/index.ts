export { AlertEngine, DEFAULT_RULES, type RulesConfig, type Verdict, type EngineSnapshot } from './engine.js';
export { loadProcessorConfig, type ProcessorConfig } from './config.js';
export { ProcessorCodec, ReadingDecodeError, AVRO_OPTIONS } from './codec.js';
export { ProcessorMetrics } from './metrics.js';
export { StreamProcessor, isTemporaryKafkaError } from './processor.js';
