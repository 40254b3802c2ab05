// dropPrefix and dropAll: visible at once, exact about what they drop (writes before the call,
// not after), quick (tables holding only dropped keys go without being rewritten), lasting across
// reopen, and the value-log space comes back through GC.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../base/errors.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng } from '../tests/support/rng.js'
import { type Options, open } from './index.js'

const options = (fs: MemFileSystem): Options => ({
  fs, memtableSize: 16 * 1024, tableTargetSize: 8 * 1024, levelBaseBytes: 32 * 1024, valueThreshold: 512,
  valueLogFileSize: 32 * 1024,
})
const keys = (db: Awaited<ReturnType<typeof open>>, o = {}) => [...db.iterator({ keysOnly: true, ...o })].map(([k]) => k.toString())

describe('dropPrefix', () => {
  it('drops the prefix at once and for good, keeps the rest, and never drops a later write', async () => {
    const fs = new MemFileSystem()
    let db = await open('/db', options(fs))
    const rng = makeRng(5)
    for (const p of ['apple', 'banana', 'cherry']) {
      for (let i = 0; i < 300; i++) await db.put(`${p}:${String(i).padStart(3, '0')}`, rng.bytes(i % 10 === 0 ? 2000 : 60))
    }
    await db.compactRange()
    const tablesBefore = db.stats().levels.reduce((n, l) => n + l.files, 0)
    const snap = db.snapshot()
    // Queued before the drop: dropped. Queued after: kept.
    const before = db.put('banana:late', 'x')
    const drop = db.dropPrefix('banana', 'cherry:1')
    const after = db.put('banana:later', 'y')
    await Promise.all([before, drop, after])
    expect(keys(db, { prefix: 'banana' })).toEqual(['banana:later'])
    expect(keys(db, { prefix: 'cherry:1' })).toEqual([])
    expect(keys(db, { prefix: 'cherry' }).length).toBe(200)
    expect(keys(db, { prefix: 'apple' }).length).toBe(300)
    expect(await db.get('banana:001')).toBeUndefined()
    // Snapshots see the drop too (it is not a write in their past).
    expect(await db.get('banana:001', { snapshot: snap })).toBeUndefined()
    snap.release()
    // The tables that held only banana keys are gone without a compaction.
    const s = db.stats()
    expect(s.levels.reduce((n, l) => n + l.files, 0)).toBeLessThan(tablesBefore)
    await db.close()
    db = await open('/db', options(fs))
    expect(keys(db, { prefix: 'banana' })).toEqual(['banana:later'])
    expect(keys(db).length).toBe(300 + 200 + 1)
    await db.close()
  })

  it('dropAll empties the database; compaction and GC give the space back; new writes work', async () => {
    const fs = new MemFileSystem()
    const db = await open('/db', options(fs))
    const rng = makeRng(9)
    for (let i = 0; i < 200; i++) await db.put(`k${i}`, rng.bytes(1500))
    await db.flush()
    await db.put('in-memtable', 'x')
    await db.dropAll()
    expect(keys(db)).toEqual([])
    await db.put('fresh', 'v')
    await db.compactRange()
    while (await db.runValueLogGC(0.5));
    const vlogBytes = fs.list('/db').filter((f) => f.endsWith('.vlog')).reduce((n, f) => n + fs.readFile(`/db/${f}`).length, 0)
    expect(vlogBytes).toBeLessThan(64 * 1024)
    expect(keys(db)).toEqual(['fresh'])
    await db.close()
  })

  it('keeps a drop record while a table may hold what it covers, and forgets it at an open after that', async () => {
    const fs = new MemFileSystem()
    let db = await open('/db', options(fs))
    for (let i = 0; i < 400; i++) await db.put(`${i % 2 ? 'x' : 'y'}:${String(i).padStart(4, '0')}`, `v${i}`)
    await db.compactRange()
    await db.dropPrefix('x:')
    expect(db.stats().droppedPrefixes).toBe(1)
    await db.close()
    db = await open('/db', options(fs))
    // The x: keys share tables with y: keys, so no table went whole: the record must stay.
    expect(db.stats().droppedPrefixes).toBe(1)
    expect(keys(db, { prefix: 'x:' })).toEqual([])
    await db.compactRange()
    await db.close()
    db = await open('/db', options(fs))
    expect(db.stats().droppedPrefixes).toBe(0)
    expect(keys(db, { prefix: 'x:' })).toEqual([])
    expect(keys(db, { prefix: 'y:' }).length).toBe(200)
    await db.close()
  })

  it('refuses a call without prefixes or with a bad one', async () => {
    const db = await open('/db', options(new MemFileSystem()))
    await expect(db.dropPrefix()).rejects.toThrow(InvalidArgumentError)
    await expect(db.dropPrefix(42 as unknown as string)).rejects.toThrow(InvalidArgumentError)
    await db.close()
  })
})
