// Value-log GC: space comes back, readers opened before a GC keep their values until they close,
// writes racing a GC are never undone, and all of it survives a reopen.

import { describe, expect, it } from 'vitest'
import { MemFileSystem } from '../base/mem-fs.js'
import { makeRng } from '../tests/support/rng.js'
import { type DB, type Options, open } from './index.js'

const options = (fs: MemFileSystem, extra: Options = {}): Options => ({
  fs, valueThreshold: 1024, valueLogFileSize: 256 * 1024, memtableSize: 64 * 1024, tableTargetSize: 64 * 1024,
  levelBaseBytes: 256 * 1024, ...extra,
})
const key = (i: number) => `key${String(i).padStart(5, '0')}`
const valueLogBytes = (db: DB) => db.stats().valueLogs.reduce((n, f) => n + f.bytes, 0)

/** Writes `keys` values of `size` bytes `rounds` times, then deletes every fifth key. */
async function churn(db: DB, keys: number, size: number, rounds: number, seed: number): Promise<Map<string, Buffer>> {
  const rng = makeRng(seed)
  const live = new Map<string, Buffer>()
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < keys; i += 50) {
      const b = db.batch()
      for (let j = i; j < Math.min(keys, i + 50); j++) {
        const v = Buffer.from(rng.bytes(size))
        b.put(key(j), v)
        live.set(key(j), v)
      }
      await b.write()
    }
  }
  for (let i = 0; i < keys; i += 5) {
    await db.del(key(i))
    live.delete(key(i))
  }
  return live
}

async function gcUntilDone(db: DB): Promise<number> {
  let n = 0
  while (await db.runValueLogGC(0.3)) n++
  return n
}

describe('value-log GC', () => {
  it('gives the space of overwritten and deleted values back', async () => {
    const fs = new MemFileSystem()
    let db = await open('/db', options(fs))
    const live = await churn(db, 2000, 4096, 4, 1)
    await db.compactRange()
    const before = valueLogBytes(db)
    const collected = await gcUntilDone(db)
    await db.compactRange()
    await gcUntilDone(db)
    const liveBytes = [...live.values()].reduce((n, v) => n + v.length, 0)
    const after = valueLogBytes(db)
    expect(collected).toBeGreaterThan(3)
    expect(after).toBeLessThan(before / 2)
    expect(after / liveBytes).toBeLessThanOrEqual(1.3)
    // On disk too: retired files are gone.
    const onDisk = fs.list('/db').filter((n) => n.endsWith('.vlog')).length
    expect(onDisk).toBe(db.stats().valueLogs.length)
    for (const [k, v] of live) expect(db.getSync(k)!.equals(v), k).toBe(true)
    await db.close()
    db = await open('/db', options(fs))
    for (const [k, v] of live) expect(db.getSync(k)!.equals(v), k).toBe(true)
    expect([...db.iterator({ keysOnly: true })].length).toBe(live.size)
    await db.close()
  })

  it('keeps an iterator and a snapshot opened before GC reading the old values until they close', async () => {
    const fs = new MemFileSystem()
    const db = await open('/db', options(fs))
    // Two rounds: the first is garbage no reader can see, the second is what the readers see.
    const old = await churn(db, 300, 2048, 2, 2)
    const snap = db.snapshot()
    const it = db.iterator()
    const first = it.nextSync()!
    await churn(db, 300, 2048, 2, 3)
    await db.compactRange()
    const filesBefore = new Set(db.stats().valueLogs.map((f) => f.number))
    expect(await gcUntilDone(db)).toBeGreaterThan(0)
    const retired = [...filesBefore].filter((n) => !db.stats().valueLogs.some((f) => f.number === n))
    expect(retired.length).toBeGreaterThan(0)
    // Retired from the manifest, still on disk for the open iterator.
    for (const n of retired) expect(fs.exists(`/db/${String(n).padStart(6, '0')}.vlog`)).toBe(true)
    const rest = it.all()
    const seen = new Map([first, ...rest].map(([k, v]) => [k.toString(), v]))
    expect(seen.size).toBe(old.size)
    for (const [k, v] of old) expect(seen.get(k)!.equals(v), k).toBe(true)
    for (const [k, v] of old) expect(db.getSync(k, { snapshot: snap })!.equals(v), k).toBe(true)
    snap.release()
    for (const n of retired) expect(fs.exists(`/db/${String(n).padStart(6, '0')}.vlog`)).toBe(false)
    await db.close()
  })

  it('never undoes a put or delete that lands while GC runs', async () => {
    const fs = new MemFileSystem()
    const db = await open('/db', options(fs))
    await churn(db, 500, 2048, 3, 4)
    await db.compactRange()
    const racing: Promise<void>[] = []
    const gc = gcUntilDone(db)
    for (let i = 1; i < 500; i += 7) {
      racing.push(i % 2 === 0 ? db.del(key(i)) : db.put(key(i), `raced ${i}`.padEnd(1500, '.')))
    }
    await Promise.all([gc, ...racing])
    await gcUntilDone(db)
    for (let i = 1; i < 500; i += 7) {
      const v = db.getSync(key(i))
      if (i % 2 === 0) expect(v, key(i)).toBeUndefined()
      else expect(v?.toString().startsWith(`raced ${i}`), key(i)).toBe(true)
    }
    await db.close()
  })

  it('iterates keys only without opening a value-log file, and reads values lazily', async () => {
    const fs = new MemFileSystem()
    let db = await open('/db', options(fs))
    await churn(db, 200, 2048, 1, 6)
    await db.close()
    const opened: string[] = []
    const openRead = fs.openRead.bind(fs)
    fs.openRead = (path: string) => {
      if (path.endsWith('.vlog')) opened.push(path)
      return openRead(path)
    }
    db = await open('/db', options(fs))
    opened.length = 0 // recovery scans the newest file once
    expect([...db.iterator({ keysOnly: true })].length).toBe(160) // churn deletes every fifth key
    expect(opened).toEqual([])
    const it = db.iterator()
    it.nextSync()
    expect(opened.length).toBe(1)
    it.close()
    await db.close()
  })

  it('refuses a bad ratio, and reports nothing to do on a database without garbage', async () => {
    const db = await open('/db', options(new MemFileSystem()))
    await expect(db.runValueLogGC(0)).rejects.toMatchObject({ code: 'SETT_INVALID_ARGUMENT' })
    await expect(db.runValueLogGC(1.5)).rejects.toMatchObject({ code: 'SETT_INVALID_ARGUMENT' })
    await db.put('a', 'x'.repeat(5000))
    expect(await db.runValueLogGC(0.5)).toBe(false)
    await db.close()
  })

  it('runs by itself with autoValueLogGC', async () => {
    const fs = new MemFileSystem()
    const db = await open('/db', options(fs, { autoValueLogGC: 0.5 }))
    const live = await churn(db, 1000, 2048, 4, 5)
    await db.compactRange()
    for (let i = 0; i < 200 && db.stats().valueLogGC.filesCollected === 0; i++) await new Promise((r) => setTimeout(r, 5))
    expect(db.stats().valueLogGC.filesCollected).toBeGreaterThan(0)
    for (const [k, v] of live) expect(db.getSync(k)!.equals(v), k).toBe(true)
    await db.close()
  })
})
