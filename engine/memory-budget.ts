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
// memtable: iterators pin the memtables they started on, and the last unpin recycles it.
//
// Owns: the pins, the spare arena, the cached index-and-filter total. Touches in EngineState:
// the block cache's capacity. Must never: do I/O, wait, or decide when to flush (the write path
// asks memtableLimit()).

import type { Version } from '../manifest/index.js'
import { type Arena, Memtable } from '../memtable/index.js'
import type { BlockCache } from '../sstable/index.js'
import type { ResolvedOptions } from './options.js'

/** The smallest memtable the budget shrinks memtables to: below it flushes cost more than they free. */
export const MIN_MEMTABLE_BYTES = 256 * 1024

/** stats().memory: every part against the budget, in bytes. */
export interface MemoryStats {
  budget: number
  /** Resident bytes of the active memtable's arena (pages it has written). */
  memtable: number
  /** Resident bytes of the frozen memtables waiting for flush (and of one kept for the next memtable). */
  frozenMemtables: number
  /** Decoded blocks held now, and what the budget lets the cache hold. */
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
}

export class MemoryBudget {
  private readonly options: ResolvedOptions
  private readonly cache: BlockCache
  private readonly pins = new Map<Memtable, number>()
  /** Flushed memtables that an iterator still reads: recycled at their last unpin. */
  private readonly retired = new Set<Memtable>()
  private spare: Arena | undefined
  private spareBytes = 0
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
    const arena = this.spare
    this.spare = undefined
    this.spareBytes = 0
    const fits = arena !== undefined && arena.isShared === shared && arena.capacity >= Math.min(size + 1024 * 1024, 2 ** 31)
    return new Memtable({
      initialArenaSize: Math.min(size + 1024 * 1024, 2 ** 31), keyFilterBits: size / 8, shared, arena: fits ? arena : undefined,
    })
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

  stats(version: Version, mem: Memtable, frozen: readonly Memtable[], workerThreads: number): MemoryStats {
    const memtable = mem.residentBytes
    let frozenBytes = this.spareBytes
    for (const m of frozen) frozenBytes += m.residentBytes
    const indexAndFilter = this.indexAndFilterBytes(version)
    const blockCache = this.cache.size
    return {
      budget: this.options.memoryBudget, memtable, frozenMemtables: frozenBytes, blockCache,
      blockCacheCapacity: this.cache.capacityBytes, indexAndFilter, memtableLimit: this.memtableLimit(version),
      total: memtable + frozenBytes + blockCache + indexAndFilter, workerThreads,
    }
  }
}
