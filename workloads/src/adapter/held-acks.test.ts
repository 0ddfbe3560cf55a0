import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MqttClient, type Packet } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { HeldPubacks } from './held-acks.js';

/** The two things HeldPubacks uses of MQTT.js: _sendPacket and the close event. */
class WireRecorder extends EventEmitter {
  connected = true;
  readonly written: Packet[] = [];
  _sendPacket(packet: Packet, cb?: () => void): void {
    this.written.push(packet);
    cb?.();
  }
}

function deferred(): { promise: Promise<boolean>; resolve: (ok: boolean) => void } {
  let resolve!: (ok: boolean) => void;
  const promise = new Promise<boolean>((r) => (resolve = r));
  return { promise, resolve };
}

const puback = (messageId: number): Packet => ({ cmd: 'puback', messageId, reasonCode: 0 });
const settle = () => new Promise((r) => setImmediate(r));

function setUp() {
  const wire = new WireRecorder();
  const held = new HeldPubacks(wire as unknown as MqttClient);
  const send = (wire as unknown as { _sendPacket: (p: Packet, cb?: () => void) => void })._sendPacket;
  return { wire, held, send };
}

describe('HeldPubacks', () => {
  it('lets MQTT.js read on at once and writes each PUBACK when its message is safe, in arrival order', async () => {
    const { wire, held, send } = setUp();
    const first = deferred();
    const second = deferred();
    held.hold(1, first.promise);
    held.hold(2, second.promise);
    const readOn: number[] = [];
    send(puback(1), () => readOn.push(1));
    send(puback(2), () => readOn.push(2));
    expect(readOn).toEqual([1, 2]);
    second.resolve(true);
    await settle();
    expect(wire.written).toEqual([]);
    first.resolve(true);
    await held.flushed();
    expect(wire.written.map((p) => (p as { messageId: number }).messageId)).toEqual([1, 2]);
  });

  it('never acknowledges a message that was not made safe', async () => {
    const { wire, held, send } = setUp();
    held.hold(7, Promise.resolve(false));
    held.hold(8, Promise.reject(new Error('Kafka down')));
    held.hold(9, Promise.resolve(true));
    for (const id of [7, 8, 9]) send(puback(id));
    await held.flushed();
    expect(wire.written.map((p) => (p as { messageId: number }).messageId)).toEqual([9]);
  });

  it('drops a PUBACK whose connection closed meanwhile: the id may name another message now', async () => {
    const { wire, held, send } = setUp();
    const slow = deferred();
    held.hold(3, slow.promise);
    send(puback(3));
    wire.emit('close');
    slow.resolve(true);
    await settle();
    await settle();
    expect(wire.written).toEqual([]);
  });

  it('passes every other packet straight through', () => {
    const { wire, send } = setUp();
    send({ cmd: 'pingreq' });
    send(puback(5));
    expect(wire.written.map((p) => p.cmd)).toEqual(['pingreq', 'puback']);
  });
});

describe('the MQTT.js HeldPubacks wraps', () => {
  it('is the exact version the workloads pin, and still has the private _sendPacket', () => {
    const pinned = (
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        dependencies: Record<string, string>;
      }
    ).dependencies['mqtt'];
    const require = createRequire(import.meta.url);
    const installed = (
      JSON.parse(readFileSync(require.resolve('mqtt/package.json'), 'utf8')) as { version: string }
    ).version;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed).toBe(pinned);
    expect(typeof (MqttClient.prototype as unknown as { _sendPacket?: unknown })._sendPacket).toBe(
      'function',
    );
  });
});
