import type { PayloadFormat } from '@iotpipe/contract';
import type { SensorReading } from '../schema/index.js';
import { PayloadError } from './errors.js';
import { parseEsp32 } from './esp32.js';
import { parseRuuviGateway } from './ruuvi-gateway.js';
import { DEFAULT_RUUVI_TOPIC_PREFIX, GATEWAY_STATUS_LEVEL, splitRuuviTopic } from './ruuvi-topic.js';
import { parseSimulator } from './simulator.js';

export { PayloadError, PAYLOAD_ERROR_CODES, type PayloadErrorCode } from './errors.js';
export { parseEsp32 } from './esp32.js';
export { parseRuuviGateway, parseRuuviGatewayTopic } from './ruuvi-gateway.js';
export { RSSI_NOT_AVAILABLE } from './ruuvi-readings.js';
export { DEFAULT_RUUVI_TOPIC_PREFIX, GATEWAY_STATUS_LEVEL } from './ruuvi-topic.js';
export {
  GATEWAY_COUNTERS,
  gatewayOfTopic,
  parseGatewayStatus,
  type GatewayCounter,
  type GatewayReport,
  type GatewayStatus,
} from './gateway-status.js';
export { MAX_SIMULATOR_BATCH, parseSimulator } from './simulator.js';

/** The payload formats the adapter accepts, named by their topic layout. */
export type SourceFormat = 'ruuvi_gateway' | 'esp32' | 'simulator' | 'gateway_status';

/** The setting's name (contract: PAYLOAD_FORMATS) of each format; a gateway's status is its gateway's. */
export const PAYLOAD_FORMAT_OF: Readonly<Record<SourceFormat, PayloadFormat>> = {
  ruuvi_gateway: 'ruuvi-gateway',
  gateway_status: 'ruuvi-gateway',
  esp32: 'esp32',
  simulator: 'simulator',
};

/**
 * Which format owns a topic (test prefix already stripped); UNKNOWN_FORMAT when none does.
 * Ruuvi Gateway topics start with ruuviPrefix (ADAPTER_RUUVI_TOPIC_PREFIX).
 */
export function formatOfTopic(topic: string, ruuviPrefix = DEFAULT_RUUVI_TOPIC_PREFIX): SourceFormat {
  const parts = topic.split('/');
  const ruuvi = splitRuuviTopic(topic, ruuviPrefix);
  if (ruuvi) {
    // The gateways' own retained status shares the <prefix>/+/+ filter.
    return ruuvi.last === GATEWAY_STATUS_LEVEL ? 'gateway_status' : 'ruuvi_gateway';
  }
  if (topic === 'ruuvitag/data') return 'esp32';
  if (parts[0] === 'iotpipe' && parts[1] === 'sim' && parts.length >= 3) return 'simulator';
  throw new PayloadError('UNKNOWN_FORMAT', `no payload format for topic ${topic}`);
}

/**
 * Bytes of one MQTT message -> its readings (pure). `receivedAt` stamps readings whose sensor
 * and gateway sent no time. Throws only PayloadError.
 */
export function parsePayload(
  format: Exclude<SourceFormat, 'gateway_status'>,
  topic: string,
  bytes: Uint8Array,
  receivedAt: Date,
  ruuviPrefix = DEFAULT_RUUVI_TOPIC_PREFIX,
): SensorReading[] {
  switch (format) {
    case 'ruuvi_gateway':
      return parseRuuviGateway(topic, bytes, receivedAt, ruuviPrefix);
    case 'esp32':
      return parseEsp32(topic, bytes, receivedAt);
    case 'simulator':
      return parseSimulator(topic, bytes);
  }
}
