// Keys and values as db_bench makes them. Key index i is stored as the decimal digits of 2·i,
// zero-padded to the key size, so byte order is numeric order and a missing key (2·i + 1) falls
// between two present ones: a lookup for it must be answered by a bloom filter or an index, not by
// a range check. Values are slices of one pool of half-compressible bytes (db_bench's
// RandomGenerator), so generating them costs nothing and compresses as --compression-ratio says.

import { Rng } from './random.js'

const ZERO = 0x30

/** The largest key index that fits `keySize` digits (2·i + 1 must fit). */
export function maxKeyIndex(keySize: number): number {
  if (keySize >= 16) return Math.floor((Number.MAX_SAFE_INTEGER - 1) / 2)
  return Math.floor((10 ** keySize - 2) / 2)
}

/**
 * Writes the key of index `i` (present: `missing` false; absent: true) into `out` at `offset`.
 * requires: `out` has `keySize` bytes from `offset`; i ≤ maxKeyIndex(keySize).
 */
export function writeKey(out: Uint8Array, offset: number, keySize: number, i: number, missing = false): void {
  let n = i * 2 + (missing ? 1 : 0)
  let p = offset + keySize - 1
  while (p >= offset) {
    const q = Math.floor(n / 10)
    out[p--] = ZERO + (n - q * 10)
    n = q
  }
}

/** A fresh buffer holding the key of index `i`. */
export function keyOf(keySize: number, i: number, missing = false): Buffer {
  const k = Buffer.allocUnsafe(keySize)
  writeKey(k, 0, keySize, i, missing)
  return k
}

/** The key index of a key made by writeKey, and whether it is a missing-key one. */
export function parseKey(key: Uint8Array): { index: number; missing: boolean } {
  let n = 0
  for (let j = 0; j < key.length; j++) n = n * 10 + (key[j] - ZERO)
  return { index: Math.floor(n / 2), missing: n % 2 === 1 }
}

/**
 * db_bench's CompressibleString: `len` bytes made of `len·ratio` random printable bytes repeated,
 * so a compressor that finds repeats (LZ4, Snappy) shrinks it to about `ratio`.
 */
function compressiblePiece(rng: Rng, ratio: number, len: number, out: Uint8Array, offset: number): void {
  const raw = Math.max(1, Math.floor(len * ratio))
  for (let j = 0; j < raw; j++) out[offset + j] = 0x20 + rng.nextInt(95)
  for (let j = raw; j < len; j++) out[offset + j] = out[offset + j - raw]
}

/**
 * Values: consecutive slices of a ≥ 1 MiB pool built from 100-byte compressible pieces (as
 * db_bench's RandomGenerator). Slices are views; the pool never changes, so an engine that keeps
 * a reference until its write completes sees the same bytes.
 */
export class ValueSource {
  readonly size: number
  private readonly pool: Buffer
  private pos = 0

  constructor(size: number, compressionRatio: number, seed: number) {
    this.size = size
    const rng = new Rng(seed ^ 0x5eed)
    const length = Math.max(1 << 20, size * 4)
    this.pool = Buffer.allocUnsafe(length)
    for (let off = 0; off < length; off += 100) compressiblePiece(rng, compressionRatio, Math.min(100, length - off), this.pool, off)
  }

  next(): Buffer {
    if (this.pos + this.size > this.pool.length) this.pos = 0
    const v = this.pool.subarray(this.pos, this.pos + this.size)
    this.pos += this.size
    return v
  }

  /** The whole pool, for measuring how well it compresses. */
  get bytes(): Buffer {
    return this.pool
  }
}
