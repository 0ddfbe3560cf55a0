import type { MqttClient, Packet } from 'mqtt';

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

/**
 * Holds each QoS 1 PUBACK of one MQTT connection until its message is safe downstream, while
 * the connection goes on reading the next PUBLISHes.
 *
 * MQTT.js reads the next incoming packet only after the PUBACK of the current one went out, so on
 * its own a connection handles one message at a time. Here MQTT.js is told the PUBACK was sent
 * (it reads on) and the packet waits until `hold`'s promise settles; the broker's Receive
 * Maximum bounds how many wait. One connection with a plain persistent subscription survives a
 * broker restart with its subscription, which a shared subscription does not on Mosquitto 2.0.
 *
 * PUBACKs leave in the order their PUBLISHes arrived (MQTT 5, 4.6). A PUBACK is never sent on a
 * later connection than its PUBLISH came in on: message ids are reused per connection, and the
 * broker redelivers what was not acknowledged when the session resumes.
 */
export class HeldPubacks {
  private readonly held = new Map<number, { safe: Promise<boolean>; connection: number }>();
  private connection = 0;
  /** The previous PUBACK of the current connection, sent or given up. */
  private tail: Promise<void> = Promise.resolve();
  private readonly send: SendPacket;

  constructor(private readonly client: MqttClient) {
    // MQTT.js has no public hook between "handled" and "PUBACK written" (customHandleAcks' callback
    // writes the PUBACK and lets the next packet in at once): its own handlers call the private
    // _sendPacket, which is wrapped here. MQTT.js is pinned to the version this is tested with
    // (held-acks.test.ts checks the pin and the method; tests/integration the behaviour).
    const internals = client as unknown as { _sendPacket: SendPacket };
    this.send = internals._sendPacket.bind(client);
    internals._sendPacket = (packet, cb, ...rest) => {
      const messageId = packet.cmd === 'puback' ? packet.messageId : undefined;
      const hold = messageId === undefined ? undefined : this.held.get(messageId);
      if (messageId === undefined || hold === undefined) {
        this.send(packet, cb, ...rest);
        return;
      }
      this.held.delete(messageId);
      this.tail = this.release(packet, hold.safe, hold.connection, this.tail);
      cb?.();
    };
    client.on('close', () => {
      this.connection++;
      this.held.clear();
      this.tail = Promise.resolve();
    });
  }

  /**
   * Call before acknowledging the message to MQTT.js: its PUBACK waits for `safe`; `false` (or a
   * rejection) means never acknowledge it on this connection, so the broker redelivers it.
   */
  hold(messageId: number | undefined, safe: Promise<boolean>): void {
    if (messageId === undefined) return;
    this.held.set(messageId, { safe, connection: this.connection });
  }

  /** Settles when every PUBACK released so far has been written (or given up). */
  flushed(): Promise<void> {
    return this.tail;
  }

  private async release(packet: Packet, safe: Promise<boolean>, connection: number, previous: Promise<void>) {
    const ok = await safe.catch(() => false);
    await previous;
    if (ok && connection === this.connection && this.client.connected) this.send(packet);
  }
}
