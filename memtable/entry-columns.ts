// EntryColumns: many internal entries as offsets into one source buffer (recovery's replay of a
// WAL read whole into memory), in typed columns, for Memtable.addColumns.
//
// Why columns of offsets rather than a view per key and value: replaying a full memtable is
// ~200,000-400,000 entries, and two Uint8Array views each, all alive until the WAL is read, cost
// more in allocation and garbage collection (scavenges copying live views) than the rest of the
// replay. Here an entry costs six slots in arrays that grow by doubling, and nothing for the GC.
// Never holds bytes of its own: `src` must outlive the columns' use, and must not change.

const EMPTY = new Uint8Array(0)

export class EntryColumns {
  /** The buffer every offset points into. */
  src: Uint8Array = EMPTY
  count = 0
  keyStart: Float64Array
  keyLength: Uint32Array
  valueStart: Float64Array
  valueLength: Uint32Array
  seq: Float64Array
  kind: Uint8Array

  constructor(capacity = 1024) {
    const n = Math.max(16, capacity)
    this.keyStart = new Float64Array(n)
    this.keyLength = new Uint32Array(n)
    this.valueStart = new Float64Array(n)
    this.valueLength = new Uint32Array(n)
    this.seq = new Float64Array(n)
    this.kind = new Uint8Array(n)
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
    if (i === this.kind.length) this.grow()
    this.seq[i] = seq
    this.kind[i] = kind
    this.keyStart[i] = keyStart
    this.keyLength[i] = keyEnd - keyStart
    this.valueStart[i] = valueStart
    this.valueLength[i] = valueEnd - valueStart
    this.count = i + 1
  }

  /** Entry i's key, a view into src. */
  key(i: number): Uint8Array {
    const s = this.keyStart[i]
    return this.src.subarray(s, s + this.keyLength[i])
  }

  /** Entry i's value, a view into src. */
  value(i: number): Uint8Array {
    const s = this.valueStart[i]
    return this.src.subarray(s, s + this.valueLength[i])
  }

  private grow(): void {
    const n = this.kind.length * 2
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n)
      b.set(a)
      return b
    }
    const u32 = (a: Uint32Array): Uint32Array => {
      const b = new Uint32Array(n)
      b.set(a)
      return b
    }
    this.keyStart = f64(this.keyStart)
    this.keyLength = u32(this.keyLength)
    this.valueStart = f64(this.valueStart)
    this.valueLength = u32(this.valueLength)
    this.seq = f64(this.seq)
    const kind = new Uint8Array(n)
    kind.set(this.kind)
    this.kind = kind
  }
}
