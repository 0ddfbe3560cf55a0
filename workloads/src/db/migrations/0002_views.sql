-- The original README's views, on either flavour.

CREATE VIEW recent_sensor_readings AS
  SELECT device_id, device_type, "timestamp", value, unit, latitude, longitude, building, floor, zone,
         battery_level, signal_strength, firmware_version, is_anomaly, device_metadata, reading_id,
         gateway_id, measurement_sequence, source, time_source, ingested_at
    FROM sensor_readings
   WHERE "timestamp" >= now() - INTERVAL '24 hours'
   ORDER BY "timestamp" DESC;

CREATE VIEW anomalous_sensor_readings AS
  SELECT device_id, device_type, "timestamp", value, unit, building, floor, zone, battery_level,
         signal_strength, device_metadata, reading_id, gateway_id, source
    FROM sensor_readings
   WHERE is_anomaly
   ORDER BY "timestamp" DESC;

CREATE VIEW device_summary AS
  SELECT device_id,
         device_type,
         last(unit, "timestamp")            AS unit,
         count(*)                           AS reading_count,
         min("timestamp")                   AS first_reading,
         max("timestamp")                   AS last_reading,
         avg(value)                         AS avg_value,
         min(value)                         AS min_value,
         max(value)                         AS max_value,
         last(value, "timestamp")           AS latest_value,
         last(battery_level, "timestamp")   AS latest_battery_level,
         last(signal_strength::bigint, "timestamp") AS latest_signal_strength,
         count(*) FILTER (WHERE is_anomaly) AS anomaly_count,
         last(building, "timestamp")        AS building,
         last(zone, "timestamp")            AS zone,
         last(gateway_id, "timestamp")      AS gateway_id
    FROM sensor_readings
   GROUP BY device_id, device_type;
