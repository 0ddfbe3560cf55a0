-- The README's continuous aggregates with refresh policies. UNTESTED here (no TimescaleDB on the
-- development machine).

CREATE MATERIALIZED VIEW sensor_readings_hourly
WITH (timescaledb.continuous) AS
  SELECT time_bucket(INTERVAL '1 hour', "timestamp") AS bucket,
         device_id, device_type,
         count(*)                                  AS reading_count,
         avg(value)                                AS avg_value,
         min(value)                                AS min_value,
         max(value)                                AS max_value,
         count(*) FILTER (WHERE is_anomaly)        AS anomaly_count,
         first(battery_level, "timestamp")         AS first_battery_level,
         last(battery_level, "timestamp")          AS latest_battery_level
    FROM sensor_readings
   GROUP BY bucket, device_id, device_type
WITH NO DATA;

SELECT add_continuous_aggregate_policy('sensor_readings_hourly',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '5 minutes');

CREATE MATERIALIZED VIEW sensor_readings_daily
WITH (timescaledb.continuous) AS
  SELECT time_bucket(INTERVAL '1 day', "timestamp") AS bucket,
         device_id, device_type,
         count(*)                                  AS reading_count,
         avg(value)                                AS avg_value,
         min(value)                                AS min_value,
         max(value)                                AS max_value,
         count(*) FILTER (WHERE is_anomaly)        AS anomaly_count,
         first(battery_level, "timestamp")         AS first_battery_level,
         last(battery_level, "timestamp")          AS latest_battery_level
    FROM sensor_readings
   GROUP BY bucket, device_id, device_type
WITH NO DATA;

SELECT add_continuous_aggregate_policy('sensor_readings_daily',
  start_offset => INTERVAL '30 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 hour');

-- Same function name as the native flavour so the sink's maintenance call is flavour-blind.
CREATE FUNCTION iotpipe_refresh_aggregates() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  -- Continuous aggregates refresh through their policies (real-time aggregation covers the rest).
  RETURN 0;
END $$;
