-- The README's continuous aggregates, hourly and daily, each computed from the raw rows, with
-- refresh policies. The battery columns skip readings without a battery level, as the native
-- flavour's do, so both flavours give the same answer (0005 makes them answer in real time).

CREATE MATERIALIZED VIEW sensor_readings_hourly
WITH (timescaledb.continuous) AS
  SELECT time_bucket(INTERVAL '1 hour', "timestamp") AS bucket,
         device_id, device_type,
         count(*)                                  AS reading_count,
         avg(value)                                AS avg_value,
         min(value)                                AS min_value,
         max(value)                                AS max_value,
         count(*) FILTER (WHERE is_anomaly)        AS anomaly_count,
         first(battery_level, "timestamp") FILTER (WHERE battery_level IS NOT NULL) AS first_battery_level,
         last(battery_level, "timestamp") FILTER (WHERE battery_level IS NOT NULL)  AS latest_battery_level
    FROM sensor_readings
   GROUP BY bucket, device_id, device_type
WITH NO DATA;

-- Every minute: the hours of the last 3 days that changed (late rows) are recomputed, and the
-- hours that ended are materialized; the current hour is always computed at query time.
SELECT add_continuous_aggregate_policy('sensor_readings_hourly',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 minute');

CREATE MATERIALIZED VIEW sensor_readings_daily
WITH (timescaledb.continuous) AS
  SELECT time_bucket(INTERVAL '1 day', "timestamp") AS bucket,
         device_id, device_type,
         count(*)                                  AS reading_count,
         avg(value)                                AS avg_value,
         min(value)                                AS min_value,
         max(value)                                AS max_value,
         count(*) FILTER (WHERE is_anomaly)        AS anomaly_count,
         first(battery_level, "timestamp") FILTER (WHERE battery_level IS NOT NULL) AS first_battery_level,
         last(battery_level, "timestamp") FILTER (WHERE battery_level IS NOT NULL)  AS latest_battery_level
    FROM sensor_readings
   GROUP BY bucket, device_id, device_type
WITH NO DATA;

-- The window stays inside the archive age (30 days): a refresh over days whose raw chunks were
-- archived and dropped would empty them.
SELECT add_continuous_aggregate_policy('sensor_readings_daily',
  start_offset => INTERVAL '29 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 minute');

-- Same function name as the native flavour so the sink's maintenance call is flavour-blind.
CREATE FUNCTION iotpipe_refresh_aggregates() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  -- Continuous aggregates refresh through their policies (real-time aggregation covers the rest).
  RETURN 0;
END $$;
