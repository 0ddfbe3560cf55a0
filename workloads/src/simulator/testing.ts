import type { GeneratorOptions } from './generator.js';
import type { OutputStats, SendableUnit, SimulatorOutput } from './outputs.js';

/** Generator options for tests and benchmarks: small, fixed start, everything switched on. */
export function generatorOptions(overrides: Partial<GeneratorOptions> = {}): GeneratorOptions {
  return {
    seed: 42,
    startMs: Date.UTC(2026, 10, 27, 0, 0, 0),
    intervalSec: 1,
    numDevices: 10,
    deviceTypes: ['temperature', 'humidity', 'pressure', 'motion', 'light'],
    anomalyProbability: 0.05,
    ruuviTags: 4,
    ruuviFormats: [5, 3],
    gateways: 2,
    duplicateGatewayShare: 0.3,
    gatewayTime: true,
    ...overrides,
  };
}

/**
 * An output that keeps what it is given (or only counts it), acknowledging at once: for pure
 * tests of the simulator's loop and for measuring generation without I/O.
 */
export class MemoryOutput implements SimulatorOutput {
  readonly units: SendableUnit[] = [];
  private messages = 0;

  constructor(private readonly keep = true) {}

  async start(): Promise<void> {}
  async send(units: readonly SendableUnit[]): Promise<void> {
    this.messages += units.length;
    if (this.keep) this.units.push(...units);
  }
  async flush(): Promise<void> {}
  async stop(): Promise<void> {}
  stats(): OutputStats {
    return { messages: this.messages, acked: this.messages, errors: 0, failed: 0, inFlight: 0 };
  }
}
