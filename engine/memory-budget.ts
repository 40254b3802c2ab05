// The memory budget (options.memoryBudget): one bound on the memtable, the frozen memtables, the
// block cache and the open tables' index and filter blocks together, and the pool that hands a
// flushed memtable's arena to the next memtable.
//
// The shares: the memtables may hold (1 + maxImmutableMemtables) × memtableLimit() bytes, the
// index and filter blocks what the open tables need, and the block cache the rest, at most
// blockCacheSize and at least a sixteenth of the budget. When index and filter blocks grow past
// what that leaves, memtableLimit() goes down (smaller memtables are frozen sooner, and writes
// wait for their flushes in the write path): writes slow down, never fail. It never goes below
// MIN_MEMTABLE_BYTES, so a budget smaller than the index and filter blocks alone still lets writes
// through (stats().memory then shows the total over the budget).
//
// Arenas: a flushed memtable's arena is zeroed and kept for the next memtable instead of being
// left to the garbage collector (memtable/arena.ts says why), unless an iterator still reads the
// memtable: iterators pin the memtables they started on, and the last unpin recycles it. An arena
// is its memtable's size and a MiB, no more (GLIBC_THRESHOLDS below says why not more).
//
// Zeroed, a spare's pages are still resident (16 MiB at the default budget), and with no writes
// coming it would stay so through every read-only stretch. So every SPARE_IDLE_MS the spare is
// let go unless the active memtable grew at a rate that fills it within SPARE_KEEP_HORIZON_MS.
// Letting go frees nothing at once: the buffer goes at the main thread's next full collection
// (and once no worker holds it: compaction-runner.ts stops an idle worker), which a write-heavy
// stretch may not see for a long time. A new memtable made before then would hold a fresh buffer
// next to the uncollected one, three arenas resident instead of two (measured: overwrite 226 ->
// 262 MiB with a plain 3 s timer). Hence the rate, and a WeakRef to the spare let go: while it
// is not collected the next memtable takes it back (still zeroed), so letting go never costs
// more than keeping.
//
// Owns: the pins, the spare arena and its idle timer, the cached index-and-filter total.
// Touches in EngineState: the block cache's capacity. Must never: do I/O, wait, or decide when
// to flush (the write path asks memtableLimit()).

import type { Version } from '../manifest/index.js'
import { type Arena, Memtable } from '../memtable/index.js'
import type { BlockCache } from '../sstable/index.js'
import type { ResolvedOptions } from './options.js'

/** The smallest memtable the budget shrinks memtables to: below it flushes cost more than they free. */
export const MIN_MEMTABLE_BYTES = 256 * 1024

/** How often a spare arena that no memtable took is looked at (see the top of this file). */
export const SPARE_IDLE_MS = 3000

/** A spare is kept while the active memtable, at the rate it grew, would be full within this. */
export const SPARE_KEEP_HORIZON_MS = 30_000

// GLIBC_THRESHOLDS. ArrayBuffers come from malloc, and glibc raises its mmap threshold to the
// size of any mmapped chunk freed below DEFAULT_MMAP_THRESHOLD_MAX (32 MiB on 64-bit), and its
// trim threshold to twice that: one 17 MiB arena collected and, from then on, every allocation
// under 17 MiB came from malloc's heaps, trimmed only once 34 MiB at their top were free.
// Measured (1M x 100 B, default budget), that held ~40 MiB more RSS in every read and YCSB
// workload than the same run with the threshold pinned (MALLOC_MMAP_THRESHOLD_=131072, which only
// the embedding program can set). Arenas of 32 MiB + 64 KiB of address space (always mmapped,
// untouched pages free) took 10-20 MiB off those peaks, but made every open allocate 32 MiB of
// external memory: the power-loss crash tests, which open thousands of small databases, ran 4.5x
// slower (10.6 s -> 47.7 s), and full-sequence read benches showed ~100 ms event-loop pauses
// (V8 collecting under external-memory pressure is the likely reason; not checked). Not taken.
// What was taken instead (dcfab82): arenas of 4 MiB or more and large memtable key filters are
// pages V8 maps itself (base/mapped-buffer.ts), so freeing one moves no threshold.

/** The arena a memtable of `memtableSize` gets: room for the entry that crosses the limit. */
export function arenaSizeFor(memtableSize: number): number {
  return Math.min(memtableSize + 1024 * 1024, 2 ** 31)
}

/** stats().memory: every part against the budget, in bytes. */
export interface MemoryStats {
  budget: number
  /** Resident bytes of the active memtable's arena (pages it has written). */
  memtable: number
  /** Resident bytes of the frozen memtables waiting for flush (and of one kept for the next memtable). */
  frozenMemtables: number
  /**
   * Decoded blocks held now (with the buffers of blocks let go that the cache keeps for the next
   * ones: sstable/block-cache.ts), and what the budget lets the cache hold.
   */
  blockCache: number
  blockCacheCapacity: number
  /** Index and bloom filter blocks of the current version's tables (held for each table's life). */
  indexAndFilter: number
  /** The size a memtable is frozen at now: memtableSize, or less while the budget is tight. */
  memtableLimit: number
  /** memtable + frozenMemtables + blockCache + indexAndFilter. */
  total: number
  /**
   * Worker threads flushes and compactions run in (0: inline; 1: one shared, the default below a
   * 256 MiB budget; 2). Outside the budget: each costs its own V8 heap and malloc arena while
   * it runs. Each is started by a task and stopped after WORKER_IDLE_MS without one
   * (compaction/compaction-runner.ts), so a read-only stretch holds none: this counts the
   * threads there may be, not the ones running now.
   */
  workerThreads: number
  /**
   * Outside the budget and `total`: what the running workers' V8 heaps and external memory held
   * after their last task (0 with none running). Their malloc arenas are not in it.
   */
  workerHeap: number
}

export class MemoryBudget {
  private readonly options: ResolvedOptions
  private readonly cache: BlockCache
  private readonly pins = new Map<Memtable, number>()
  /** Flushed memtables that an iterator still reads: recycled at their last unpin. */
  private readonly retired = new Set<Memtable>()
  private spare: Arena | undefined
  private spareBytes = 0
  private spareTimer: ReturnType<typeof setTimeout> | undefined
  /** The spare let go last, until it is collected (see the top of this file). */
  private letGo: WeakRef<Arena> | undefined
  /** The memtable newMemtable() made last: the active one. */
  private active: Memtable | undefined
  /** The active memtable's byteSize when the spare was last looked at. */
  private activeBytesSeen = 0
  private pinnedVersion: Version | undefined
  private pinnedBytes = 0

  constructor(options: ResolvedOptions, cache: BlockCache) {
    this.options = options
    this.cache = cache
  }

  /**
   * A new empty memtable, over the spare arena when there is one. Reserving the whole limit up
   * front avoids grow-and-copy; untouched pages cost no RSS. With the worker, the arena is shared
   * so the worker can flush the memtable without a copy.
   */
  newMemtable(shared: boolean): Memtable {
    const size = this.options.memtableSize
    const arena = this.spare ?? this.letGo?.deref()
    this.dropSpare()
    this.letGo = undefined
    const arenaSize = arenaSizeFor(size)
    const fits = arena !== undefined && arena.isShared === shared && arena.capacity >= arenaSize
    this.active = new Memtable({ initialArenaSize: arenaSize, keyFilterBits: size / 8, shared, arena: fits ? arena : undefined })
    return this.active
  }

  /** An iterator starts reading these memtables. */
  pin(mems: readonly Memtable[]): void {
    for (const m of mems) this.pins.set(m, (this.pins.get(m) ?? 0) + 1)
  }

  /** ... and is done with them. */
  unpin(mems: readonly Memtable[]): void {
    for (const m of mems) {
      const n = (this.pins.get(m) ?? 1) - 1
      if (n > 0) {
        this.pins.set(m, n)
        continue
      }
      this.pins.delete(m)
      if (this.retired.delete(m)) this.recycle(m)
    }
  }

  /** A memtable nothing will look up again (flushed and dropped from EngineState.frozen). */
  retire(mem: Memtable): void {
    if (this.pins.has(mem)) this.retired.add(mem)
    else this.recycle(mem)
  }

  private recycle(mem: Memtable): void {
    // One spare is enough: a rotation takes it before the next flush gives another back.
    if (this.spare !== undefined) return
    this.spareBytes = mem.residentBytes
    this.spare = mem.recycleArena()
    this.activeBytesSeen = this.active?.byteSize ?? 0
    this.armSpareTimer()
  }

  private armSpareTimer(): void {
    this.spareTimer = setTimeout(() => {
      this.spareTimer = undefined
      const used = this.active?.byteSize ?? 0
      const grown = used - this.activeBytesSeen
      this.activeBytesSeen = used
      const fillsInMs = grown > 0 ? ((this.options.memtableSize - used) / grown) * SPARE_IDLE_MS : Infinity
      if (fillsInMs <= SPARE_KEEP_HORIZON_MS) {
        this.armSpareTimer()
        return
      }
      this.letGo = this.spare && new WeakRef(this.spare)
      this.dropSpare()
    }, SPARE_IDLE_MS)
    // An unused spare must not keep the embedding program alive.
    this.spareTimer.unref()
  }

  /** Lets the spare arena go (taken by a memtable, no memtable coming for it, or at close). */
  dropSpare(): void {
    if (this.spareTimer !== undefined) clearTimeout(this.spareTimer)
    this.spareTimer = undefined
    this.spare = undefined
    this.spareBytes = 0
  }

  /** Whether a flushed memtable's arena waits for the next memtable (tests). */
  get hasSpare(): boolean {
    return this.spare !== undefined
  }

  /** Index and filter bytes of `version`'s tables, recounted only when the version changes. */
  indexAndFilterBytes(version: Version): number {
    if (version !== this.pinnedVersion) {
      let n = 0
      for (const f of version.allFiles()) n += f.reader?.pinnedBytes ?? 0
      this.pinnedVersion = version
      this.pinnedBytes = n
    }
    return this.pinnedBytes
  }

  /** The bytes at which the active memtable is frozen now (see the top of this file). */
  memtableLimit(version: Version): number {
    const o = this.options
    const floor = o.memoryBudget / 16
    const room = (o.memoryBudget - this.indexAndFilterBytes(version) - floor) / (1 + o.maxImmutableMemtables)
    return Math.min(o.memtableSize, Math.max(MIN_MEMTABLE_BYTES, room))
  }

  /** Gives the block cache what the memtables and index and filter blocks leave (call when they change). */
  rebalance(version: Version): void {
    const o = this.options
    const floor = o.memoryBudget / 16
    const memtables = (1 + o.maxImmutableMemtables) * this.memtableLimit(version)
    const room = o.memoryBudget - memtables - this.indexAndFilterBytes(version)
    const capacity = Math.min(o.blockCacheSize, Math.max(Math.min(floor, o.blockCacheSize), room))
    if (capacity !== this.cache.capacityBytes) this.cache.setCapacity(capacity)
  }

  stats(version: Version, mem: Memtable, frozen: readonly Memtable[], workerThreads: number, workerHeap: number): MemoryStats {
    const memtable = mem.residentBytes
    let frozenBytes = this.spareBytes
    for (const m of frozen) frozenBytes += m.residentBytes
    const indexAndFilter = this.indexAndFilterBytes(version)
    const blockCache = this.cache.size + this.cache.spareSize
    return {
      budget: this.options.memoryBudget, memtable, frozenMemtables: frozenBytes, blockCache,
      blockCacheCapacity: this.cache.capacityBytes, indexAndFilter, memtableLimit: this.memtableLimit(version),
      total: memtable + frozenBytes + blockCache + indexAndFilter, workerThreads, workerHeap,
    }
  }
}
