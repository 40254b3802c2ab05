// getMany and clear against a model (a sorted array of keys): clear's abstract-level semantics
// (bounds, prefix, limit from either end), a clear that leaves later writes alone, and getMany
// reading one snapshot.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../base/errors.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng, testSeed } from '../tests/support/rng.js'
import { type DB, open } from './index.js'
import { CLEAR_BATCH, type ClearOptions, type RangeHost, clearRange, getMany } from './range-clear.js'

// Until db.clear()/db.getMany() exist (they need engine/db.ts), the host is the public API.
const host = (db: DB): RangeHost => ({
  snapshot: () => db.snapshot(),
  getSync: (key, o) => db.getSync(key, o),
  iterator: (o) => db.iterator(o),
  batch: (ops, o) => db.batch(ops, o),
})
const keys = (db: DB) => [...db.iterator({ keysOnly: true })].map(([k]) => k.toString())

describe('clear', () => {
  it('model: random ranges, prefixes, limits and directions delete exactly what abstract-level says', async () => {
    const seed = testSeed()
    const rng = makeRng(seed)
    const db = await open('/db', { fs: new MemFileSystem(), memtableSize: 64 * 1024 })
    const word = () => Array.from({ length: 1 + rng.int(3) }, () => rng.pick(['a', 'b', 'c', 'd'])).join('')
    let model: string[] = []
    for (let round = 0; round < 60; round++) {
      const add = Array.from({ length: 20 }, word)
      await db.batch(add.map((key) => ({ type: 'put' as const, key, value: key })))
      model = [...new Set([...model, ...add])].sort()
      const o: ClearOptions = {}
      if (rng.chance(0.5)) o[rng.pick(['gt', 'gte'] as const)] = word()
      if (rng.chance(0.5)) o[rng.pick(['lt', 'lte'] as const)] = word()
      if (rng.chance(0.2)) o.prefix = word().slice(0, 1)
      if (rng.chance(0.5)) o.limit = rng.int(6)
      if (rng.chance(0.5)) o.reverse = true
      const s = (k: keyof ClearOptions) => o[k] as string
      let inRange = model.filter((k) => (o.gt === undefined || k > s('gt')) && (o.gte === undefined || k >= s('gte'))
        && (o.lt === undefined || k < s('lt')) && (o.lte === undefined || k <= s('lte')) && (o.prefix === undefined || k.startsWith(s('prefix'))))
      if (o.reverse) inRange.reverse()
      if (o.limit !== undefined) inRange = inRange.slice(0, o.limit)
      expect(await clearRange(host(db), o), `seed ${seed} ${JSON.stringify(o)}`).toBe(inRange.length)
      const gone = new Set(inRange)
      model = model.filter((k) => !gone.has(k))
      expect(keys(db), `seed ${seed} round ${round} ${JSON.stringify(o)}`).toEqual(model)
    }
    expect(await clearRange(host(db))).toBe(model.length)
    expect(keys(db)).toEqual([])
    await db.close()
  })

  it('clears more than one batch, and leaves alone what is written after it was called', async () => {
    const db = await open('/db', { fs: new MemFileSystem() })
    const n = CLEAR_BATCH * 2 + 17
    await db.batch(Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(5, '0')}`, value: 'v' })))
    const clearing = clearRange(host(db), { prefix: 'k' })
    await db.put('k99999', 'later') // queued after clear's snapshot was taken
    expect(await clearing).toBe(n)
    expect(keys(db)).toEqual(['k99999'])
    await db.close()
  })
})

describe('getMany', () => {
  it('reads every key at one snapshot, undefined where absent, and refuses bad keys', async () => {
    const db = await open('/db', { fs: new MemFileSystem() })
    await db.batch([{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'c', value: '3' }])
    expect(getMany(host(db), ['a', 'b', Buffer.from('c')]).map((v) => v?.toString())).toEqual(['1', undefined, '3'])
    const snap = db.snapshot()
    await db.put('b', '2')
    expect(getMany(host(db), ['a', 'b'], { snapshot: snap }).map((v) => v?.toString())).toEqual(['1', undefined])
    snap.release()
    expect(() => getMany(host(db), ['a', ''])).toThrow(InvalidArgumentError)
    expect(() => getMany(host(db), 'a' as unknown as string[])).toThrow(InvalidArgumentError)
    await db.close()
  })
})

describe('on the database', () => {
  it('db.getMany, db.clear and await using db', async () => {
    const fs = new MemFileSystem()
    {
      await using db = await open('/db', { fs })
      await db.batch(['a', 'b', 'c', 'd'].map((key) => ({ type: 'put' as const, key, value: key })))
      expect((await db.getMany(['a', 'x', 'd'])).map((v) => v?.toString())).toEqual(['a', undefined, 'd'])
      expect(await db.clear({ gt: 'a', limit: 2, reverse: true })).toBe(2)
      expect(keys(db)).toEqual(['a', 'b'])
    }
    // The scope's end closed it: the lock is free for another open.
    const again = await open('/db', { fs })
    expect(keys(again)).toEqual(['a', 'b'])
    expect(await again.clear()).toBe(2)
    expect(keys(again)).toEqual([])
    await again.close()
  })
})
