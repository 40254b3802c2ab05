// Memtable: the in-memory write buffer, a skiplist of internal entries in one growable arena.
//
// Entries are added by the engine's write queue only (one writer); lookups and iterators may run
// between adds. Nothing is removed: the memtable becomes immutable when full, is flushed to an L0
// table, and is then dropped whole. See skiplist.ts for the layout and the lifetime rules.

import { assert } from '../base/assert.js'
import type { InternalIterator, LookupResult } from '../base/internal-iterator.js'
import { KIND_FOR_SEEK, MAX_SEQ } from '../base/internal-key.js'
import { KeyFilter } from './key-filter.js'
import { SkiplistIterator } from './skiplist-iterator.js'
import { Skiplist } from './skiplist.js'

export interface MemtableOptions {
  /**
   * First arena size in bytes (default 1 MiB); the arena doubles when full. An engine that knows its
   * flush limit can pass a little more than it to avoid copies: pages never written cost no RSS.
   */
  initialArenaSize?: number
  /** Source of uniform numbers in [0, 1) for tower heights (default Math.random); seed it in tests. */
  rng?: () => number
  /**
   * Bits of the user-key bloom filter that lets get() skip this memtable (default 0: none).
   * The engine gives ~1 bit per 8 bytes of its flush limit: ~10-20 bits per key at 100 B values.
   */
  keyFilterBits?: number
}

export class Memtable {
  private readonly list: Skiplist
  private readonly filter: KeyFilter | undefined
  /** Arena bytes taken before the first entry (nil slot and head node): not counted in byteSize. */
  private readonly baseBytes: number
  private entries = 0
  private smallestSeq = 0
  private largestSeq = 0

  constructor(options: MemtableOptions = {}) {
    this.list = new Skiplist(options.initialArenaSize, options.rng ?? Math.random)
    this.baseBytes = this.list.arena.used
    const bits = options.keyFilterBits ?? 0
    this.filter = bits > 0 ? new KeyFilter(bits) : undefined
  }

  /**
   * Inserts one entry, copying key and value into the arena.
   * requires: (userKey, seq) not present yet; 0 <= seq <= MAX_SEQ; 0 <= kind <= 255.
   */
  add(userKey: Uint8Array, seq: number, kind: number, value: Uint8Array): void {
    assert(Number.isInteger(seq) && seq >= 0 && seq <= MAX_SEQ, `memtable: bad seq ${seq}`)
    assert(Number.isInteger(kind) && kind >= 0 && kind < KIND_FOR_SEEK, `memtable: bad kind ${kind}`)
    this.list.insert(userKey, seq * 256 + kind, value)
    this.filter?.add(userKey)
    if (this.entries === 0) {
      this.smallestSeq = seq
      this.largestSeq = seq
    } else {
      if (seq < this.smallestSeq) this.smallestSeq = seq
      if (seq > this.largestSeq) this.largestSeq = seq
    }
    this.entries++
  }

  /**
   * The newest entry of `userKey` with entry seq <= readSeq, or undefined. The value is a view into
   * the arena, valid as long as the memtable is referenced.
   */
  get(userKey: Uint8Array, readSeq: number): LookupResult | undefined {
    if (this.filter !== undefined && !this.filter.mayContain(userKey)) return undefined
    const list = this.list
    const n = list.seekGE(userKey, readSeq * 256 + KIND_FOR_SEEK)
    if (n === 0 || !list.keyEquals(n, userKey)) return undefined
    const trailer = list.trailer(n)
    return { seq: Math.floor(trailer / 256), kind: trailer % 256, value: list.value(n) }
  }

  /** Arena bytes used by entries (node headers, links, keys, values, alignment). */
  get byteSize(): number {
    return this.list.arena.used - this.baseBytes
  }

  /** Bytes the arena holds from the process (at least byteSize; up to about twice it). */
  get arenaCapacity(): number {
    return this.list.arena.capacity
  }

  get count(): number {
    return this.entries
  }

  /** Smallest sequence number added (0 when empty). */
  get minSeq(): number {
    return this.smallestSeq
  }

  /** Largest sequence number added (0 when empty). */
  get maxSeq(): number {
    return this.largestSeq
  }

  /**
   * An iterator over every entry (all versions), in internal order. It stays correct while more
   * entries are added, including across arena growth.
   */
  iterator(): InternalIterator {
    return new SkiplistIterator(this.list)
  }

  /** Verifies the skiplist's links and order (tests only; no-op unless SETT_ASSERT=1). */
  checkInvariants(): void {
    this.list.checkInvariants()
  }
}
