import postgres from 'postgres';

export type Row = Record<string, unknown>;

export interface RecentOptions {
  hours: number;
  limit: number;
  deviceType?: string | undefined;
}
export interface HistoryOptions {
  deviceId: string;
  days: number;
  limit: number;
}
export interface AggregateOptions {
  days: number;
  deviceType?: string | undefined;
  deviceId?: string | undefined;
  limit: number;
}
export interface AnomalyOptions {
  hours: number;
  limit: number;
}
export interface GapOptions {
  minutes: number;
  days: number;
  deviceId?: string | undefined;
  limit: number;
}

/**
 * The original README's common questions, parameterised. Each returns plain rows; formatting is
 * format.ts's job. Queries read the views/aggregate tables the migrations create, so they work on
 * either flavour (TimescaleDB or native partitions).
 */
export class ReadingQueries {
  private readonly sql: postgres.Sql;

  constructor(databaseUrl: string) {
    this.sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  }

  recent(o: RecentOptions): Promise<Row[]> {
    return this.sql`
      select device_id, device_type, value, unit, "timestamp", is_anomaly
        from sensor_readings
       where "timestamp" >= now() - ${o.hours} * interval '1 hour'
         and (${o.deviceType ?? null}::text is null or device_type = ${o.deviceType ?? null})
       order by "timestamp" desc
       limit ${o.limit}`;
  }

  history(o: HistoryOptions): Promise<Row[]> {
    return this.sql`
      select "timestamp", value, unit, battery_level, signal_strength, is_anomaly, reading_id, gateway_id
        from sensor_readings
       where device_id = ${o.deviceId}
         and "timestamp" >= now() - ${o.days} * interval '1 day'
       order by "timestamp" desc
       limit ${o.limit}`;
  }

  aggregates(granularity: 'hourly' | 'daily', o: AggregateOptions): Promise<Row[]> {
    const table =
      granularity === 'hourly' ? this.sql`sensor_readings_hourly` : this.sql`sensor_readings_daily`;
    return this.sql`
      select bucket, device_id, device_type, reading_count, avg_value, min_value, max_value, anomaly_count,
             first_battery_level, latest_battery_level
        from ${table}
       where bucket >= now() - ${o.days} * interval '1 day'
         and (${o.deviceType ?? null}::text is null or device_type = ${o.deviceType ?? null})
         and (${o.deviceId ?? null}::text is null or device_id = ${o.deviceId ?? null})
       order by bucket desc, device_id
       limit ${o.limit}`;
  }

  anomalies(o: AnomalyOptions): Promise<Row[]> {
    return this.sql`
      select device_id, device_type, "timestamp", value, unit, device_metadata, reading_id
        from anomalous_sensor_readings
       where "timestamp" >= now() - ${o.hours} * interval '1 hour'
       limit ${o.limit}`;
  }

  /** Periods longer than o.minutes with no reading, per device (the README's gap detection). */
  gaps(o: GapOptions): Promise<Row[]> {
    return this.sql`
      with time_series as (
        select device_id, "timestamp",
               lag("timestamp") over (partition by device_id order by "timestamp") as prev_timestamp
          from sensor_readings
         where "timestamp" >= now() - ${o.days} * interval '1 day'
           and (${o.deviceId ?? null}::text is null or device_id = ${o.deviceId ?? null}))
      select device_id, prev_timestamp, "timestamp",
             round((extract(epoch from ("timestamp" - prev_timestamp)) / 60)::numeric, 1) as gap_minutes
        from time_series
       where "timestamp" - prev_timestamp > ${o.minutes} * interval '1 minute'
       order by "timestamp" desc
       limit ${o.limit}`;
  }

  summary(limit: number): Promise<Row[]> {
    return this.sql`
      select device_id, device_type, unit, reading_count, first_reading, last_reading, avg_value,
             min_value, max_value, latest_value, latest_battery_level, anomaly_count
        from device_summary
       order by device_id
       limit ${limit}`;
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}
