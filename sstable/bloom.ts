// The table's bloom filter over user keys, and the filter block codec.
//
// Hashing: murmur3 (x86, 32-bit) over the key bytes with two seeds in one pass (h1, h2); the k
// bit indexes follow from them by one of two rules, the filter's version:
//
//   1 (plain):   a = h1 mod m, b = h2 mod m (1 when that is 0), index_i = (a + i*b) mod m
//   2 (blocked): m is a multiple of 512; the key's block is B = floor(h1 * (m/512) / 2^32), and
//                index_i = 512*B + (x_i >>> 23), x_0 = h2, x_(i+1) = x_i * 0x9e3779b9 mod 2^32
//
// Why version 2: a point lookup probes the filter of every table it meets, and in a database
// larger than the CPU caches each of version 1's k = 7 probes is a cache miss of its own
// (measured: with no filter check at all, 1M x 100 B readrandom ran 3-7% faster). Version 2 puts
// all k bits of a key in one 64-byte block: one or two cache lines (the bit array's alignment in
// memory is not ours to choose). The price is a little more false positives at the same bits per
// key: ~0.97% against ~0.82% at 10 bits/key (measured, bloom.test.ts). RocksDB's cache-local
// bloom filter is the same idea.
//
// Filter block (on disk, little-endian):
//   0  version    u8   1 or 2, as above; murmur3-32 seeds 0xbc9f1d34 (h1), 0x9747b28c (h2)
//   1  hashCount  u8   k, 1..30
//   2  reserved   u16  0
//   4  bits       u32  m, a multiple of 8 (version 1) or of 512 (version 2)
//   8  bit array  m/8 bytes; bit i is bit (i & 7) of byte (i >> 3)
// Changing the hash, the seeds or an index rule changes which bits a key sets: that needs a new
// filter version, never an edit of version 1 or 2. Which filter version a table holds follows
// from its table format version (format.ts): versions 1 and 2 hold filter version 1, version 3
// holds filter version 2.
//
// Why no library: the filter was bloom-filters' BloomFilter with its hashing replaced (FastHashing),
// which left the library only a bit array and a loop. Its module and what it loads (seedrandom,
// xxhashjs, cuint, reflect-metadata, base64-arraybuffer) held ~0.6 MiB of V8's old generation in
// every thread that opens a table (import 3.28 -> 2.67 MiB without them), for code never run: a
// bench child of 8 MiB crossed the size above which V8 starts incremental marking
// (bench/RESULTS.md, issue #14, lazy12). The bit layout above is the one its BitSet had, so tables
// written with it read the same; bloom-reference.test.ts holds that against the library itself.
// Must never depend on anything but base/ (errors, hashes).
import { CorruptionError, InvalidArgumentError } from '../base/errors.js'
import { SEED1, hashOut1, hashOut2, murmur3, murmur3Pair } from '../base/hash.js'

/** What add()/has() and FastHashing take: a key's bytes (a Buffer is one). */
type HashableInput = Uint8Array

/** A filter's bit array: bit i is bit (i & 7) of byte (i >> 3); `size` is the bit count rounded up to whole bytes. */
export class BitArray {
  size: number
  array: Uint8Array

  constructor(size: number) {
    this.size = Math.ceil(size / 8) * 8
    this.array = new Uint8Array(this.size / 8)
  }

  add(index: number): void {
    this.array[index >>> 3] |= 1 << (index & 7)
  }

  has(index: number): boolean {
    return (this.array[index >>> 3] & (1 << (index & 7))) !== 0
  }
}

/** On disk: the filter versions (the top of this file). */
export const FilterVersion = { Plain: 1, Blocked: 2 } as const
export type FilterVersion = (typeof FilterVersion)[keyof typeof FilterVersion]
export const FILTER_HEADER_SIZE = 8
/** On disk: a blocked (version 2) filter's block, in bits: one 64-byte cache line. */
export const FILTER_BLOCK_BITS = 512
const MAX_HASHES = 30
/** The multiplier that steps a blocked filter's probe hash (the golden ratio's 32-bit fraction). */
const PROBE_STEP = 0x9e3779b9 | 0

/** The first bit of a blocked filter's block for h1: floor(h1 * blocks / 2^32), no division by m. Exported for its test. */
export function blockStart(h1: number, m: number): number {
  // In two 16-bit halves: h1 * blocks reaches 2^55, past a double's exact integers, and the
  // writer's and reader's answers must be the very formula docs/format.md gives. Each partial
  // product is below 2^39, and flooring lo's share first cannot move the final floor.
  const blocks = m >>> 9
  const x = h1 >>> 0
  return Math.floor(((x >>> 16) * blocks + Math.floor(((x & 0xffff) * blocks) / 65536)) / 65536) * FILTER_BLOCK_BITS
}

/** Fills `out[0, k)` with the bit indexes of the hash pair (h1, h2) in a filter of m bits. */
function indexesOf(version: FilterVersion, h1: number, h2: number, m: number, k: number, out: number[]): void {
  if (version === FilterVersion.Blocked) {
    const start = blockStart(h1, m)
    let x = h2 | 0
    for (let i = 0; i < k; i++) {
      out[i] = start + (x >>> 23)
      x = Math.imul(x, PROBE_STEP)
    }
    return
  }
  let x = h1 % m
  let step = h2 % m
  if (step === 0) step = 1
  for (let i = 0; i < k; i++) {
    out[i] = x
    x += step
    if (x >= m) x -= m
  }
}

/** A filter's hashing: murmur3 over key bytes, the k indexes by the filter's version (the top of this file). */
export class FastHashing {
  // Reused by getIndexes: add/has read it before the next call.
  private readonly scratch: number[] = []

  constructor(private readonly version: FilterVersion) {}

  serialize(element: HashableInput, seed?: number): number {
    return murmur3(element, seed ?? SEED1)
  }

  hashTwice(value: HashableInput): { first: number; second: number } {
    murmur3Pair(value)
    return { first: hashOut1, second: hashOut2 }
  }

  /** Valid until the next call on this instance. */
  getIndexes(element: HashableInput, size: number, hashCount: number): number[] {
    murmur3Pair(element)
    const out = this.scratch
    if (out.length !== hashCount) out.length = hashCount
    indexesOf(this.version, hashOut1, hashOut2, size, hashCount, out)
    return out
  }
}

/** The hash pair of a user key, as the table builder stores it until it knows the key count. */
export function hashUserKey(userKey: Uint8Array, out: Uint32Array, at: number): void {
  murmur3Pair(userKey)
  out[at] = hashOut1
  out[at + 1] = hashOut2
}

/** The bit count of a filter for `keyCount` keys: a multiple of 8, at least 64 (version 1), or whole blocks. */
function bitsFor(keyCount: number, bitsPerKey: number, version: FilterVersion): number {
  const unit = version === FilterVersion.Blocked ? FILTER_BLOCK_BITS : 8
  return Math.max(version === FilterVersion.Blocked ? FILTER_BLOCK_BITS : 64, Math.ceil((keyCount * bitsPerKey) / unit) * unit)
}

/** Writes the filter block header (the top of this file) into out[0, FILTER_HEADER_SIZE); reserved stays 0. */
function writeHeader(out: Uint8Array, version: FilterVersion, hashCount: number, bits: number): void {
  out[0] = version
  out[1] = hashCount
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(4, bits, true)
}

/** k = round(bitsPerKey * ln 2), the count that minimizes false positives, clamped to 1..30. */
export function hashCountFor(bitsPerKey: number): number {
  return Math.min(MAX_HASHES, Math.max(1, Math.round(bitsPerKey * Math.LN2)))
}

/** The false-positive rate theory predicts: (1 - e^(-k/bitsPerKey))^k. */
export function expectedFalsePositiveRate(bitsPerKey: number): number {
  const k = hashCountFor(bitsPerKey)
  return (1 - Math.exp(-k / bitsPerKey)) ** k
}

export class TableBloomFilter {
  private readonly indexes: number[] = []
  readonly version: FilterVersion
  /** The bit count m. */
  _size: number
  /** k. */
  _nbHashes: number
  _filter: BitArray
  _hashing: FastHashing

  /**
   * requires: bits a positive multiple of 8 (version 1) or of FILTER_BLOCK_BITS (version 2),
   * 1 <= hashCount <= 30.
   */
  constructor(bits: number, hashCount: number, version: FilterVersion) {
    if (hashCount < 1) throw new InvalidArgumentError(`a bloom filter needs at least one hash function, not ${hashCount}`)
    this._size = bits
    this._nbHashes = hashCount
    this._filter = new BitArray(bits)
    this.version = version
    this._hashing = new FastHashing(version)
  }

  /** Sets the key's k bits. */
  add(element: HashableInput): void {
    const indexes = this._hashing.getIndexes(element, this._size, this._nbHashes)
    for (let i = 0; i < indexes.length; i++) this._filter.add(indexes[i])
  }

  /** mayContain() through the index list FastHashing makes (a second path, for tests and tools). */
  has(element: HashableInput): boolean {
    const indexes = this._hashing.getIndexes(element, this._size, this._nbHashes)
    for (let i = 0; i < indexes.length; i++) if (!this._filter.has(indexes[i])) return false
    return true
  }

  /** A filter sized for `keyCount` keys at `bitsPerKey` bits each (at least one block, or 64 bits). */
  static forKeys(keyCount: number, bitsPerKey: number, version: FilterVersion): TableBloomFilter {
    return new TableBloomFilter(bitsFor(keyCount, bitsPerKey, version), hashCountFor(bitsPerKey), version)
  }

  /** The size of the filter block of forKeys(keyCount, bitsPerKey, version): what inBlock() needs. */
  static blockSizeFor(keyCount: number, bitsPerKey: number, version: FilterVersion): number {
    return FILTER_HEADER_SIZE + bitsFor(keyCount, bitsPerKey, version) / 8
  }

  /**
   * forKeys(keyCount, bitsPerKey, version), but with its header written into `block` and its bits
   * kept in the rest of it: once the keys are added, `block` is the filter block (encode() without
   * the copy). A table builder gives it pooled bytes (base/mapped-buffer.ts). requires: `block` is
   * blockSizeFor(keyCount, bitsPerKey, version) zeroed bytes.
   */
  static inBlock(block: Uint8Array, keyCount: number, bitsPerKey: number, version: FilterVersion): TableBloomFilter {
    const bits = bitsFor(keyCount, bitsPerKey, version)
    if (block.length !== FILTER_HEADER_SIZE + bits / 8) throw new Error(`filter block of ${block.length} bytes for ${bits} bits`)
    const hashCount = hashCountFor(bitsPerKey)
    writeHeader(block, version, hashCount, bits)
    return TableBloomFilter.over(block, bits, hashCount, version)
  }

  /**
   * A filter whose bit array is block[FILTER_HEADER_SIZE, …) itself, not a copy: built small, then
   * given the block's bits, so no second array is allocated and zeroed (decode, inBlock).
   */
  private static over(block: Uint8Array, bits: number, hashCount: number, version: FilterVersion): TableBloomFilter {
    const filter = new TableBloomFilter(8, hashCount, version)
    filter._size = bits
    filter._filter.size = bits
    filter._filter.array = block.subarray(FILTER_HEADER_SIZE)
    filter.block = block
    return filter
  }

  get bits(): number {
    return this._size
  }

  get hashCount(): number {
    return this._nbHashes
  }

  /** Adds a key by the hash pair hashUserKey() produced for it. */
  addHashes(h1: number, h2: number): void {
    indexesOf(this.version, h1, h2, this._size, this._nbHashes, this.indexes)
    for (let i = 0; i < this._nbHashes; i++) this._filter.add(this.indexes[i])
  }

  /**
   * False only when `userKey` was certainly never added. Same answer as has(), but probes the
   * bit array inline: has() costs ~2x in index arrays and BitArray calls.
   */
  mayContain(userKey: Uint8Array): boolean {
    murmur3Pair(userKey)
    return this.mayContainHashes(hashOut1, hashOut2)
  }

  /**
   * mayContain() of the key whose hash pair (hashUserKey, base/hash.ts murmur3Pair) is (h1, h2):
   * a point lookup hashes its key once for every filter it probes (engine/read-path.ts).
   */
  mayContainHashes(h1: number, h2: number): boolean {
    const m = this._size
    const bits = this._filter.array
    if (this.version === FilterVersion.Blocked) {
      const start = blockStart(h1, m)
      let x = h2 | 0
      for (let i = this._nbHashes; i > 0; i--) {
        const b = start + (x >>> 23)
        if ((bits[b >>> 3] & (1 << (b & 7))) === 0) return false
        x = Math.imul(x, PROBE_STEP)
      }
      return true
    }
    let x = h1 % m
    let step = h2 % m
    if (step === 0) step = 1
    for (let i = this._nbHashes; i > 0; i--) {
      if ((bits[x >>> 3] & (1 << (x & 7))) === 0) return false
      x += step
      if (x >= m) x -= m
    }
    return true
  }

  addKey(userKey: Uint8Array): void {
    this.add(userKey)
  }

  /**
   * The filter block: the block this filter was decoded from or built in (decode, inBlock), its
   * bits a view of it, else a new encode(). requires: the caller only reads it (for a reader's
   * exportOpened, which structured clone copies): it is this filter's own bits.
   */
  encoded(): Uint8Array {
    const bits = this._filter.array as Uint8Array
    const block = this.block
    return block !== undefined && block.buffer === bits.buffer && block.byteOffset + FILTER_HEADER_SIZE === bits.byteOffset ? block : this.encode()
  }

  /** The block decode() or inBlock() put this filter's bits in (encoded() checks it still does). */
  private block: Uint8Array | undefined

  encode(): Uint8Array {
    const array = this._filter.array
    const out = new Uint8Array(FILTER_HEADER_SIZE + array.length)
    writeHeader(out, this.version, this._nbHashes, this._size)
    out.set(array, FILTER_HEADER_SIZE)
    return out
  }

  /**
   * Restores a filter whose bit array is a view of `block` (not copied). `expected`: the filter
   * version the table's format version calls for; any other is corruption.
   */
  static decode(file: string, offset: number, block: Uint8Array, expected: FilterVersion): TableBloomFilter {
    const bad = (what: string): never => {
      throw new CorruptionError(file, offset, `filter block: ${what}`)
    }
    if (block.length < FILTER_HEADER_SIZE) bad(`${block.length} bytes is too short`)
    const dv = new DataView(block.buffer, block.byteOffset, block.byteLength)
    const version = block[0]
    const hashCount = block[1]
    const bits = dv.getUint32(4, true)
    if (version !== FilterVersion.Plain && version !== FilterVersion.Blocked) bad(`unknown version ${version}`)
    if (version !== expected) bad(`version ${version} in a table that holds filter version ${expected}`)
    if (hashCount < 1 || hashCount > MAX_HASHES) bad(`hash count ${hashCount}`)
    if (dv.getUint16(2, true) !== 0) bad('reserved bytes are not zero')
    if (bits === 0 || bits % 8 !== 0 || block.length !== FILTER_HEADER_SIZE + bits / 8) {
      bad(`${bits} bits do not match ${block.length - FILTER_HEADER_SIZE} bytes`)
    }
    if (expected === FilterVersion.Blocked && bits % FILTER_BLOCK_BITS !== 0) bad(`${bits} bits are not whole ${FILTER_BLOCK_BITS}-bit blocks`)
    return TableBloomFilter.over(block, bits, hashCount, expected)
  }
}
