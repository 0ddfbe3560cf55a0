-- iotpipe_maintain() on TimescaleDB: chunks are created on demand and aggregates refresh by
-- policy, so maintenance only archives and expires. UNTESTED here (no TimescaleDB on the
-- development machine).

CREATE FUNCTION iotpipe_maintain(
  days_ahead integer DEFAULT 3,
  archive_after_days integer DEFAULT 30,
  retention_days integer DEFAULT 90
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  archive_before timestamptz := date_trunc('day', now()) - make_interval(days => archive_after_days);
  rows_archived bigint := 0;
  chunks_archived integer := 0;
  archive_chunks_dropped integer := 0;
BEGIN
  IF archive_after_days < 1 OR retention_days < archive_after_days THEN
    RAISE EXCEPTION 'iotpipe_maintain: need archive_after_days >= 1, retention_days >= archive_after_days'
      USING ERRCODE = '22023';
  END IF;
  IF NOT pg_try_advisory_xact_lock(hashtext('iotpipe_maintain')) THEN
    RETURN jsonb_build_object('skipped', 'another maintenance run is in progress');
  END IF;

  INSERT INTO sensor_readings_archive SELECT *, now() FROM sensor_readings
   WHERE "timestamp" < archive_before ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS rows_archived = ROW_COUNT;
  SELECT count(*) INTO chunks_archived FROM drop_chunks('sensor_readings', older_than => archive_before);
  SELECT count(*) INTO archive_chunks_dropped
    FROM drop_chunks('sensor_readings_archive', older_than => now() - make_interval(days => retention_days));

  RETURN jsonb_build_object(
    'partitions_created', 0,
    'rows_moved_from_default', 0,
    'hours_refreshed', 0,
    'partitions_archived', chunks_archived,
    'rows_archived', rows_archived,
    'archive_rows_deleted', archive_chunks_dropped,
    'aggregate_rows_deleted', 0);
END $$;

SELECT add_retention_policy('sensor_readings_hourly', INTERVAL '90 days');
SELECT add_retention_policy('sensor_readings_daily', INTERVAL '90 days');
