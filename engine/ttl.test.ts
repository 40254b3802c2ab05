// TTL, metadata and versions: expiry under an injected clock in every place an entry can live
// (memtable, tables, value log), reclaimed space, getEntry's metadata, and allVersions iterators
// under numVersionsToKeep.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../base/errors.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng } from '../tests/support/rng.js'
import { type Options, open } from './index.js'

function setup(extra: Options = {}) {
  const clock = { now: 1_000_000 }
  const fs = new MemFileSystem()
  const options: Options = {
    fs, clock: () => clock.now, memtableSize: 32 * 1024, tableTargetSize: 16 * 1024, levelBaseBytes: 64 * 1024,
    valueThreshold: 512, valueLogFileSize: 64 * 1024, ...extra,
  }
  return { clock, fs, options }
}

const tableBytes = (fs: MemFileSystem) => fs.list('/db').filter((f) => f.endsWith('.sst')).reduce((n, f) => n + fs.readFile(`/db/${f}`).length, 0)
const vlogBytes = (fs: MemFileSystem) => fs.list('/db').filter((f) => f.endsWith('.vlog')).reduce((n, f) => n + fs.readFile(`/db/${f}`).length, 0)

describe('TTL', () => {
  it('hides expired keys from get, has, iterators and keys-only iterators, in memtable, tables and value log', async () => {
    const { clock, options } = setup()
    let db = await open('/db', options)
    const big = Buffer.alloc(2000, 7)
    await db.put('small-ttl', 'v', { ttl: 100 })
    await db.put('big-ttl', big, { ttl: 100 })
    await db.put('forever', 'x')
    await db.batch([{ type: 'put', key: 'batch-ttl', value: 'b', expiresAt: clock.now + 200 }])
    for (const stage of ['memtable', 'tables', 'reopened']) {
      if (stage === 'tables') await db.flush()
      if (stage === 'reopened') {
        await db.close()
        db = await open('/db', options)
      }
      clock.now = 1_000_050
      expect((await db.get('small-ttl'))?.toString(), stage).toBe('v')
      expect((await db.get('big-ttl'))?.equals(big), stage).toBe(true)
      expect([...db.iterator({ keysOnly: true })].map(([k]) => k.toString()), stage).toEqual(['batch-ttl', 'big-ttl', 'forever', 'small-ttl'])
      clock.now = 1_000_100
      expect(await db.get('small-ttl'), stage).toBeUndefined()
      expect(db.getSync('big-ttl'), stage).toBeUndefined()
      expect(await db.has('big-ttl'), stage).toBe(false)
      expect([...db.iterator()].map(([k]) => k.toString()), stage).toEqual(['batch-ttl', 'forever'])
      expect([...db.iterator({ reverse: true, keysOnly: true })].map(([k]) => k.toString()), stage).toEqual(['forever', 'batch-ttl'])
      clock.now = 1_000_200
      expect(await db.get('batch-ttl'), stage).toBeUndefined()
      clock.now = 1_000_000
    }
    await db.close()
  })

  it('an expired key reads as absent at snapshots too, and a newer write revives it', async () => {
    const { clock, options } = setup()
    const db = await open('/db', options)
    await db.put('k', 'old')
    await db.put('k', 'short', { ttl: 10 })
    const snap = db.snapshot()
    clock.now += 10
    expect(await db.get('k', { snapshot: snap })).toBeUndefined()
    await db.put('k', 'new')
    expect((await db.get('k'))?.toString()).toBe('new')
    snap.release()
    await db.close()
  })

  it('compaction and value-log GC give the space of expired entries back', async () => {
    const { clock, fs, options } = setup()
    const db = await open('/db', options)
    const rng = makeRng(3)
    for (let i = 0; i < 400; i++) {
      await db.put(`key${String(i).padStart(4, '0')}`, rng.bytes(i % 2 === 0 ? 100 : 1000), { ttl: 1000 })
    }
    await db.put('keep', 'me')
    await db.compactRange()
    const tablesBefore = tableBytes(fs)
    const vlogBefore = vlogBytes(fs)
    expect(tablesBefore).toBeGreaterThan(20_000)
    expect(vlogBefore).toBeGreaterThan(150_000)
    clock.now += 1000
    await db.compactRange()
    let collected = 0
    while (await db.runValueLogGC(0.5)) collected++
    expect(collected).toBeGreaterThan(0)
    // What is left: the one live key's table and the active value-log file.
    expect(tableBytes(fs)).toBeLessThan(tablesBefore / 10)
    expect(vlogBytes(fs)).toBeLessThan(vlogBefore / 2)
    expect([...db.iterator()].map(([k]) => k.toString())).toEqual(['keep'])
    await db.close()
  })

  it('refuses bad ttl, expiresAt and meta', async () => {
    const { options } = setup()
    const db = await open('/db', options)
    await expect(db.put('k', 'v', { ttl: -1 })).rejects.toThrow(InvalidArgumentError)
    await expect(db.put('k', 'v', { ttl: 5, expiresAt: 9 })).rejects.toThrow(InvalidArgumentError)
    await expect(db.put('k', 'v', { expiresAt: 1.5 })).rejects.toThrow(InvalidArgumentError)
    await expect(db.put('k', 'v', { meta: 256 })).rejects.toThrow(InvalidArgumentError)
    await expect(db.put('k', 'v', { meta: 'x' as unknown as number })).rejects.toThrow(InvalidArgumentError)
    expect(await db.get('k')).toBeUndefined()
    await db.close()
  })
})

describe('metadata and versions', () => {
  it('getEntry and entryInfo return version, expiry and meta, inline and in the value log, across flush and reopen', async () => {
    const { clock, options } = setup()
    let db = await open('/db', options)
    await db.put('a', 'inline', { meta: 7, expiresAt: clock.now + 5000 })
    await db.put('b', Buffer.alloc(3000, 1), { meta: 255 })
    await db.put('c', 'plain')
    for (let round = 0; round < 2; round++) {
      const a = db.getEntry('a')!
      expect([a.value.toString(), a.meta, a.expiresAt]).toEqual(['inline', 7, clock.now + 5000])
      const b = db.getEntry('b')!
      expect([b.value.length, b.meta, b.expiresAt]).toEqual([3000, 255, 0])
      expect(b.version).toBeGreaterThan(a.version)
      const infos = [...db.iterator({ entryInfo: true })].map(([k, , info]) => [k.toString(), info!.meta, info!.deleted])
      expect(infos).toEqual([['a', 7, false], ['b', 255, false], ['c', 0, false]])
      await db.flush()
      await db.close()
      db = await open('/db', options)
    }
    await db.close()
  })

  it('allVersions shows the versions numVersionsToKeep keeps, deletions marked, at each snapshot', async () => {
    const { options } = setup({ numVersionsToKeep: 3 })
    const db = await open('/db', options)
    const snaps = []
    for (let v = 1; v <= 5; v++) {
      await db.put('k', `v${v}`)
      snaps.push(db.snapshot())
    }
    await db.del('k')
    await db.put('k', 'v6')
    await db.put('other', 'o')
    const versions = (o = {}) => [...db.iterator({ allVersions: true, ...o })].map(([k, v, info]) =>
      `${k}:${v === undefined ? '-' : v.toString()}:${info!.deleted ? 'deleted' : 'live'}`)
    expect(versions()).toEqual(['k:v6:live', 'k:-:deleted', 'k:v5:live', 'k:v4:live', 'k:v3:live', 'k:v2:live', 'k:v1:live', 'other:o:live'])
    expect(versions({ snapshot: snaps[1] })).toEqual(['k:v2:live', 'k:v1:live'])
    expect(versions({ reverse: true })).toEqual(['other:o:live', 'k:v6:live', 'k:-:deleted', 'k:v5:live', 'k:v4:live', 'k:v3:live', 'k:v2:live', 'k:v1:live'])
    for (const s of snaps) s.release()
    await db.compactRange()
    // No snapshot left: the deletion ends k's history, and at the bottom level it goes too.
    expect(versions()).toEqual(['k:v6:live', 'other:o:live'])
    await db.put('k', 'v7')
    await db.put('k', 'v8')
    await db.put('k', 'v9')
    await db.compactRange()
    expect(versions({ lt: 'l' })).toEqual(['k:v9:live', 'k:v8:live', 'k:v7:live'])
    expect((await db.get('k'))?.toString()).toBe('v9')
    await db.close()
  })
})
