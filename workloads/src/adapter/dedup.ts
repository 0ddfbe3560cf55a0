/**
 * Remembers which readings were written recently, so one packet heard by two gateways or
 * delivered twice yields one reading. Keyed by reading_id (tag MAC + measurement + sequence for
 * sequenced sensors); two sightings are the same reading only when their timestamps are within
 * `windowMs` of each other, because sequence counters wrap (format 6 every 256 packets).
 *
 * Bounded to `capacity` ids in two generations of capacity/2: new ids go into the current one;
 * when it is full it becomes the previous one and the old previous one is dropped whole. So an id
 * is kept for at least capacity/2 further ids after it was last remembered (recently seen ids are
 * kept, the oldest are forgotten first, a generation at a time). Not an exact LRU on purpose: an
 * exact LRU on one Map evicted with `keys().next()`, which walks the deleted entries V8 keeps at
 * the front of the table until it rehashes; at 100k ids that cost 27-48 us per reading once full,
 * more than the rest of the adapter together (bench/optimisations.md). Two Maps cost O(1).
 */
export class DedupWindow {
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private readonly generation: number;

  constructor(
    capacity: number,
    private readonly windowMs: number,
  ) {
    this.generation = Math.max(1, Math.floor(capacity / 2));
  }

  /** True when a reading with this id and a timestamp within the window was remembered. */
  has(readingId: string, timestampMs: number): boolean {
    const at = this.current.get(readingId) ?? this.previous.get(readingId);
    return at !== undefined && Math.abs(at - timestampMs) <= this.windowMs;
  }

  remember(readingId: string, timestampMs: number): void {
    if (this.current.size >= this.generation && !this.current.has(readingId)) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(readingId, timestampMs);
  }

  /** Undo remember() for readings whose write was abandoned, so a redelivery is not dropped. */
  forget(readingId: string, timestampMs: number): void {
    if (this.current.get(readingId) === timestampMs) this.current.delete(readingId);
    if (this.previous.get(readingId) === timestampMs) this.previous.delete(readingId);
  }

  /** Ids held (an id in both generations counts twice); never more than the capacity. */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}
