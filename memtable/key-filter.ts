// KeyFilter: a bloom filter over the user keys of one memtable, so a point read skips a memtable
// that cannot hold its key without walking the skiplist (RocksDB's whole-key memtable filter).
// A miss costs a hash and three bit tests instead of a ~20-level search through cold memory.
// Sized once from the memtable's expected bytes; it only ever gets fuller, never resized. One as
// large as malloc would map on its own (256 KiB at the default memtable size) is a mapped buffer
// instead (base/mapped-buffer.ts): one is freed with every flushed memtable, and each such free
// would raise glibc's malloc thresholds to its size.

import { hashOut1, hashOut2, murmur3Pair, murmur3PairAt } from '../base/hash.js'
import { MALLOC_MMAP_THRESHOLD, mappedBuffer } from '../base/mapped-buffer.js'

const PROBES = 3

export class KeyFilter {
  private readonly words: Uint32Array
  private readonly mask: number

  /** `bits` is rounded up to a power of two (at least 1024). */
  constructor(bits: number) {
    let n = 1024
    while (n < bits && n < 2 ** 31) n *= 2
    const bytes = n / 8
    const mapped = bytes >= MALLOC_MMAP_THRESHOLD ? mappedBuffer(bytes, false) : undefined
    this.words = mapped === undefined ? new Uint32Array(n / 32) : new Uint32Array(mapped, 0, n / 32)
    this.mask = n - 1
  }

  add(userKey: Uint8Array): void {
    murmur3Pair(userKey)
    this.setBits()
  }

  /** add() of the key buf[start, start + length), without a view of it (recovery's replay). */
  addAt(buf: Uint8Array, start: number, length: number): void {
    murmur3PairAt(buf, start, length)
    this.setBits()
  }

  /** Sets the probe bits of the key murmur3Pair last hashed. */
  private setBits(): void {
    let h = hashOut1
    const step = hashOut2 | 1
    for (let i = 0; i < PROBES; i++) {
      const bit = h & this.mask
      this.words[bit >>> 5] |= 1 << (bit & 31)
      h = (h + step) >>> 0
    }
  }

  /** false only when `userKey` was certainly never added. */
  mayContain(userKey: Uint8Array): boolean {
    murmur3Pair(userKey)
    return this.mayContainHashes(hashOut1, hashOut2)
  }

  /**
   * mayContain() of the key whose murmur3Pair is (h1, h2): a point lookup hashes its key once and
   * probes every memtable's and table's filter with the same pair (engine/read-path.ts).
   */
  mayContainHashes(h1: number, h2: number): boolean {
    let h = h1
    const step = h2 | 1
    for (let i = 0; i < PROBES; i++) {
      const bit = h & this.mask
      if ((this.words[bit >>> 5] & (1 << (bit & 31))) === 0) return false
      h = (h + step) >>> 0
    }
    return true
  }
}
