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

import * as bloomModule from 'bloom-filters'
import { CorruptionError } from '../base/errors.js'

// bloom-filters is CommonJS. Its named imports pass tsc but fail in plain Node and tsx; from ESM
// its exports sit on `default`, from code compiled to CommonJS on the namespace itself.
const bloom = (bloomModule as unknown as { default?: typeof bloomModule }).default ?? bloomModule
const { BloomFilter, Hashing } = bloom

type HashableInput = Parameters<InstanceType<typeof Hashing>['getIndexes']>[0]

export const FILTER_VERSION = 1
export const FILTER_HEADER_SIZE = 8
const SEED1 = 0xbc9f1d34
const SEED2 = 0x9747b28c
const MAX_HASHES = 30

// murmur3Pair writes its two results here rather than allocating an object per key.
let hashOut1 = 0
let hashOut2 = 0

/** murmur3 x86 32-bit of `key` under SEED1 and SEED2, into hashOut1/hashOut2 (unsigned). */
function murmur3Pair(key: Uint8Array): void {
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  let h1 = SEED1 | 0
  let h2 = SEED2 | 0
  const n = key.length
  const blocks = n & ~3
  let i = 0
  for (; i < blocks; i += 4) {
    let k = key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24)
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h1 ^= k
    h1 = (h1 << 13) | (h1 >>> 19)
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0
    h2 ^= k
    h2 = (h2 << 13) | (h2 >>> 19)
    h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0
  }
  const tail = n & 3
  if (tail !== 0) {
    let k = key[i]
    if (tail > 1) k |= key[i + 1] << 8
    if (tail > 2) k |= key[i + 2] << 16
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h1 ^= k
    h2 ^= k
  }
  hashOut1 = fmix(h1 ^ n)
  hashOut2 = fmix(h2 ^ n)
}

function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** murmur3 x86 32-bit with an arbitrary seed, for tests against published vectors. */
export function murmur3(key: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  let h = seed | 0
  const n = key.length
  let i = 0
  for (; i + 4 <= n; i += 4) {
    let k = key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24)
    k = Math.imul((Math.imul(k, c1) << 15) | (Math.imul(k, c1) >>> 17), c2)
    h ^= k
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0
  }
  let k = 0
  for (let j = n - 1; j >= i; j--) k = (k << 8) | key[j]
  if (n > i) {
    k = Math.imul(k, c1)
    h ^= Math.imul((k << 15) | (k >>> 17), c2)
  }
  return fmix(h ^ n)
}

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
    const bits = Math.max(64, Math.ceil((keyCount * bitsPerKey) / 8) * 8)
    return new TableBloomFilter(bits, hashCountFor(bitsPerKey))
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
    const m = this._size
    const bits = this._filter.array
    let x = hashOut1 % m
    let step = hashOut2 % m
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
    return filter
  }
}
