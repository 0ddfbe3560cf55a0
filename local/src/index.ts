export { loadStackConfig, endpoints, VERSIONS, type StackConfig } from './config.js';
export { StackError } from './errors.js';
export { ConfigError, EnvReader } from '@iotpipe/contract';
export { LocalStack, formatStatus, type PartStatus } from './stack.js';
export {
  STACK_TOPICS,
  JMX_EXPORTER_RULES,
  KAFKA_ACCOUNTS,
  STACK_PIPELINE,
  ensureKafkaNodeSecurity,
  grantAcls,
  kafkaClientEnv,
  kafkaSecurityProperties,
  scramFormatArgs,
  setScramPasswords,
  stackAdminKafka,
  stageAcls,
  stackKafkaConfig,
  type KafkaAcl,
  type KafkaStageAccount,
  type PipelineKafkaNames,
} from './services/kafka.js';
export { mosquittoConf, type MosquittoConfOptions } from './services/mosquitto.js';
export { SmtpSink, type StoredMail } from './smtp-sink.js';
