import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** alert.avsc, read from the source tree like the other schemas so no copy can drift. */
export function loadAlertSchemaText(): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'schema');
  return readFileSync(join(dir, 'alert.avsc'), 'utf8');
}

export const ALERT_TYPES = [
  'ANOMALY_FLAGGED',
  'STATISTICAL_OUTLIER',
  'DEVICE_SILENT',
  'BATTERY_LOW',
  'THRESHOLD_EXCEEDED',
  'UNKNOWN',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];
export const ALERT_SEVERITIES = ['WARNING', 'CRITICAL'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** The TypeScript face of alert.avsc; alert.test.ts checks the two agree. */
export interface Alert {
  alert_id: string;
  alert_type: AlertType;
  severity: AlertSeverity;
  device_id: string;
  device_type: string;
  reading_id: string | null;
  value: number | null;
  threshold: number | null;
  score: number | null;
  message: string;
  detected_at: Date;
  reading_timestamp: Date | null;
  metadata: Record<string, string> | null;
}

/** Field names in schema order, typed so a renamed TS field fails to compile here. */
export const ALERT_FIELDS: ReadonlyArray<keyof Alert> = [
  'alert_id',
  'alert_type',
  'severity',
  'device_id',
  'device_type',
  'reading_id',
  'value',
  'threshold',
  'score',
  'message',
  'detected_at',
  'reading_timestamp',
  'metadata',
];
