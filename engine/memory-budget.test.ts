// The memory budget: each part in stats().memory, the block cache and memtables kept within it,
// and flushed memtables' arenas reused only once no iterator reads them.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { InvalidArgumentError } from '../base/errors.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { mulberry32 } from '../base/random.js'
import { open } from './index.js'
import { BlockCache } from '../sstable/index.js'
import { MIN_MEMTABLE_BYTES, MemoryBudget, SPARE_IDLE_MS, SPARE_KEEP_HORIZON_MS, arenaSizeFor } from './memory-budget.js'
import { resolveOptions } from './options.js'

const MiB = 1024 * 1024
const key = (i: number): string => `k${String(i).padStart(8, '0')}`

describe('memoryBudget', () => {
  it('derives the memtable and block cache defaults from the budget, and refuses a budget below 1 MiB', async () => {
    const db = await open('/db', { fs: new MemFileSystem(), memoryBudget: 64 * MiB })
    const m = db.stats().memory
    expect(m.budget).toBe(64 * MiB)
    expect(m.memtableLimit).toBe(8 * MiB)
    expect(m.blockCacheCapacity).toBe(16 * MiB)
    await db.close()
    await expect(open('/db2', { fs: new MemFileSystem(), memoryBudget: 1000 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(open('/db3', { fs: new MemFileSystem(), memoryBudgett: 1 } as never)).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('reports the worker threads outside the budget: none inline, one shared below 256 MiB, two from there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sett-budget-'))
    try {
      for (const [options, threads] of [
        [{}, 1], [{ memoryBudget: 64 * MiB }, 1], [{ memoryBudget: 256 * MiB }, 2], [{ compactionWorker: false }, 0],
      ] as const) {
        const db = await open(join(dir, String(threads) + JSON.stringify(options).length), options)
        expect(db.stats().memory.workerThreads, JSON.stringify(options)).toBe(threads)
        await db.close()
      }
      const inMemory = await open('/db', { fs: new MemFileSystem() })
      expect(inMemory.stats().memory.workerThreads).toBe(0)
      await inMemory.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reports each part, and keeps memtables, cache, index and filter within the budget as tables pile up', async () => {
    // Tiny blocks and many bloom bits make index and filter blocks large next to the budget.
    const budget = 2 * MiB
    const db = await open('/db', {
      fs: new MemFileSystem(), memoryBudget: budget, memtableSize: 512 * 1024, blockSize: 64, bloomBitsPerKey: 40,
      l0CompactionTrigger: 2, l0SlowdownTrigger: 50, l0StopTrigger: 100,
    })
    const value = 'v'.repeat(40)
    let sawShrunkCache = false
    let sawShrunkMemtable = false
    for (let round = 0; round < 20; round++) {
      const b = db.batch()
      for (let i = 0; i < 2000; i++) b.put(key(round * 2000 + i), value)
      await b.write()
      for (let i = 0; i < 2000; i += 7) db.getSync(key(i))
      const m = db.stats().memory
      expect(m.total).toBe(m.memtable + m.frozenMemtables + m.blockCache + m.indexAndFilter)
      expect(m.blockCache).toBeLessThanOrEqual(m.blockCacheCapacity)
      expect(m.indexAndFilter).toBeGreaterThanOrEqual(0)
      // The cache gives way first, to a sixteenth of the budget; then memtables shrink.
      if (m.blockCacheCapacity < budget / 4) sawShrunkCache = true
      expect(m.blockCacheCapacity).toBeGreaterThanOrEqual(budget / 16)
      if (m.memtableLimit < 512 * 1024) sawShrunkMemtable = true
      expect(m.memtableLimit).toBeLessThanOrEqual(Math.max(MIN_MEMTABLE_BYTES, (budget - m.indexAndFilter - budget / 16) / 2))
      // While there is room above the floor, the parts stay within the budget.
      if (m.memtableLimit > MIN_MEMTABLE_BYTES) expect(2 * m.memtableLimit + m.blockCacheCapacity + m.indexAndFilter).toBeLessThanOrEqual(budget)
    }
    expect(sawShrunkCache).toBe(true)
    expect(sawShrunkMemtable).toBe(true)
    expect(db.stats().memory.indexAndFilter).toBeGreaterThan(budget / 4)
    for (let i = 0; i < 40000; i += 997) expect(db.getSync(key(i))?.toString()).toBe(value)
    await db.close()
  })

  it('reuses a flushed memtable\'s arena only once no iterator reads it (model: a sorted Map)', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = mulberry32(seed)
      const int = (n: number): number => Math.floor(rng() * n)
      const db = await open('/db', { fs: new MemFileSystem(), memtableSize: 4096 })
      const model = new Map<string, string>()
      const pending: { it: Iterable<readonly [Buffer, Buffer | undefined, ...unknown[]]>; expected: [string, string][] }[] = []
      const check = (i: number): void => {
        const o = pending.splice(i % pending.length, 1)[0]
        const got: [string, string][] = []
        for (const [k, v] of o.it) got.push([k.toString(), v!.toString()])
        expect(got).toEqual(o.expected)
      }
      for (let step = 0; step < 150; step++) {
        const r = rng()
        if (r < 0.55) {
          const k = key(int(300))
          const v = `value-${int(1e6)}-`.repeat(8)
          await db.put(k, v)
          model.set(k, v)
        } else if (r < 0.7) {
          const k = key(int(300))
          await db.del(k)
          model.delete(k)
        } else if (r < 0.8) {
          pending.push({ it: db.iterator(), expected: [...model].sort((a, b) => (a[0] < b[0] ? -1 : 1)) })
        } else if (r < 0.9) {
          await db.flush()
        } else if (pending.length > 0) {
          check(int(5))
        }
      }
      while (pending.length > 0) check(0)
      for (const [k, v] of model) expect(db.getSync(k)?.toString()).toBe(v)
      expect(db.stats().flushes).toBeGreaterThan(2)
      await db.close()
    }
  })

  it('hands a flushed memtable\'s arena to the next memtable, and lets it go when none comes for SPARE_IDLE_MS', () => {
    vi.useFakeTimers()
    try {
      const options = resolveOptions({ fs: new MemFileSystem(), memtableSize: MiB })
      const budget = new MemoryBudget(options, new BlockCache(MiB))
      const fill = (m: ReturnType<MemoryBudget['newMemtable']>) => {
        for (let i = 0; i < 1000; i++) m.add(Buffer.from(key(i)), i + 1, 1, Buffer.alloc(100, 7))
      }
      const stats = () => budget.stats(undefined as never, first, [], 0, 0)
      const first = budget.newMemtable(false)
      fill(first)
      budget.retire(first)
      expect(budget.hasSpare).toBe(true)
      const held = stats().frozenMemtables
      expect(held).toBeGreaterThan(100_000)
      // Taken by the next memtable before the timer fires.
      vi.advanceTimersByTime(SPARE_IDLE_MS - 1)
      const second = budget.newMemtable(false)
      expect(budget.hasSpare).toBe(false)
      expect(second.count).toBe(0)
      fill(second)
      budget.retire(second)
      expect(budget.hasSpare).toBe(true)
      // Writes at a rate that fills the active memtable within the horizon keep it.
      const third = budget.newMemtable(false)
      const active = budget.newMemtable(false)
      budget.retire(third)
      expect(budget.hasSpare).toBe(true)
      const perTick = Math.ceil(MiB / (SPARE_KEEP_HORIZON_MS / SPARE_IDLE_MS) / 130) + 100
      let n = 0
      for (let tick = 0; tick < 5; tick++) {
        for (let i = 0; i < perTick; i++, n++) active.add(Buffer.from(key(n)), n + 1, 1, Buffer.alloc(100, 7))
        vi.advanceTimersByTime(SPARE_IDLE_MS)
        expect(budget.hasSpare, `tick ${tick}`).toBe(true)
      }
      // Writes stop (or trickle): let go, and stats().memory no longer counts it.
      const spareBytes = budget.stats(undefined as never, active, [], 0, 0).frozenMemtables
      active.add(Buffer.from(key(n)), n + 1, 1, Buffer.alloc(100, 7))
      vi.advanceTimersByTime(SPARE_IDLE_MS)
      expect(budget.hasSpare).toBe(false)
      expect(stats().frozenMemtables).toBe(0)
      // Not collected yet, it is taken back by the next memtable rather than joined by a fresh one.
      const back = budget.newMemtable(false)
      expect(back.residentBytes).toBe(spareBytes)
      expect(back.count).toBe(0)
      expect(budget.newMemtable(false).residentBytes).toBeLessThan(4096)
    } finally {
      vi.useRealTimers()
    }
  })

  it('gives every memtable an arena of its size and a MiB, capped at 2 GiB, with only its header resident', () => {
    for (const memtableSize of [256 * 1024, 16 * MiB, 64 * MiB]) {
      const budget = new MemoryBudget(resolveOptions({ fs: new MemFileSystem(), memtableSize }), new BlockCache(MiB))
      const m = budget.newMemtable(false)
      expect(m.arenaCapacity, String(memtableSize)).toBe(memtableSize + MiB)
      expect(m.residentBytes).toBeLessThan(4096)
      expect(arenaSizeFor(memtableSize)).toBe(m.arenaCapacity)
    }
    expect(arenaSizeFor(4096 * MiB)).toBe(2 ** 31)
  })
})
