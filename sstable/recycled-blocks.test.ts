// Recycled blocks: a table iterator with recycleBlocks pins the cached block it is on (Block.pins)
// instead of escaping it, so the cache hands that block's buffer to a later block only once the
// cache has let it go and no iterator is on it; an ordinary iterator's blocks are never reused.
// And under churn (a small cache, iterators and transient gets interleaved) every iterator still
// reads what the table holds.

import { describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kind, MAX_SEQ } from '../base/internal-key.js'
import { RealFileSystem } from '../base/real-fs.js'
import type { InternalIterator } from '../base/internal-iterator.js'
import { seededRandom } from '../tests/support/table-data.js'
import { BlockCache } from './block-cache.js'
import { TableBuilder } from './table-builder.js'
import { TableReader } from './table-reader.js'

const N = 2000
const key = (i: number) => Buffer.from(`key${String(i).padStart(8, '0')}`)
const value = (i: number) => Buffer.from(`value ${i} `.repeat(8) + 'x'.repeat(i % 50))

function withTable(compression: 'lz4' | 'none', body: (fs: RealFileSystem, path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'sett-recycled-'))
  try {
    const fs = new RealFileSystem()
    const path = join(dir, 't.sst')
    const b = new TableBuilder(fs.create(path), { compression, blockSize: 1024 })
    for (let i = 0; i < N; i++) b.add(key(i), i + 1, Kind.Value, value(i))
    b.finish()
    body(fs, path)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Takes `count` buffers of `size` bytes from the cache: whether `buffer` was among them. */
function handsOut(cache: BlockCache, size: number, buffer: ArrayBufferLike, count = 20): boolean {
  let found = false
  for (let i = 0; i < count; i++) if (cache.takeBlock(size).data.buffer === buffer) found = true
  return found
}

describe('recycled blocks', () => {
  for (const compression of ['lz4', 'none'] as const) {
    it(`a pinned block's buffer is reused only after the cache let it go and its iterator moved on (${compression})`, () => {
      withTable(compression, (fs, path) => {
        const cache = new BlockCache(1 << 20)
        const r = TableReader.open(fs, path, 1, cache)
        const it = r.iterator({ recycleBlocks: true })
        it.first()
        const buffer = it.value().buffer
        const size = buffer.byteLength
        expect(cache.count).toBe(1)
        // Evicted while the iterator is on it: not handed out.
        cache.setCapacity(0)
        cache.setCapacity(1 << 20)
        expect(handsOut(cache, size, buffer)).toBe(false)
        expect(Buffer.from(it.value()).toString()).toBe(value(0).toString())
        // Off the block (into the next one): now it is.
        while (it.valid() && it.value().buffer === buffer) it.next()
        expect(it.valid()).toBe(true)
        expect(handsOut(cache, size, buffer)).toBe(true)
        it.close()
        r.close()
      })
    })

    it(`an ordinary iterator's blocks are never reused (${compression})`, () => {
      withTable(compression, (fs, path) => {
        const cache = new BlockCache(1 << 20)
        const r = TableReader.open(fs, path, 1, cache)
        const it = r.iterator()
        it.first()
        const buffer = it.value().buffer
        while (it.valid() && it.value().buffer === buffer) it.next()
        it.close()
        cache.setCapacity(0)
        cache.setCapacity(1 << 20)
        expect(handsOut(cache, buffer.byteLength, buffer)).toBe(false)
        r.close()
      })
    })

    it(`a dropped table's blocks leave their buffers to the next blocks, within the capacity (${compression})`, () => {
      withTable(compression, (fs, path) => {
        const cache = new BlockCache(64 * 1024)
        const r = TableReader.open(fs, path, 1, cache)
        for (let i = 0; i < N; i += 5) r.get(key(i), MAX_SEQ, true)
        const held = cache.size
        expect(held).toBeGreaterThan(32 * 1024)
        // What the cache holds now: buffers of unescaped blocks (transient gets).
        const buffers = new Set<ArrayBufferLike>()
        const it = r.iterator({ recycleBlocks: true })
        for (it.first(); it.valid(); it.next()) buffers.add(it.value().buffer)
        it.close()
        cache.dropTable(1)
        expect(cache.size).toBe(0)
        expect(cache.spareSize).toBeGreaterThan(held / 2)
        expect(cache.spareSize).toBeLessThanOrEqual(64 * 1024)
        const size = [...buffers][0].byteLength
        let reused = 0
        for (let k = 0; k < 20; k++) if (buffers.has(cache.takeBlock(size).data.buffer)) reused++
        expect(reused).toBeGreaterThan(0)
        // Spares and blocks together never exceed the capacity.
        cache.setCapacity(8 * 1024)
        expect(cache.size + cache.spareSize).toBeLessThanOrEqual(8 * 1024)
        r.close()
      })
    })

    it(`iterators and transient gets over a churning cache read what the table holds (${compression})`, () => {
      withTable(compression, (fs, path) => {
        const seed = 1412
        const rng = seededRandom(seed)
        const cache = new BlockCache(6 * 1024)
        const r = TableReader.open(fs, path, 1, cache)
        const its: Array<{ it: InternalIterator; at: number }> = []
        for (let k = 0; k < 3; k++) its.push({ it: r.iterator({ recycleBlocks: true }), at: -1 })
        const check = (step: number) => {
          for (const { it, at } of its) {
            if (at < 0 || at >= N) continue
            expect(it.valid(), `seed ${seed} step ${step}`).toBe(true)
            expect(Buffer.from(it.userKey()).toString(), `seed ${seed} step ${step}`).toBe(key(at).toString())
            expect(Buffer.from(it.value()).toString(), `seed ${seed} step ${step}`).toBe(value(at).toString())
          }
        }
        for (let step = 0; step < 20_000; step++) {
          const x = rng()
          const c = its[rng.int(its.length)]
          if (x < 0.05) {
            c.at = rng.int(N)
            c.it.seekGE(key(c.at), MAX_SEQ)
          } else if (x < 0.6) {
            if (c.at >= 0 && c.at < N) {
              c.it.next()
              c.at++
            }
          } else if (x < 0.65) {
            c.it.close()
            c.it = r.iterator({ recycleBlocks: true })
            c.at = -1
          } else {
            const i = rng.int(N)
            expect(Buffer.from(r.get(key(i), MAX_SEQ, true)!.value).toString(), `seed ${seed} step ${step}`).toBe(value(i).toString())
          }
          check(step)
        }
        for (const { it } of its) it.close()
        expect(cache.size + cache.spareSize).toBeLessThanOrEqual(6 * 1024)
        r.close()
      })
    })

    it(`random transient gets over more blocks than fit reuse the cache's block objects (${compression})`, () => {
      withTable(compression, (fs, path) => {
        const rng = seededRandom(77)
        const cache = new BlockCache(16 * 1024)
        const r = TableReader.open(fs, path, 1, cache)
        const slots = cache.slots(1).blocks
        const last: Array<object | undefined> = []
        const seen = new Set<object>()
        let admitted = 0
        for (let step = 0; step < 20_000; step++) {
          const i = rng.int(N)
          expect(Buffer.from(r.get(key(i), MAX_SEQ, true)!.value).toString(), `step ${step}`).toBe(value(i).toString())
          for (let b = 0; b < slots.length; b++) {
            const block = slots[b]
            if (block !== undefined && block !== last[b]) {
              admitted++
              seen.add(block)
            }
            last[b] = block
          }
        }
        // Hundreds of blocks were admitted in turn (one in ADMIT_EVERY misses once full), nearly
        // all into block objects the cache had let go: a new one only when no spare was of a size
        // that fits (a few size classes here).
        expect(r.blockCount).toBeGreaterThan(4 * cache.count)
        expect(admitted).toBeGreaterThan(1000)
        expect(seen.size).toBeLessThan(admitted / 5)
        r.close()
      })
    })
  }
})
