-- sensor_readings_hourly / sensor_readings_daily without TimescaleDB: plain tables with the
-- columns of the README's continuous aggregates, kept fresh incrementally. An AFTER INSERT
-- statement trigger notes which hours received rows (one row per hour per statement, no lock
-- shared between writers); iotpipe_refresh_aggregates() recomputes just those hours, then the
-- days they belong to from the hourly rows (so the daily numbers survive archiving of raw rows).

CREATE TABLE sensor_readings_hourly (
  bucket               timestamptz      NOT NULL,
  device_id            text             NOT NULL,
  device_type          text             NOT NULL,
  reading_count        bigint           NOT NULL,
  avg_value            double precision NOT NULL,
  min_value            double precision NOT NULL,
  max_value            double precision NOT NULL,
  anomaly_count        bigint           NOT NULL,
  first_battery_level  double precision,
  latest_battery_level double precision,
  PRIMARY KEY (bucket, device_id, device_type)
);
CREATE INDEX sensor_readings_hourly_type_idx ON sensor_readings_hourly (device_type, bucket DESC);

CREATE TABLE sensor_readings_daily (LIKE sensor_readings_hourly INCLUDING ALL);

CREATE TABLE iotpipe_dirty_hours (bucket timestamptz NOT NULL);

CREATE FUNCTION iotpipe_note_dirty_hours() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO iotpipe_dirty_hours (bucket)
    SELECT DISTINCT time_bucket(INTERVAL '1 hour', n."timestamp") FROM new_rows n;
  RETURN NULL;
END $$;

CREATE TRIGGER sensor_readings_dirty_hours
  AFTER INSERT ON sensor_readings
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION iotpipe_note_dirty_hours();

-- Returns the number of hourly buckets recomputed. Concurrent writers are never blocked: a dirty
-- row a writer has not committed yet is invisible here, stays, and is handled next time.
CREATE FUNCTION iotpipe_refresh_aggregates() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS iotpipe_refresh_hours (bucket timestamptz PRIMARY KEY) ON COMMIT DROP;
  WITH taken AS (DELETE FROM iotpipe_dirty_hours RETURNING bucket)
  INSERT INTO iotpipe_refresh_hours SELECT DISTINCT bucket FROM taken ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n = 0 THEN
    DROP TABLE iotpipe_refresh_hours;
    RETURN 0;
  END IF;

  DELETE FROM sensor_readings_hourly h USING iotpipe_refresh_hours d WHERE h.bucket = d.bucket;
  INSERT INTO sensor_readings_hourly
    SELECT d.bucket, r.device_id, r.device_type, count(*), avg(r.value), min(r.value), max(r.value),
           count(*) FILTER (WHERE r.is_anomaly),
           first(r.battery_level, r."timestamp") FILTER (WHERE r.battery_level IS NOT NULL),
           last(r.battery_level, r."timestamp") FILTER (WHERE r.battery_level IS NOT NULL)
      FROM iotpipe_refresh_hours d
      JOIN sensor_readings r ON r."timestamp" >= d.bucket AND r."timestamp" < d.bucket + INTERVAL '1 hour'
     GROUP BY d.bucket, r.device_id, r.device_type;

  DELETE FROM sensor_readings_daily y
   WHERE y.bucket IN (SELECT DISTINCT time_bucket(INTERVAL '1 day', bucket) FROM iotpipe_refresh_hours);
  INSERT INTO sensor_readings_daily
    SELECT time_bucket(INTERVAL '1 day', h.bucket) AS day, h.device_id, h.device_type,
           sum(h.reading_count), sum(h.avg_value * h.reading_count) / sum(h.reading_count),
           min(h.min_value), max(h.max_value), sum(h.anomaly_count),
           first(h.first_battery_level, h.bucket) FILTER (WHERE h.first_battery_level IS NOT NULL),
           last(h.latest_battery_level, h.bucket) FILTER (WHERE h.latest_battery_level IS NOT NULL)
      FROM sensor_readings_hourly h
     WHERE time_bucket(INTERVAL '1 day', h.bucket)
           IN (SELECT DISTINCT time_bucket(INTERVAL '1 day', bucket) FROM iotpipe_refresh_hours)
     GROUP BY day, h.device_id, h.device_type;

  DROP TABLE iotpipe_refresh_hours;
  RETURN n;
END $$;
