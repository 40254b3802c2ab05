// SettLevel beyond what abstract-level's suite (tests/level/suite.ts) checks: the README's
// sublevel + JSON example, seeks over flushed tables, getSync/has, explicit snapshots across a
// compaction, the tagged key format, the additional methods, options and error codes.

import { afterEach, describe, expect, it } from 'vitest'
import { MemFileSystem, open } from '../engine/index.js'
import { MAX_LEVEL_KEY_SIZE, SettLevel } from './index.js'

describe('SettLevel', () => {
  const dbs: SettLevel<any, any>[] = []
  const make = <K = string, V = string>(options: ConstructorParameters<typeof SettLevel<K, V>>[1] = {}) => {
    const db = new SettLevel<K, V>('/db', { fs: new MemFileSystem(), ...options })
    dbs.push(db)
    return db
  }
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.close()
  })

  it('runs the README example: a sublevel with JSON values', async () => {
    const db = make()
    const users = db.sublevel<string, { name: string; born: number }>('users', { valueEncoding: 'json' })
    await users.put('ada', { name: 'Ada Lovelace', born: 1815 })
    await users.batch([{ type: 'put', key: 'grace', value: { name: 'Grace Hopper', born: 1906 } }])
    expect(await users.get('ada')).toEqual({ name: 'Ada Lovelace', born: 1815 })
    expect(await users.values({ gte: 'b' }).all()).toEqual([{ name: 'Grace Hopper', born: 1906 }])
    // The parent sees prefixed keys and the JSON text.
    expect(await db.iterator().all()).toEqual([
      ['!users!ada', '{"name":"Ada Lovelace","born":1815}'],
      ['!users!grace', '{"name":"Grace Hopper","born":1906}'],
    ])
    await users.clear()
    expect(await db.keys().all()).toEqual([])
  })

  it('iterates a range and seeks, over the memtable and over flushed tables', async () => {
    const db = make({ memtableSize: 512 })
    const keys = Array.from({ length: 200 }, (_, i) => `k${String(i).padStart(3, '0')}`)
    for (const k of keys) await db.put(k, `v-${k}`)
    await db.compactRange()
    await db.put('k050', 'newer') // one key newer in the memtable than in the tables
    const it = db.iterator({ gte: 'k040', lt: 'k060' })
    expect(await it.next()).toEqual(['k040', 'v-k040'])
    it.seek('k050')
    expect(await it.nextv(3)).toEqual([['k050', 'newer'], ['k051', 'v-k051'], ['k052', 'v-k052']])
    it.seek('k070') // outside the range: the iterator ends
    expect(await it.next()).toBeUndefined()
    it.seek('k058') // and a seek inside it starts it again, even after the end
    expect(await it.all()).toEqual([['k058', 'v-k058'], ['k059', 'v-k059']])
    const rev = db.keys({ lte: 'k010', reverse: true, limit: 3 })
    rev.seek('k005')
    expect(await rev.all()).toEqual(['k005', 'k004', 'k003'])
  })

  it('reads synchronously with getSync and answers has/hasMany', async () => {
    const db = make<string, { n: number }>({ valueEncoding: 'json' })
    await db.open()
    await db.put('a', { n: 1 })
    expect(db.getSync('a')).toEqual({ n: 1 })
    expect(db.getSync('b')).toBeUndefined()
    expect(await db.has('a')).toBe(true)
    expect(await db.hasMany(['a', 'b'])).toEqual([true, false])
  })

  it('reads an explicit snapshot across later writes, a flush and a compaction', async () => {
    const db = make({ memtableSize: 1024 })
    await db.batch([{ type: 'put', key: 'x', value: '1' }, { type: 'put', key: 'y', value: '1' }])
    const snapshot = db.snapshot()
    await db.put('x', '2')
    await db.del('y')
    await db.compactRange()
    expect(await db.get('x', { snapshot })).toBe('1')
    expect(db.getSync('y', { snapshot })).toBe('1')
    expect(await db.iterator({ snapshot }).all()).toEqual([['x', '1'], ['y', '1']])
    expect(await db.iterator().all()).toEqual([['x', '2']])
    await snapshot.close()
    await expect(db.get('x', { snapshot })).rejects.toMatchObject({ code: 'LEVEL_SNAPSHOT_NOT_OPEN' })
  })

  it('stores empty keys, and every key behind one tag byte', async () => {
    const fs = new MemFileSystem()
    const db = make<Buffer, string>({ fs, keyEncoding: 'buffer' })
    await db.put(Buffer.alloc(0), 'empty')
    await db.put(Buffer.from([0xff]), 'ff')
    expect(await db.get(Buffer.alloc(0))).toBe('empty')
    expect(await db.keys().all()).toEqual([Buffer.alloc(0), Buffer.from([0xff])])
    await db.close()
    const raw = await open('/db', { fs })
    expect(raw.iterator({ keysOnly: true }).all().map(([k]) => [...k])).toEqual([[0x00], [0x00, 0xff]])
    await raw.close()
  })

  it('has approximateSize and compactRange, as classic-level does', async () => {
    const db = make({ memtableSize: 4096 })
    expect(db.supports.additionalMethods).toEqual({ approximateSize: true, compactRange: true })
    const value = 'x'.repeat(200)
    await db.batch(Array.from({ length: 500 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(3, '0')}`, value })))
    await db.compactRange('k000', 'k999')
    const all = await db.approximateSize('k', 'l')
    const half = await db.approximateSize('k000', 'k250')
    expect(all).toBeGreaterThan(0)
    expect(half).toBeGreaterThan(all / 4)
    expect(half).toBeLessThan(all)
    await db.close()
    await expect(db.approximateSize('a', 'b')).rejects.toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN' })
  })

  it('declares what it supports', () => {
    const db = make()
    expect(db.supports).toMatchObject({
      implicitSnapshots: true, explicitSnapshots: true, has: true, getSync: true, seek: true,
      createIfMissing: true, errorIfExists: true, permanence: false, // false: this one is in memory
    })
    const onDisk = new SettLevel('/never-opened')
    void onDisk.close() // called before the deferred open starts, so nothing touches the disk
    expect(onDisk.supports.permanence).toBe(true)
    expect(db.supports.encodings).toMatchObject({ buffer: true, view: true, utf8: true, json: true })
  })

  it('keeps engine options for every open, and hides them from open hooks', async () => {
    const fs = new MemFileSystem()
    const db = make<string, number[]>({ fs, memtableSize: 1024, valueEncoding: 'json' })
    const seen: unknown[] = []
    db.hooks.postopen.add(async (options) => void seen.push(options))
    await db.open()
    await db.put('a', [1])
    await db.close()
    await db.open()
    expect(await db.get('a')).toEqual([1])
    expect(seen).toEqual([{ createIfMissing: true, errorIfExists: false }, { createIfMissing: true, errorIfExists: false }])
  })

  it('maps engine errors to LEVEL codes, keeping the Sett error as cause', async () => {
    const fs = new MemFileSystem()
    const db = make({ fs })
    await db.open()
    const second = make({ fs })
    await expect(second.open()).rejects.toMatchObject({
      code: 'LEVEL_DATABASE_NOT_OPEN', cause: { code: 'LEVEL_LOCKED', cause: { code: 'SETT_LOCKED' } },
    })
    await expect(db.put('k'.repeat(MAX_LEVEL_KEY_SIZE + 1), 'v')).rejects.toMatchObject({ code: 'LEVEL_INVALID_KEY' })
    await db.put('k'.repeat(MAX_LEVEL_KEY_SIZE), 'v')
    const missing = new SettLevel('/missing', { fs, createIfMissing: false })
    await expect(missing.open()).rejects.toMatchObject({
      code: 'LEVEL_DATABASE_NOT_OPEN', cause: { message: expect.stringMatching(/does not exist/) },
    })
  })
})
