-- Aggregates that answer at once: real-time aggregation. A query of sensor_readings_hourly or
-- _daily reads the materialized buckets below the aggregate's watermark and computes the rest
-- from the raw rows, so a row is counted as soon as it is committed (TimescaleDB makes
-- continuous aggregates materialized-only by default since 2.13). Late rows below the
-- watermark are counted when the refresh policy next runs (every minute, 0003).

ALTER MATERIALIZED VIEW sensor_readings_hourly SET (timescaledb.materialized_only = false);
ALTER MATERIALIZED VIEW sensor_readings_daily SET (timescaledb.materialized_only = false);
