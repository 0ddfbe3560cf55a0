-- iotpipe_maintain(): the job the sink runs every SINK_MAINTENANCE_INTERVAL (and `iotpipe db
-- maintain` by hand). One run, in one transaction:
--   1. rows that landed in the DEFAULT partition move into daily partitions created for them;
--   2. daily partitions exist from yesterday to days_ahead days ahead;
--   3. the hourly/daily aggregates are refreshed for the hours that received rows;
--   4. partitions wholly older than archive_after_days move to sensor_readings_archive and are
--      dropped;
--   5. archived rows and aggregate buckets older than retention_days are deleted.
-- Only one run at a time (a transaction-level advisory lock; a second caller returns at once).
-- Partition DDL needs an ACCESS EXCLUSIVE lock on sensor_readings, so it is taken only when there
-- is DDL to do (about once a day), with lock_timeout so writers are never held up for long.

CREATE FUNCTION iotpipe_partition_name(day date) RETURNS text
  LANGUAGE sql IMMUTABLE RETURN 'sensor_readings_p' || to_char(day, 'YYYYMMDD');

CREATE FUNCTION iotpipe_maintain(
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
  DELETE FROM sensor_readings_hourly WHERE bucket < now() - make_interval(days => retention_days);
  GET DIAGNOSTICS n = ROW_COUNT;
  aggregate_rows_deleted := n;
  DELETE FROM sensor_readings_daily WHERE bucket < now() - make_interval(days => retention_days);
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

-- Runs once at migration so a fresh database has its partitions before the first write.
SELECT iotpipe_maintain();
