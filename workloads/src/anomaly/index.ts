export { AnomalyDetector } from './detector.js';
export {
  impossibleJump,
  JUMP_MAX_GAP_MS,
  limitsOf,
  MEASUREMENT_LIMITS,
  outOfRange,
  ruuviBatteryLow,
  type MeasurementLimits,
  type PreviousReading,
} from './rules.js';
