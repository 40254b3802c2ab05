// The block cache against a plain recency-ordered array: random gets, sets and table drops.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../base/errors.js'
import { ADMIT_EVERY, BlockCache } from './block-cache.js'
import type { Block } from './block-iter.js'
import { seededRandom } from '../tests/support/table-data.js'

const fakeBlock = (charge: number, tag: number) => ({ charge, tag }) as unknown as Block

describe('BlockCache', () => {
  it('behaves as an LRU bounded by bytes', () => {
    const seed = 2024
    const rng = seededRandom(seed)
    const capacity = 10_000
    const cache = new BlockCache(capacity)
    // Least recently used first.
    let model: Array<{ table: number; offset: number; block: Block }> = []
    const find = (t: number, o: number) => model.findIndex((e) => e.table === t && e.offset === o)
    let hits = 0
    for (let step = 0; step < 10_000; step++) {
      const table = rng.int(3)
      const offset = rng.int(10) * 100
      const r = rng()
      if (r < 0.5) {
        const got = cache.get(table, offset)
        const i = find(table, offset)
        expect(got, `seed ${seed} step ${step}`).toBe(i < 0 ? undefined : model[i].block)
        if (i >= 0) {
          hits++
          model.push(...model.splice(i, 1))
        }
      } else if (r < 0.98) {
        const charge = rng.chance(0.01) ? capacity + 1 : 1 + rng.int(1500)
        const block = fakeBlock(charge, step)
        cache.set(table, offset, block)
        const i = find(table, offset)
        if (i >= 0) model.splice(i, 1)
        if (charge <= capacity) {
          let total = model.reduce((n, e) => n + e.block.charge, 0)
          while (total + charge > capacity) total -= model.shift()!.block.charge
          model.push({ table, offset, block })
        }
      } else {
        cache.dropTable(table)
        model = model.filter((e) => e.table !== table)
      }
      expect(cache.size).toBe(model.reduce((n, e) => n + e.block.charge, 0))
      expect(cache.count).toBe(model.length)
      expect(cache.size).toBeLessThanOrEqual(capacity)
    }
    expect(cache.hits).toBe(hits)
    expect(hits).toBeGreaterThan(1000)
  })

  it('keeps nothing at capacity 0 and rejects a bad capacity', () => {
    const cache = new BlockCache(0)
    cache.set(1, 0, fakeBlock(1, 0))
    expect(cache.get(1, 0)).toBeUndefined()
    expect(cache.size).toBe(0)
    expect(() => new BlockCache(-1)).toThrow(InvalidArgumentError)
    expect(() => new BlockCache(Number.NaN)).toThrow(InvalidArgumentError)
  })

  it('takes every offered block while it has room, then one offer in ADMIT_EVERY', () => {
    const cache = new BlockCache(100)
    for (let i = 0; i < 10; i++) cache.offer(1, i, fakeBlock(10, i))
    expect([cache.size, cache.count]).toEqual([100, 10])
    for (let i = 10; i < 10 + 3 * ADMIT_EVERY; i++) cache.offer(1, i, fakeBlock(10, i))
    // Three taken, each evicting the least recently used block.
    expect(cache.count).toBe(10)
    const kept = Array.from({ length: 10 + 3 * ADMIT_EVERY }, (_, i) => i).filter((i) => cache.get(1, i) !== undefined)
    expect(kept).toEqual([3, 4, 5, 6, 7, 8, 9, 9 + ADMIT_EVERY, 9 + 2 * ADMIT_EVERY, 9 + 3 * ADMIT_EVERY])
    // Room again (a table dropped): taken at once.
    cache.dropTable(1)
    cache.offer(2, 0, fakeBlock(10, 0))
    expect(cache.get(2, 0)).toBeDefined()
  })

  it('clears everything', () => {
    const cache = new BlockCache(100)
    cache.set(1, 0, fakeBlock(10, 0))
    cache.set(2, 0, fakeBlock(10, 1))
    cache.clear()
    expect([cache.size, cache.count, cache.get(1, 0)]).toEqual([0, 0, undefined])
    cache.set(3, 5, fakeBlock(10, 2))
    expect(cache.count).toBe(1)
  })

  it('shares one table\'s slots among its readers, and takes a block from slots kept past dropTable', () => {
    const cache = new BlockCache(100)
    const a = cache.slots(7, 4)
    expect(cache.slots(7)).toBe(a)
    expect(a.blocks.length).toBe(4)
    const b1 = fakeBlock(10, 1)
    cache.put(a, 2, b1)
    expect(cache.get(7, 2)).toBe(b1)
    expect(cache.lookup(a, 2)).toBe(b1)
    cache.dropTable(7)
    expect([cache.size, cache.count, cache.lookup(a, 2)]).toEqual([0, 0, undefined])
    // A reader that outlived the drop (an iterator on an old version) caches again, and the next
    // dropTable finds those blocks too.
    cache.put(a, 3, fakeBlock(10, 2))
    expect(cache.slots(7)).toBe(a)
    expect(cache.count).toBe(1)
    cache.dropTable(7)
    expect([cache.size, cache.count]).toEqual([0, 0])
    // The same block set again under another key moves there.
    const b2 = fakeBlock(10, 3)
    cache.set(8, 0, b2)
    cache.set(8, 1, b2)
    expect([cache.get(8, 0), cache.get(8, 1), cache.count, cache.size]).toEqual([undefined, b2, 1, 10])
  })
})
