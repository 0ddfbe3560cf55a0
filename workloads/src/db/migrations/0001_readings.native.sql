-- sensor_readings on plain PostgreSQL (no TimescaleDB): native range partitioning by day on
-- "timestamp", a DEFAULT partition so no reading is ever rejected for lack of a partition
-- (iotpipe_maintain() moves its rows into proper partitions), and the TimescaleDB functions the
-- original README's queries call (time_bucket, first, last) so those queries run unchanged.

CREATE FUNCTION time_bucket(bucket_width interval, ts timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  -- TimescaleDB aligns timestamptz buckets to 2000-01-03 (a Monday); date_bin with that origin
  -- gives the same buckets for every fixed-width interval.
  RETURN date_bin(bucket_width, ts, TIMESTAMPTZ '2000-01-03 00:00:00+00');

CREATE FUNCTION time_bucket(bucket_width interval, ts timestamp) RETURNS timestamp
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN date_bin(bucket_width, ts, TIMESTAMP '2000-01-03 00:00:00');

-- first(value, time) / last(value, time): the value at the earliest / latest time, as in
-- TimescaleDB (a NULL value at that time is returned as NULL). SQL cannot declare a polymorphic
-- state of (time, value), so there is one state type per value type the columns use: double
-- precision (value, battery_level, ...), bigint (integers, via implicit cast) and text.
CREATE TYPE iotpipe_tv_float8 AS (t timestamptz, v double precision);
CREATE TYPE iotpipe_tv_int8 AS (t timestamptz, v bigint);
CREATE TYPE iotpipe_tv_text AS (t timestamptz, v text);

CREATE FUNCTION iotpipe_last_sf(s iotpipe_tv_float8, v double precision, t timestamptz) RETURNS iotpipe_tv_float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN t IS NULL THEN s WHEN s IS NULL OR s.t IS NULL OR t > s.t THEN ROW(t, v)::iotpipe_tv_float8 ELSE s END;
CREATE FUNCTION iotpipe_first_sf(s iotpipe_tv_float8, v double precision, t timestamptz) RETURNS iotpipe_tv_float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN t IS NULL THEN s WHEN s IS NULL OR s.t IS NULL OR t < s.t THEN ROW(t, v)::iotpipe_tv_float8 ELSE s END;
CREATE FUNCTION iotpipe_last_cf(a iotpipe_tv_float8, b iotpipe_tv_float8) RETURNS iotpipe_tv_float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN a IS NULL OR a.t IS NULL THEN b WHEN b IS NULL OR b.t IS NULL THEN a WHEN b.t > a.t THEN b ELSE a END;
CREATE FUNCTION iotpipe_first_cf(a iotpipe_tv_float8, b iotpipe_tv_float8) RETURNS iotpipe_tv_float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN a IS NULL OR a.t IS NULL THEN b WHEN b IS NULL OR b.t IS NULL THEN a WHEN b.t < a.t THEN b ELSE a END;
CREATE FUNCTION iotpipe_tv_value(s iotpipe_tv_float8) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN s.v;
CREATE AGGREGATE last(double precision, timestamptz) (
  SFUNC = iotpipe_last_sf, STYPE = iotpipe_tv_float8, FINALFUNC = iotpipe_tv_value,
  COMBINEFUNC = iotpipe_last_cf, PARALLEL = SAFE);
CREATE AGGREGATE first(double precision, timestamptz) (
  SFUNC = iotpipe_first_sf, STYPE = iotpipe_tv_float8, FINALFUNC = iotpipe_tv_value,
  COMBINEFUNC = iotpipe_first_cf, PARALLEL = SAFE);

CREATE FUNCTION iotpipe_last_sf(s iotpipe_tv_int8, v bigint, t timestamptz) RETURNS iotpipe_tv_int8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN t IS NULL THEN s WHEN s IS NULL OR s.t IS NULL OR t > s.t THEN ROW(t, v)::iotpipe_tv_int8 ELSE s END;
CREATE FUNCTION iotpipe_first_sf(s iotpipe_tv_int8, v bigint, t timestamptz) RETURNS iotpipe_tv_int8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN t IS NULL THEN s WHEN s IS NULL OR s.t IS NULL OR t < s.t THEN ROW(t, v)::iotpipe_tv_int8 ELSE s END;
CREATE FUNCTION iotpipe_tv_value(s iotpipe_tv_int8) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN s.v;
CREATE AGGREGATE last(bigint, timestamptz) (SFUNC = iotpipe_last_sf, STYPE = iotpipe_tv_int8, FINALFUNC = iotpipe_tv_value);
CREATE AGGREGATE first(bigint, timestamptz) (SFUNC = iotpipe_first_sf, STYPE = iotpipe_tv_int8, FINALFUNC = iotpipe_tv_value);

CREATE FUNCTION iotpipe_last_sf(s iotpipe_tv_text, v text, t timestamptz) RETURNS iotpipe_tv_text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN t IS NULL THEN s WHEN s IS NULL OR s.t IS NULL OR t > s.t THEN ROW(t, v)::iotpipe_tv_text ELSE s END;
CREATE FUNCTION iotpipe_first_sf(s iotpipe_tv_text, v text, t timestamptz) RETURNS iotpipe_tv_text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN t IS NULL THEN s WHEN s IS NULL OR s.t IS NULL OR t < s.t THEN ROW(t, v)::iotpipe_tv_text ELSE s END;
CREATE FUNCTION iotpipe_tv_value(s iotpipe_tv_text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN s.v;
CREATE AGGREGATE last(text, timestamptz) (SFUNC = iotpipe_last_sf, STYPE = iotpipe_tv_text, FINALFUNC = iotpipe_tv_value);
CREATE AGGREGATE first(text, timestamptz) (SFUNC = iotpipe_first_sf, STYPE = iotpipe_tv_text, FINALFUNC = iotpipe_tv_value);

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
  -- The natural key: one reading, one row. It includes the partitioning column, as PostgreSQL
  -- requires of a unique key on a partitioned table (and TimescaleDB of a hypertable).
  CONSTRAINT sensor_readings_natural_key UNIQUE (device_id, "timestamp", reading_id),
  CONSTRAINT sensor_readings_device_id_check CHECK (device_id <> ''),
  CONSTRAINT sensor_readings_device_type_check CHECK (device_type <> ''),
  CONSTRAINT sensor_readings_reading_id_check CHECK (reading_id <> ''),
  CONSTRAINT sensor_readings_value_check
    CHECK (value <> 'NaN'::float8 AND value <> 'Infinity'::float8 AND value <> '-Infinity'::float8),
  CONSTRAINT sensor_readings_latitude_check CHECK (latitude BETWEEN -90 AND 90),
  CONSTRAINT sensor_readings_longitude_check CHECK (longitude BETWEEN -180 AND 180),
  -- Volts for RuuviTags, percent for simulated sensors: both within 0..100.
  CONSTRAINT sensor_readings_battery_level_check CHECK (battery_level BETWEEN 0 AND 100),
  CONSTRAINT sensor_readings_signal_strength_check CHECK (signal_strength BETWEEN -200 AND 50),
  CONSTRAINT sensor_readings_measurement_sequence_check CHECK (measurement_sequence >= 0),
  CONSTRAINT sensor_readings_source_check
    CHECK (source IN ('RUUVI_GATEWAY', 'ESP32_GATEWAY', 'SIMULATOR', 'UNKNOWN')),
  CONSTRAINT sensor_readings_time_source_check CHECK (time_source IN ('DEVICE', 'GATEWAY', 'ADAPTER')),
  CONSTRAINT sensor_readings_metadata_check
    CHECK (device_metadata IS NULL OR jsonb_typeof(device_metadata) = 'object')
) PARTITION BY RANGE ("timestamp");

CREATE TABLE sensor_readings_default PARTITION OF sensor_readings DEFAULT;

CREATE INDEX sensor_readings_timestamp_idx ON sensor_readings ("timestamp" DESC);
CREATE INDEX sensor_readings_type_time_idx ON sensor_readings (device_type, "timestamp" DESC);
CREATE INDEX sensor_readings_anomaly_idx ON sensor_readings ("timestamp" DESC) WHERE is_anomaly;

-- Rows older than POSTGRES_ARCHIVE_AFTER_DAYS, kept until POSTGRES_RETENTION_DAYS. Same columns
-- and key, so archiving a replayed partition twice is a no-op.
CREATE TABLE sensor_readings_archive (
  LIKE sensor_readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  archived_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sensor_readings_archive_natural_key UNIQUE (device_id, "timestamp", reading_id)
);
CREATE INDEX sensor_readings_archive_timestamp_idx ON sensor_readings_archive ("timestamp");
