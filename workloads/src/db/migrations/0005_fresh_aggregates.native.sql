-- Aggregates that answer at once: sensor_readings_hourly and _daily become views over the
-- materialized hours and days (the tables of 0003, renamed) plus, computed from the raw rows at
-- query time, the hours that received rows since the last refresh (iotpipe_dirty_hours, noted by
-- the insert trigger in the writer's own transaction, so a committed row and its dirty hour
-- appear together). iotpipe_refresh_aggregates() keeps materializing as before; it only
-- bounds how much is computed per query.

ALTER TABLE sensor_readings_hourly RENAME TO sensor_readings_hourly_materialized;
ALTER TABLE sensor_readings_daily RENAME TO sensor_readings_daily_materialized;
ALTER INDEX sensor_readings_hourly_type_idx RENAME TO sensor_readings_hourly_materialized_type_idx;
CREATE INDEX iotpipe_dirty_hours_bucket_idx ON iotpipe_dirty_hours (bucket);

CREATE VIEW sensor_readings_hourly AS
  SELECT m.bucket, m.device_id, m.device_type, m.reading_count, m.avg_value, m.min_value, m.max_value,
         m.anomaly_count, m.first_battery_level, m.latest_battery_level
    FROM sensor_readings_hourly_materialized m
   WHERE NOT EXISTS (SELECT 1 FROM iotpipe_dirty_hours d WHERE d.bucket = m.bucket)
  UNION ALL
  SELECT d.bucket, r.device_id, r.device_type, count(*), avg(r.value), min(r.value), max(r.value),
         count(*) FILTER (WHERE r.is_anomaly),
         first(r.battery_level, r."timestamp") FILTER (WHERE r.battery_level IS NOT NULL),
         last(r.battery_level, r."timestamp") FILTER (WHERE r.battery_level IS NOT NULL)
    FROM (SELECT DISTINCT bucket FROM iotpipe_dirty_hours) d
    JOIN sensor_readings r ON r."timestamp" >= d.bucket AND r."timestamp" < d.bucket + INTERVAL '1 hour'
   GROUP BY d.bucket, r.device_id, r.device_type;

-- A day with a dirty hour is summed from the hourly view (materialized and live hours alike),
-- as the refresh sums the materialized hours.
CREATE VIEW sensor_readings_daily AS
  SELECT m.bucket, m.device_id, m.device_type, m.reading_count, m.avg_value, m.min_value, m.max_value,
         m.anomaly_count, m.first_battery_level, m.latest_battery_level
    FROM sensor_readings_daily_materialized m
   WHERE NOT EXISTS (SELECT 1 FROM iotpipe_dirty_hours d
                      WHERE d.bucket >= m.bucket AND d.bucket < m.bucket + INTERVAL '1 day')
  UNION ALL
  SELECT time_bucket(INTERVAL '1 day', h.bucket) AS bucket, h.device_id, h.device_type,
         sum(h.reading_count)::bigint, sum(h.avg_value * h.reading_count) / sum(h.reading_count),
         min(h.min_value), max(h.max_value), sum(h.anomaly_count)::bigint,
         first(h.first_battery_level, h.bucket) FILTER (WHERE h.first_battery_level IS NOT NULL),
         last(h.latest_battery_level, h.bucket) FILTER (WHERE h.latest_battery_level IS NOT NULL)
    FROM sensor_readings_hourly h
   WHERE time_bucket(INTERVAL '1 day', h.bucket)
         IN (SELECT DISTINCT time_bucket(INTERVAL '1 day', bucket) FROM iotpipe_dirty_hours)
   GROUP BY 1, h.device_id, h.device_type;

-- The refresh and the maintenance, as in 0003 and 0004, on the renamed tables.
CREATE OR REPLACE FUNCTION iotpipe_refresh_aggregates() RETURNS integer LANGUAGE plpgsql AS $$
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

  DELETE FROM sensor_readings_hourly_materialized h USING iotpipe_refresh_hours d WHERE h.bucket = d.bucket;
  INSERT INTO sensor_readings_hourly_materialized
    SELECT d.bucket, r.device_id, r.device_type, count(*), avg(r.value), min(r.value), max(r.value),
           count(*) FILTER (WHERE r.is_anomaly),
           first(r.battery_level, r."timestamp") FILTER (WHERE r.battery_level IS NOT NULL),
           last(r.battery_level, r."timestamp") FILTER (WHERE r.battery_level IS NOT NULL)
      FROM iotpipe_refresh_hours d
      JOIN sensor_readings r ON r."timestamp" >= d.bucket AND r."timestamp" < d.bucket + INTERVAL '1 hour'
     GROUP BY d.bucket, r.device_id, r.device_type;

  DELETE FROM sensor_readings_daily_materialized y
   WHERE y.bucket IN (SELECT DISTINCT time_bucket(INTERVAL '1 day', bucket) FROM iotpipe_refresh_hours);
  INSERT INTO sensor_readings_daily_materialized
    SELECT time_bucket(INTERVAL '1 day', h.bucket) AS day, h.device_id, h.device_type,
           sum(h.reading_count), sum(h.avg_value * h.reading_count) / sum(h.reading_count),
           min(h.min_value), max(h.max_value), sum(h.anomaly_count),
           first(h.first_battery_level, h.bucket) FILTER (WHERE h.first_battery_level IS NOT NULL),
           last(h.latest_battery_level, h.bucket) FILTER (WHERE h.latest_battery_level IS NOT NULL)
      FROM sensor_readings_hourly_materialized h
     WHERE time_bucket(INTERVAL '1 day', h.bucket)
           IN (SELECT DISTINCT time_bucket(INTERVAL '1 day', bucket) FROM iotpipe_refresh_hours)
     GROUP BY day, h.device_id, h.device_type;

  DROP TABLE iotpipe_refresh_hours;
  RETURN n;
END $$;

CREATE OR REPLACE FUNCTION iotpipe_maintain(
  days_ahead integer DEFAULT 3,
  archive_after_days integer DEFAULT 30,
  retention_days integer DEFAULT 90
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  today date := (now() AT TIME ZONE 'UTC')::date;
  archive_before date := today - archive_after_days;
  wanted date[];
  missing date[];
  default_days date[];
  old_parts record;
  d date;
  n bigint;
  partitions_created integer := 0;
  rows_moved_from_default bigint := 0;
  partitions_archived integer := 0;
  rows_archived bigint := 0;
  archive_rows_deleted bigint := 0;
  aggregate_rows_deleted bigint := 0;
  hours_refreshed integer := 0;
BEGIN
  IF days_ahead < 0 OR archive_after_days < 1 OR retention_days < archive_after_days THEN
    RAISE EXCEPTION 'iotpipe_maintain: need days_ahead >= 0, archive_after_days >= 1, retention_days >= archive_after_days'
      USING ERRCODE = '22023';
  END IF;
  IF NOT pg_try_advisory_xact_lock(hashtext('iotpipe_maintain')) THEN
    RETURN jsonb_build_object('skipped', 'another maintenance run is in progress');
  END IF;

  SELECT array_agg(g::date) INTO wanted
    FROM generate_series(today - 1, today + days_ahead, INTERVAL '1 day') g;
  SELECT array_agg(w) INTO missing FROM unnest(wanted) w
   WHERE to_regclass(iotpipe_partition_name(w)) IS NULL;
  SELECT array_agg(DISTINCT ("timestamp" AT TIME ZONE 'UTC')::date) INTO default_days
    FROM sensor_readings_default;
  SELECT count(*) INTO n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
   WHERE i.inhparent = 'sensor_readings'::regclass AND c.relname ~ '^sensor_readings_p[0-9]{8}$'
     AND to_date(substr(c.relname, 18), 'YYYYMMDD') < archive_before;

  IF missing IS NOT NULL OR default_days IS NOT NULL OR n > 0 THEN
    SET LOCAL lock_timeout = '10s';
    LOCK TABLE sensor_readings IN ACCESS EXCLUSIVE MODE;
    -- 1 + 2: a partition cannot be created while the DEFAULT partition holds rows of its range,
    -- so those rows are set aside, the partition created, and the rows put back through the parent.
    SELECT array_agg(DISTINCT ("timestamp" AT TIME ZONE 'UTC')::date) INTO default_days
      FROM sensor_readings_default;
    FOR d IN SELECT DISTINCT x FROM unnest(coalesce(default_days, '{}') || coalesce(missing, '{}')) x ORDER BY x
    LOOP
      CONTINUE WHEN to_regclass(iotpipe_partition_name(d)) IS NOT NULL;
      CREATE TEMP TABLE iotpipe_moving (LIKE sensor_readings) ON COMMIT DROP;
      WITH moved AS (
        DELETE FROM sensor_readings_default
         WHERE "timestamp" >= (d::timestamp AT TIME ZONE 'UTC')
           AND "timestamp" < ((d + 1)::timestamp AT TIME ZONE 'UTC')
        RETURNING *)
      INSERT INTO iotpipe_moving SELECT * FROM moved;
      EXECUTE format(
        'CREATE TABLE %I PARTITION OF sensor_readings FOR VALUES FROM (%L) TO (%L)',
        iotpipe_partition_name(d),
        (d::timestamp AT TIME ZONE 'UTC'), ((d + 1)::timestamp AT TIME ZONE 'UTC'));
      partitions_created := partitions_created + 1;
      INSERT INTO sensor_readings SELECT * FROM iotpipe_moving ON CONFLICT DO NOTHING;
      GET DIAGNOSTICS n = ROW_COUNT;
      rows_moved_from_default := rows_moved_from_default + n;
      DROP TABLE iotpipe_moving;
    END LOOP;
  END IF;

  -- 3, before archiving, so hours whose rows are about to leave are counted first.
  hours_refreshed := iotpipe_refresh_aggregates();

  -- 4
  FOR old_parts IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'sensor_readings'::regclass AND c.relname ~ '^sensor_readings_p[0-9]{8}$'
       AND to_date(substr(c.relname, 18), 'YYYYMMDD') < archive_before
     ORDER BY c.relname
  LOOP
    EXECUTE format(
      'INSERT INTO sensor_readings_archive SELECT *, now() FROM %I ON CONFLICT DO NOTHING', old_parts.relname);
    GET DIAGNOSTICS n = ROW_COUNT;
    rows_archived := rows_archived + n;
    EXECUTE format('DROP TABLE %I', old_parts.relname);
    partitions_archived := partitions_archived + 1;
  END LOOP;

  -- 5
  DELETE FROM sensor_readings_archive WHERE "timestamp" < now() - make_interval(days => retention_days);
  GET DIAGNOSTICS archive_rows_deleted = ROW_COUNT;
  DELETE FROM sensor_readings_hourly_materialized WHERE bucket < now() - make_interval(days => retention_days);
  GET DIAGNOSTICS n = ROW_COUNT;
  aggregate_rows_deleted := n;
  DELETE FROM sensor_readings_daily_materialized WHERE bucket < now() - make_interval(days => retention_days);
  GET DIAGNOSTICS n = ROW_COUNT;
  aggregate_rows_deleted := aggregate_rows_deleted + n;

  RETURN jsonb_build_object(
    'partitions_created', partitions_created,
    'rows_moved_from_default', rows_moved_from_default,
    'hours_refreshed', hours_refreshed,
    'partitions_archived', partitions_archived,
    'rows_archived', rows_archived,
    'archive_rows_deleted', archive_rows_deleted,
    'aggregate_rows_deleted', aggregate_rows_deleted);
END $$;
