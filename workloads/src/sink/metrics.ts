import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The sink's metrics, on its own registry (no global state): served on SINK_METRICS_PORT. */
export class SinkMetrics {
  readonly registry = new Registry();
  readonly rowsWritten = new Counter({
    name: 'iot_sink_rows_written_total',
    help: 'Readings inserted into the readings table (SINK_TABLE, sensor_readings by default)',
    registers: [this.registry],
  });
  readonly duplicatesSkipped = new Counter({
    name: 'iot_sink_duplicates_skipped_total',
    help: 'Readings not inserted because they were already stored (replay, second gateway, repeat in batch)',
    registers: [this.registry],
  });
  readonly recordsConsumed = new Counter({
    name: 'iot_sink_records_consumed_total',
    help: 'Kafka records handled (stored, duplicate or dead-lettered)',
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'iot_sink_batch_size',
    help: 'Rows per database transaction',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers: [this.registry],
  });
  readonly batchDuration = new Histogram({
    name: 'iot_sink_batch_duration_seconds',
    help: 'Time of one database transaction (COPY + INSERT + commit)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'iot_sink_consumer_lag',
    help: 'Records in the partition after the last stored one (high watermark - next offset)',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'iot_sink_retries_total',
    help: 'Retries of a temporary failure',
    labelNames: ['what'],
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'iot_sink_dlq_total',
    help: 'Records sent to the DLQ',
    labelNames: ['error_code'],
    registers: [this.registry],
  });
  readonly dbConnected = new Gauge({
    name: 'iot_sink_db_connected',
    help: '1 while the last database operation succeeded, 0 while the database is unavailable',
    registers: [this.registry],
  });
  readonly maintenanceRuns = new Counter({
    name: 'iot_sink_maintenance_runs_total',
    help: 'iotpipe_maintain() runs',
    labelNames: ['result'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'iot_sink_' });
  }
}
