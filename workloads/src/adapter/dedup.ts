/**
 * Remembers which readings were written recently, so one packet heard by two gateways or
 * delivered twice yields one reading. Keyed by reading_id (tag MAC + measurement + sequence for
 * sequenced sensors); two sightings are the same reading only when their timestamps are within
 * `windowMs` of each other, because sequence counters wrap (format 6 every 256 packets).
 * Bounded: at most `capacity` ids, the least recently seen forgotten first (LRU).
 */
export class DedupWindow {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number,
  ) {}

  /** True when a reading with this id and a timestamp within the window was remembered. */
  has(readingId: string, timestampMs: number): boolean {
    const at = this.seen.get(readingId);
    return at !== undefined && Math.abs(at - timestampMs) <= this.windowMs;
  }

  remember(readingId: string, timestampMs: number): void {
    this.seen.delete(readingId);
    this.seen.set(readingId, timestampMs);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }

  /** Undo remember() for readings whose write was abandoned, so a redelivery is not dropped. */
  forget(readingId: string, timestampMs: number): void {
    if (this.seen.get(readingId) === timestampMs) this.seen.delete(readingId);
  }

  get size(): number {
    return this.seen.size;
  }
}
