// Memtable: the in-memory write buffer, a skiplist of internal entries in one growable arena.
//
// Entries are added by the engine's write queue only (one writer), or in bulk by recovery's WAL
// replay (addColumns) before the memtable is read; lookups and iterators may run between adds. Nothing is removed: the memtable becomes immutable when full, is flushed to an L0
// table, and is then dropped whole. See skiplist.ts for the layout and the lifetime rules.
//
// freeze() describes an immutable memtable as plain data (its arena's buffer and the list's
// state); Memtable.open() reads that description, in the flush worker when the arena is shared.

import { assert, assertionsEnabled } from '../base/assert.js'
import type { InternalIterator, LookupResult } from '../base/internal-iterator.js'
import { KIND_FOR_SEEK, MAX_SEQ } from '../base/internal-key.js'
import { type EntryColumns, SPAN } from './entry-columns.js'
import { internalOrder } from './internal-order.js'
import { KeyFilter } from './key-filter.js'
import { SkiplistIterator } from './skiplist-iterator.js'
import { Arena } from './arena.js'
import { Skiplist, type SkiplistState } from './skiplist.js'

/** A frozen memtable as plain data that can cross to a worker (a SharedArrayBuffer is not copied). */
export interface FrozenMemtable extends SkiplistState {
  buffer: ArrayBuffer | SharedArrayBuffer
  used: number
  count: number
  minSeq: number
  maxSeq: number
}

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
  /** Keep the arena in a SharedArrayBuffer, so freeze() can hand it to a worker (default false). */
  shared?: boolean
  /** An arena a dropped memtable gave back (recycleArena()), used instead of a new one. */
  arena?: Arena
}

export class Memtable {
  private readonly list: Skiplist
  private readonly filter: KeyFilter | undefined
  /** Arena bytes taken before the first entry (nil slot and head node): not counted in byteSize. */
  private readonly baseBytes: number
  private entries = 0
  private smallestSeq = 0
  private largestSeq = 0

  /** A new, empty memtable; Memtable.open() passes `frozen` to reopen a frozen one instead. */
  constructor(options: MemtableOptions = {}, frozen?: FrozenMemtable) {
    const rng = options.rng ?? Math.random
    if (frozen) {
      this.list = new Skiplist(new Arena(frozen.buffer, frozen.used), rng, frozen)
      this.baseBytes = 0
      this.entries = frozen.count
      this.smallestSeq = frozen.minSeq
      this.largestSeq = frozen.maxSeq
    } else {
      this.list = new Skiplist(options.arena ?? Arena.create(options.initialArenaSize, options.shared ?? false), rng)
      this.baseBytes = this.list.arena.used
    }
    const bits = frozen ? 0 : options.keyFilterBits ?? 0
    this.filter = bits > 0 ? new KeyFilter(bits) : undefined
  }

  /**
   * Describes this memtable for Memtable.open(). requires: no add() from now on (the engine
   * freezes a memtable before it flushes it).
   */
  freeze(): FrozenMemtable {
    const arena = this.list.arena
    return {
      ...this.list.state(), buffer: arena.buf, used: arena.used,
      count: this.entries, minSeq: this.smallestSeq, maxSeq: this.largestSeq,
    }
  }

  /** Whether freeze() hands out a SharedArrayBuffer that another thread can read in place. */
  get isShared(): boolean {
    return this.list.arena.isShared
  }

  /** A read-only memtable over a frozen one's bytes (no key filter: get() searches the list). */
  static open(frozen: FrozenMemtable): Memtable {
    return new Memtable({}, frozen)
  }

  /**
   * Inserts one entry, copying key and value into the arena.
   * requires: (userKey, seq) not present yet; 0 <= seq <= MAX_SEQ; 0 <= kind <= 255.
   */
  add(userKey: Uint8Array, seq: number, kind: number, value: Uint8Array): void {
    // Checked before the message is built: a template per call was an allocation on every put.
    if (!(Number.isInteger(seq) && seq >= 0 && seq <= MAX_SEQ)) assert(false, `memtable: bad seq ${seq}`)
    if (!(Number.isInteger(kind) && kind >= 0 && kind < KIND_FOR_SEEK)) assert(false, `memtable: bad kind ${kind}`)
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
   * Inserts many entries at once (recovery's replay of a WAL), as add() of each in the columns'
   * order would, including an entry repeated exactly (the later one comes first). Sorted into
   * internal order first (internal-order.ts), then appended node after node without a search or a
   * compare (Skiplist.appendSorted): a random insert into a 400,000-entry list costs ~1.5 us,
   * nearly all of it cache misses on the search path, and even an insert that appends costs a
   * compare, a view per key and value, and an allocation. A memtable that holds entries already
   * (read-only recovery's memtables span WALs) takes them one at a time, in that order.
   * requires: as add(), for each entry; `c.src` stays unchanged until this returns.
   */
  addColumns(c: EntryColumns): void {
    const count = c.count
    if (count === 0) return
    const order = internalOrder(c)
    if (this.entries !== 0) {
      for (let i = 0; i < count; i++) {
        const e = order[i]
        this.add(c.key(e), c.seq(e), c.kind(e), c.value(e))
      }
      return
    }
    // Trailers order like their seqs (seq * 256 + kind, kind < 256).
    const trailers = c.trailers
    let smallest = trailers[0]
    let largest = trailers[0]
    for (let i = 0; i < count; i++) {
      const t = trailers[i]
      if (assertionsEnabled) {
        const q = c.seq(i)
        assert(Number.isInteger(q) && q >= 0 && q <= MAX_SEQ, `memtable: bad seq ${q}`)
        assert(c.kind(i) < KIND_FOR_SEEK, `memtable: bad kind ${c.kind(i)}`)
      }
      if (t < smallest) smallest = t
      if (t > largest) largest = t
    }
    this.list.appendSorted(c, order)
    const filter = this.filter
    if (filter !== undefined) {
      const { src, spans } = c
      for (let s = 0; s < count * SPAN; s += SPAN) filter.addAt(src, spans[s], spans[s + 1])
    }
    smallest = Math.floor(smallest / 256)
    largest = Math.floor(largest / 256)
    this.smallestSeq = smallest
    this.largestSeq = largest
    this.entries = count
  }

  /**
   * The newest entry of `userKey` with entry seq <= readSeq, or undefined. The value is a view into
   * the arena, valid as long as the memtable is referenced.
   */
  get(userKey: Uint8Array, readSeq: number): LookupResult | undefined {
    if (this.filter !== undefined && !this.filter.mayContain(userKey)) return undefined
    return this.lookupPastFilter(userKey, readSeq)
  }

  /**
   * get() of a key whose murmur3Pair (base/hash.ts) is (h1, h2), given so that a lookup through
   * many filters hashes its key once. requires: (h1, h2) is that pair.
   */
  getHashed(userKey: Uint8Array, readSeq: number, h1: number, h2: number): LookupResult | undefined {
    if (this.filter !== undefined && !this.filter.mayContainHashes(h1, h2)) return undefined
    return this.lookupPastFilter(userKey, readSeq)
  }

  private lookupPastFilter(userKey: Uint8Array, readSeq: number): LookupResult | undefined {
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

  /** Bytes of the arena's buffer ever written: what it holds resident (untouched pages cost nothing). */
  get residentBytes(): number {
    return this.list.arena.touched
  }

  /**
   * This memtable's arena, zeroed, for the next memtable (MemtableOptions.arena).
   * requires: nothing reads this memtable again (no iterator, lookup or flush in flight).
   */
  recycleArena(): Arena {
    return this.list.arena.recycle()
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
