export { loadSinkConfig, type SinkConfig } from './config.js';
export { KafkaSink, type Log } from './sink.js';
export { ReadingStore, isPostgresClosedSocketError } from './store.js';
export { copyLine, copyText, STAGING_COLUMNS, READING_COLUMNS } from './rows.js';
export { ReadingDecoder, RecordDecodeError } from './decoder.js';
