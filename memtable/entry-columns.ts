// EntryColumns: many internal entries as offsets into one source buffer (recovery's replay of a
// WAL read whole into memory), in typed arrays, for Memtable.addColumns.
//
// Why offsets rather than a view per key and value: replaying a full memtable is ~200,000-400,000
// entries, and two Uint8Array views each, all alive until the WAL is read, cost more in
// allocation and garbage collection (scavenges copying live views) than the rest of the replay.
// Here an entry costs four u32 (where its key and value are) and one f64 (its trailer) in arrays
// that grow by doubling, and nothing for the GC. Two arrays rather than one per field: the bulk
// build reads the entries in sorted order, at random, and each array read may be a cache miss.
// Offsets fit in u32: a Uint8Array (the WAL read whole) is at most 2^32 bytes in Node.
// Never holds bytes of its own: `src` must outlive the columns' use, and must not change.

const EMPTY = new Uint8Array(0)

/** Slots of an entry in `spans`: key start, key length, value start, value length. */
export const SPAN = 4

export class EntryColumns {
  /** The buffer every offset points into. */
  src: Uint8Array = EMPTY
  count = 0
  /** Entry i's key is src[spans[4i], +spans[4i + 1]), its value src[spans[4i + 2], +spans[4i + 3]). */
  spans: Uint32Array
  /** Entry i's trailer: seq * 256 + kind, as in the skiplist (exact below 2^53). */
  trailers: Float64Array

  constructor(capacity = 1024) {
    const n = Math.max(16, capacity)
    this.spans = new Uint32Array(n * SPAN)
    this.trailers = new Float64Array(n)
  }

  /** Empties the columns and points them at a new source buffer. */
  reset(src: Uint8Array): void {
    this.src = src
    this.count = 0
  }

  /** Drops the entries from `count` on (a record that failed a check, taken out whole). */
  truncate(count: number): void {
    if (count < this.count) this.count = count
  }

  /** Appends an entry whose key is src[keyStart, keyEnd) and value src[valueStart, valueEnd). */
  push(seq: number, kind: number, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): void {
    const i = this.count
    if (i === this.trailers.length) this.grow()
    this.trailers[i] = seq * 256 + kind
    const s = i * SPAN
    const spans = this.spans
    spans[s] = keyStart
    spans[s + 1] = keyEnd - keyStart
    spans[s + 2] = valueStart
    spans[s + 3] = valueEnd - valueStart
    this.count = i + 1
  }

  seq(i: number): number {
    return Math.floor(this.trailers[i] / 256)
  }

  kind(i: number): number {
    return this.trailers[i] % 256
  }

  /** Entry i's key, a view into src. */
  key(i: number): Uint8Array {
    const s = this.spans[i * SPAN]
    return this.src.subarray(s, s + this.spans[i * SPAN + 1])
  }

  /** Where entry i's value starts in src (it ends at valueEnd(i)). */
  valueStart(i: number): number {
    return this.spans[i * SPAN + 2]
  }

  valueEnd(i: number): number {
    return this.spans[i * SPAN + 2] + this.spans[i * SPAN + 3]
  }

  /** Entry i's value, a view into src. */
  value(i: number): Uint8Array {
    const s = this.spans[i * SPAN + 2]
    return this.src.subarray(s, s + this.spans[i * SPAN + 3])
  }

  private grow(): void {
    const n = this.trailers.length * 2
    const spans = new Uint32Array(n * SPAN)
    spans.set(this.spans)
    this.spans = spans
    const trailers = new Float64Array(n)
    trailers.set(this.trailers)
    this.trailers = trailers
  }
}
