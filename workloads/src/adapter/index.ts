export { MqttKafkaAdapter, type Logger } from './adapter.js';
export { DEFAULT_SUBSCRIPTIONS, effectiveFilters, loadAdapterConfig, type AdapterConfig } from './config.js';
export { DedupWindow } from './dedup.js';
export { AdapterMetrics } from './metrics.js';
