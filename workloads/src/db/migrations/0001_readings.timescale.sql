-- sensor_readings on TimescaleDB (the local stack's default, built from the 2.28.3 release source;
-- timescale/timescaledb:2.28.3-pg15 on Kubernetes): a hypertable with daily chunks, aligned to UTC
-- midnight, compressed after a week. time_bucket, first and last come from the extension.

CREATE EXTENSION IF NOT EXISTS timescaledb;

CREATE TABLE sensor_readings (
  device_id            text             NOT NULL,
  device_type          text             NOT NULL,
  "timestamp"          timestamptz      NOT NULL,
  value                double precision NOT NULL,
  unit                 text             NOT NULL,
  latitude             double precision,
  longitude            double precision,
  building             text,
  floor                integer,
  zone                 text,
  battery_level        double precision,
  signal_strength      integer,
  firmware_version     text,
  is_anomaly           boolean          NOT NULL DEFAULT false,
  device_metadata      jsonb,
  reading_id           text             NOT NULL,
  gateway_id           text,
  measurement_sequence bigint,
  source               text             NOT NULL DEFAULT 'UNKNOWN',
  time_source          text             NOT NULL DEFAULT 'ADAPTER',
  ingested_at          timestamptz      NOT NULL DEFAULT now(),
  CONSTRAINT sensor_readings_natural_key UNIQUE (device_id, "timestamp", reading_id),
  CONSTRAINT sensor_readings_device_id_check CHECK (device_id <> ''),
  CONSTRAINT sensor_readings_device_type_check CHECK (device_type <> ''),
  CONSTRAINT sensor_readings_reading_id_check CHECK (reading_id <> ''),
  CONSTRAINT sensor_readings_value_check
    CHECK (value <> 'NaN'::float8 AND value <> 'Infinity'::float8 AND value <> '-Infinity'::float8),
  CONSTRAINT sensor_readings_latitude_check CHECK (latitude BETWEEN -90 AND 90),
  CONSTRAINT sensor_readings_longitude_check CHECK (longitude BETWEEN -180 AND 180),
  CONSTRAINT sensor_readings_battery_level_check CHECK (battery_level BETWEEN 0 AND 100),
  CONSTRAINT sensor_readings_signal_strength_check CHECK (signal_strength BETWEEN -200 AND 50),
  CONSTRAINT sensor_readings_measurement_sequence_check CHECK (measurement_sequence >= 0),
  CONSTRAINT sensor_readings_source_check
    CHECK (source IN ('RUUVI_GATEWAY', 'ESP32_GATEWAY', 'SIMULATOR', 'UNKNOWN')),
  CONSTRAINT sensor_readings_time_source_check CHECK (time_source IN ('DEVICE', 'GATEWAY', 'ADAPTER')),
  CONSTRAINT sensor_readings_metadata_check
    CHECK (device_metadata IS NULL OR jsonb_typeof(device_metadata) = 'object')
);

SELECT create_hypertable('sensor_readings', by_range('timestamp', INTERVAL '1 day'));

CREATE INDEX sensor_readings_type_time_idx ON sensor_readings (device_type, "timestamp" DESC);
CREATE INDEX sensor_readings_anomaly_idx ON sensor_readings ("timestamp" DESC) WHERE is_anomaly;

ALTER TABLE sensor_readings SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'device_id',
  timescaledb.compress_orderby = '"timestamp" DESC'
);
-- Chunks older than a week are compressed (segments per device, newest first: the README's
-- per-device queries read one segment); archiving (iotpipe_maintain) copies rows older than
-- POSTGRES_ARCHIVE_AFTER_DAYS to the archive and drops their chunks. Late rows may still land in
-- a compressed chunk: TimescaleDB inserts into it and ON CONFLICT still sees the compressed rows.
SELECT add_compression_policy('sensor_readings', INTERVAL '7 days');

CREATE TABLE sensor_readings_archive (
  LIKE sensor_readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  archived_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sensor_readings_archive_natural_key UNIQUE (device_id, "timestamp", reading_id)
);
SELECT create_hypertable('sensor_readings_archive', by_range('timestamp', INTERVAL '7 days'));
