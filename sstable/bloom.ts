// The table's bloom filter over user keys: bloom-filters' BloomFilter with its hashing replaced,
// and the filter block codec.
//
// bloom-filters hashes with xxhashjs (6–13 µs per key); FastHashing instead runs murmur3 (x86,
// 32-bit) over the key bytes with two seeds in one pass and derives the k bit indexes by plain
// double hashing:
//
//   a = h1 mod m, b = h2 mod m (1 when that is 0), index_i = (a + i*b) mod m, i = 0..k-1
//
// Filter block (on disk, little-endian):
//   0  version    u8   1 = murmur3-32 with seeds 0xbc9f1d34, 0x9747b28c, double hashing as above
//   1  hashCount  u8   k, 1..30
//   2  reserved   u16  0
//   4  bits       u32  m, a multiple of 8
//   8  bit array  m/8 bytes; bit i is bit (i & 7) of byte (i >> 3), bloom-filters' BitSet layout
// Changing the hash, the seeds or the index rule changes which bits a key sets: that needs a new
// filter version, never an edit of version 1.

// Only the two modules used are imported: the package's index loads every filter and sketch it
// has (cuckoo, count-min, IBLT, ...) with their dependencies, ~4.5 MiB of RSS in every thread that
// opens a table (the main thread and each compaction worker) for code never run.
import * as bloomFilterModule from 'bloom-filters/dist/bloom/bloom-filter.js'
import * as hashingModule from 'bloom-filters/dist/hashing/hashing.js'
import type * as bloomTypes from 'bloom-filters'
import { CorruptionError } from '../base/errors.js'
import { SEED1, hashOut1, hashOut2, murmur3, murmur3Pair } from '../base/hash.js'

// bloom-filters is CommonJS and these modules export their class as `default`: from ESM it sits
// on `default.default`, through a bundler's interop (vitest) on `default`, and from code compiled
// to CommonJS on the namespace's `default`. The types come from the package's index (type-only).
function defaultClass(m: unknown): unknown {
  let x = m as { default?: unknown } | undefined
  while (typeof x !== 'function' && x?.default !== undefined) x = x.default as { default?: unknown }
  return x
}
const BloomFilter = defaultClass(bloomFilterModule) as typeof bloomTypes.BloomFilter
const Hashing = defaultClass(hashingModule) as typeof bloomTypes.Hashing

type HashableInput = Parameters<InstanceType<typeof Hashing>['getIndexes']>[0]

export const FILTER_VERSION = 1
export const FILTER_HEADER_SIZE = 8
const MAX_HASHES = 30

/** Fills `out[0, k)` with the bit indexes of the hash pair (h1, h2) in a filter of m bits. */
function indexesOf(h1: number, h2: number, m: number, k: number, out: number[]): void {
  let x = h1 % m
  let step = h2 % m
  if (step === 0) step = 1
  for (let i = 0; i < k; i++) {
    out[i] = x
    x += step
    if (x >= m) x -= m
  }
}

/**
 * bloom-filters' Hashing with murmur3 over key bytes. Inputs must be Uint8Arrays (the
 * library's type says string | ArrayBuffer | Buffer; a Uint8Array is what we pass).
 */
export class FastHashing extends Hashing {
  // Reused by getIndexes: BloomFilter.add/has read it before the next call.
  private readonly scratch: number[] = []

  override serialize(element: HashableInput, seed?: number): number {
    return murmur3(element as unknown as Uint8Array, seed ?? SEED1)
  }

  override hashTwice(value: HashableInput): { first: number; second: number } {
    murmur3Pair(value as unknown as Uint8Array)
    return { first: hashOut1, second: hashOut2 }
  }

  /** Valid until the next call on this instance. */
  override getIndexes(element: HashableInput, size: number, hashCount: number): number[] {
    murmur3Pair(element as unknown as Uint8Array)
    const out = this.scratch
    if (out.length !== hashCount) out.length = hashCount
    indexesOf(hashOut1, hashOut2, size, hashCount, out)
    return out
  }
}

/** The hash pair of a user key, as the table builder stores it until it knows the key count. */
export function hashUserKey(userKey: Uint8Array, out: Uint32Array, at: number): void {
  murmur3Pair(userKey)
  out[at] = hashOut1
  out[at + 1] = hashOut2
}

/** The bit count of a filter for `keyCount` keys: a multiple of 8, at least 64. */
function bitsFor(keyCount: number, bitsPerKey: number): number {
  return Math.max(64, Math.ceil((keyCount * bitsPerKey) / 8) * 8)
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

export class TableBloomFilter extends BloomFilter {
  private readonly indexes: number[] = []

  /** requires: bits a positive multiple of 8, 1 <= hashCount <= 30. */
  constructor(bits: number, hashCount: number) {
    super(bits, hashCount)
    this._hashing = new FastHashing()
  }

  /** A filter sized for `keyCount` keys at `bitsPerKey` bits each (at least 64 bits). */
  static forKeys(keyCount: number, bitsPerKey: number): TableBloomFilter {
    return new TableBloomFilter(bitsFor(keyCount, bitsPerKey), hashCountFor(bitsPerKey))
  }

  /** The size of the filter block of forKeys(keyCount, bitsPerKey): what inBlock() needs. */
  static blockSizeFor(keyCount: number, bitsPerKey: number): number {
    return FILTER_HEADER_SIZE + bitsFor(keyCount, bitsPerKey) / 8
  }

  /**
   * forKeys(keyCount, bitsPerKey), but with its header written into `block` and its bits kept in
   * the rest of it: once the keys are added, `block` is the filter block (encode() without the
   * copy). A table builder gives it pooled bytes (base/mapped-buffer.ts). requires: `block` is
   * blockSizeFor(keyCount, bitsPerKey) zeroed bytes.
   */
  static inBlock(block: Uint8Array, keyCount: number, bitsPerKey: number): TableBloomFilter {
    const bits = bitsFor(keyCount, bitsPerKey)
    if (block.length !== FILTER_HEADER_SIZE + bits / 8) throw new Error(`filter block of ${block.length} bytes for ${bits} bits`)
    const hashCount = hashCountFor(bitsPerKey)
    block[0] = FILTER_VERSION
    block[1] = hashCount
    new DataView(block.buffer, block.byteOffset, block.byteLength).setUint32(4, bits, true)
    // Built small, then given the block's bits (as decode() does).
    const filter = new TableBloomFilter(8, hashCount)
    filter._size = bits
    Object.assign(filter._filter, { size: bits, array: block.subarray(FILTER_HEADER_SIZE) })
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
    indexesOf(h1, h2, this._size, this._nbHashes, this.indexes)
    for (let i = 0; i < this._nbHashes; i++) this._filter.add(this.indexes[i])
  }

  /**
   * False only when `userKey` was certainly never added. Same answer as the library's has(),
   * but probes the bit array inline: has() costs ~2x in index arrays and BitSet calls.
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
    this.add(userKey as unknown as HashableInput)
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
    const dv = new DataView(out.buffer)
    out[0] = FILTER_VERSION
    out[1] = this._nbHashes
    dv.setUint32(4, this._size, true)
    out.set(array, FILTER_HEADER_SIZE)
    return out
  }

  /** Restores a filter whose bit array is a view of `block` (not copied). */
  static decode(file: string, offset: number, block: Uint8Array): TableBloomFilter {
    const bad = (what: string): never => {
      throw new CorruptionError(file, offset, `filter block: ${what}`)
    }
    if (block.length < FILTER_HEADER_SIZE) bad(`${block.length} bytes is too short`)
    const dv = new DataView(block.buffer, block.byteOffset, block.byteLength)
    const version = block[0]
    const hashCount = block[1]
    const bits = dv.getUint32(4, true)
    if (version !== FILTER_VERSION) bad(`unknown version ${version}`)
    if (hashCount < 1 || hashCount > MAX_HASHES) bad(`hash count ${hashCount}`)
    if (dv.getUint16(2, true) !== 0) bad('reserved bytes are not zero')
    if (bits === 0 || bits % 8 !== 0 || block.length !== FILTER_HEADER_SIZE + bits / 8) {
      bad(`${bits} bits do not match ${block.length - FILTER_HEADER_SIZE} bytes`)
    }
    // Built small, then given the stored bits: avoids allocating and zeroing a second array.
    const filter = new TableBloomFilter(8, hashCount)
    filter._size = bits
    Object.assign(filter._filter, { size: bits, array: block.subarray(FILTER_HEADER_SIZE) })
    filter.block = block
    return filter
  }
}
