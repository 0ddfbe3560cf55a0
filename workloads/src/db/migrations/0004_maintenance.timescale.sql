-- iotpipe_maintain() on TimescaleDB: chunks are created on demand, compressed by policy and the
-- aggregates refresh by policy, so maintenance archives and expires:
--   0. the aggregates' refresh windows are shortened to the archive age where they reach beyond
--      it: a refresh over archived days (their chunks dropped, which TimescaleDB records as a
--      change) would empty those days' buckets; the aggregates keep them until retention_days;
--   1. rows older than archive_after_days (whole UTC days, chunk boundaries) are copied to
--      sensor_readings_archive, and their chunks dropped;
--   2. archived rows older than retention_days are deleted (whole chunks dropped, the rest of the
--      oldest chunk deleted row by row);
--   3. aggregate chunks wholly older than retention_days are dropped.
-- Only one run at a time (a transaction-level advisory lock; a second caller returns at once).
-- days_ahead is accepted for the native flavour's signature and has nothing to do here.

CREATE FUNCTION iotpipe_maintain(
  days_ahead integer DEFAULT 3,
  archive_after_days integer DEFAULT 30,
  retention_days integer DEFAULT 90
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  -- Chunks are whole UTC days, so this cut leaves no chunk half archived.
  archive_before timestamptz := date_trunc('day', now(), 'UTC') - make_interval(days => archive_after_days);
  expire_before timestamptz := now() - make_interval(days => retention_days);
  rows_archived bigint := 0;
  chunks_archived integer := 0;
  archive_rows_deleted bigint := 0;
  n bigint;
  aggregate_chunks_dropped integer := 0;
  policy record;
BEGIN
  IF days_ahead < 0 OR archive_after_days < 1 OR retention_days < archive_after_days THEN
    RAISE EXCEPTION 'iotpipe_maintain: need days_ahead >= 0, archive_after_days >= 1, retention_days >= archive_after_days'
      USING ERRCODE = '22023';
  END IF;
  IF NOT pg_try_advisory_xact_lock(hashtext('iotpipe_maintain')) THEN
    RETURN jsonb_build_object('skipped', 'another maintenance run is in progress');
  END IF;

  -- 0
  FOR policy IN
    SELECT job_id, config FROM timescaledb_information.jobs
     WHERE proc_name = 'policy_refresh_continuous_aggregate'
       AND (config->>'start_offset')::interval > make_interval(days => archive_after_days)
  LOOP
    PERFORM alter_job(policy.job_id, config => jsonb_set(policy.config, '{start_offset}',
                      to_jsonb(make_interval(days => archive_after_days)::text)));
  END LOOP;

  -- 1
  INSERT INTO sensor_readings_archive SELECT *, now() FROM sensor_readings
   WHERE "timestamp" < archive_before ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS rows_archived = ROW_COUNT;
  SELECT count(*) INTO chunks_archived FROM drop_chunks('sensor_readings', older_than => archive_before);

  -- 2
  SELECT count(*) INTO archive_rows_deleted FROM sensor_readings_archive WHERE "timestamp" < expire_before;
  IF archive_rows_deleted > 0 THEN
    PERFORM drop_chunks('sensor_readings_archive', older_than => expire_before);
    DELETE FROM sensor_readings_archive WHERE "timestamp" < expire_before;
  END IF;

  -- 3
  SELECT count(*) INTO n FROM drop_chunks('sensor_readings_hourly', older_than => expire_before);
  aggregate_chunks_dropped := n;
  SELECT count(*) INTO n FROM drop_chunks('sensor_readings_daily', older_than => expire_before);
  aggregate_chunks_dropped := aggregate_chunks_dropped + n;

  RETURN jsonb_build_object(
    'chunks_archived', chunks_archived,
    'rows_archived', rows_archived,
    'archive_rows_deleted', archive_rows_deleted,
    'aggregate_chunks_dropped', aggregate_chunks_dropped);
END $$;
