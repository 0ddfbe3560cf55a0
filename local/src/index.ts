export { loadStackConfig, endpoints, VERSIONS, POSTGRES_FLAVOR_CHOICES, type StackConfig } from './config.js';
export { StackError, ConfigError } from './errors.js';
export { LocalStack, formatStatus, type PartStatus } from './stack.js';
export { STACK_TOPICS, JMX_EXPORTER_RULES } from './services/kafka.js';
export { mosquittoConf, type MosquittoConfOptions } from './services/mosquitto.js';
export { SmtpSink, type StoredMail } from './smtp-sink.js';
export { EnvReader } from './env.js';
