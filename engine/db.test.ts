// The engine's public API: typed errors for bad input, a closed database and a held lock; basic
// reads, writes, batches, iterators and snapshots; a real-disk reopen.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MemFileSystem } from '../base/mem-fs.js'
import {
  ClosedError, type DB, InvalidArgumentError, LockError, MAX_KEY_SIZE, NotFoundError, open,
} from './index.js'

const enc = (s: string) => new TextEncoder().encode(s)
const str = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString())

describe('DB', () => {
  let db: DB | undefined
  afterEach(async () => {
    await db?.close()
    db = undefined
  })

  it('puts, gets, deletes, and returns undefined for a missing key', async () => {
    db = await open('/db', { fs: new MemFileSystem() })
    await db.put('a', 'one')
    await db.put(enc('b'), enc('two'))
    expect(str(await db.get('a'))).toBe('one')
    expect(str(db.getSync('b'))).toBe('two')
    expect(await db.get('zzz')).toBeUndefined()
    await db.del('a')
    expect(await db.get('a')).toBeUndefined()
    const v = await db.get('b')
    v![0] = 0 // the caller owns the copy
    expect(str(await db.get('b'))).toBe('two')
  })

  it('has() answers from the LSM, at the latest state or a snapshot', async () => {
    db = await open('/db', { fs: new MemFileSystem(), valueThreshold: 16 })
    await db.put('small', 'x')
    await db.put('large', 'y'.repeat(100))
    const snap = db.snapshot()
    await db.del('small')
    expect(await db.has('large')).toBe(true)
    expect(db.hasSync('small')).toBe(false)
    expect(db.hasSync('small', { snapshot: snap })).toBe(true)
    expect(await db.has('never')).toBe(false)
    snap.release()
  })

  it('refuses bad keys and values with InvalidArgumentError and code', async () => {
    db = await open('/db', { fs: new MemFileSystem() })
    await expect(db.put('', 'x')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(db.put(new Uint8Array(MAX_KEY_SIZE + 1), 'x')).rejects.toMatchObject({ code: 'SETT_INVALID_ARGUMENT' })
    await expect(db.put(42 as unknown as string, 'x')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(db.put('k', null as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(db.get(undefined as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(db.batch([{ type: 'nope', key: 'k' } as never])).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(db.put('k', 'v', { sync: 'yes' as unknown as boolean })).rejects.toBeInstanceOf(InvalidArgumentError)
    // A failed batch wrote nothing.
    await expect(db.batch([{ type: 'put', key: 'ok', value: 'v' }, { type: 'put', key: '', value: 'v' }])).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(await db.get('ok')).toBeUndefined()
    await expect(open('/db2', { fs: new MemFileSystem(), memtableSize: -1 })).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('copies keys and values at the call: reusing a buffer before the write resolves changes nothing', async () => {
    db = await open('/db', { fs: new MemFileSystem(), sync: true })
    const k = Buffer.from('key-0')
    const v = Buffer.from('value-0')
    const writes: Promise<void>[] = []
    for (let i = 0; i < 5; i++) {
      k.write(`key-${i}`)
      v.write(`value-${i}`)
      writes.push(db.put(k, v))
    }
    await Promise.all(writes)
    for (let i = 0; i < 5; i++) expect(str(await db.get(`key-${i}`))).toBe(`value-${i}`)
  })

  it('copies stay apart across many writes in flight from one reused buffer (past several copy slabs)', async () => {
    db = await open('/db', { fs: new MemFileSystem() })
    const k = new Uint8Array(24)
    const v = new Uint8Array(300)
    const fill = (buf: Uint8Array, tag: string) => {
      buf.fill(0)
      buf.set(Buffer.from(tag))
    }
    const writes: Promise<void>[] = []
    const batches = [db.batch(), db.batch()]
    // ~3,000 keys (72 KiB of key copies, 900 KiB of value copies): many slabs of each.
    for (let i = 0; i < 3000; i++) {
      fill(k, `k${i}`)
      fill(v, `v${i}-${'z'.repeat(i % 200)}`)
      if (i % 3 === 0) writes.push(db.put(k, v))
      else batches[i % 3 - 1].put(k, v)
      if (i % 500 === 499) for (let j = 0; j < 2; j++) {
        writes.push(batches[j].write())
        batches[j] = db.batch()
      }
    }
    for (const b of batches) writes.push(b.write())
    k.fill(7)
    v.fill(7)
    await Promise.all(writes)
    for (let i = 0; i < 3000; i += 7) {
      fill(k, `k${i}`)
      fill(v, `v${i}-${'z'.repeat(i % 200)}`)
      expect(Buffer.compare((await db.get(Buffer.from(k)))!, Buffer.from(v)), `key ${i}`).toBe(0)
    }
  })

  it('iterated keys and values from tables are the caller’s copies', async () => {
    db = await open('/db', { fs: new MemFileSystem() })
    for (let i = 0; i < 50; i++) await db.put(`key${i}`, 'x'.repeat(200))
    await db.flush()
    const before = [...db.iterator()].map(([k, v]) => `${k}=${v}`)
    for (const [k, v] of db.iterator()) {
      k.fill(0)
      v.fill(0)
    }
    expect([...db.iterator()].map(([k, v]) => `${k}=${v}`)).toEqual(before)
    expect([...db.iterator({ reverse: true })].map(([k, v]) => `${k}=${v}`)).toEqual(before.slice().reverse())
  })

  it('writes batches atomically, array and chained', async () => {
    db = await open('/db', { fs: new MemFileSystem() })
    await db.put('x', '0')
    await db.batch([{ type: 'put', key: 'a', value: '1' }, { type: 'del', key: 'x' }, { type: 'put', key: 'a', value: '2' }])
    expect(str(await db.get('a'))).toBe('2')
    expect(await db.get('x')).toBeUndefined()
    const b = db.batch().put('c', '3').del('a')
    expect(b.length).toBe(2)
    await b.write()
    expect(() => b.put('d', '4')).toThrow(InvalidArgumentError)
    expect(str(await db.get('c'))).toBe('3')
    expect(await db.get('a')).toBeUndefined()
  })

  it('fails with ClosedError after close, and close is idempotent', async () => {
    const d = await open('/db', { fs: new MemFileSystem() })
    await d.close()
    await d.close()
    await expect(d.put('a', 'b')).rejects.toBeInstanceOf(ClosedError)
    await expect(d.get('a')).rejects.toMatchObject({ code: 'SETT_CLOSED' })
    expect(() => d.iterator()).toThrow(ClosedError)
    expect(() => d.snapshot()).toThrow(ClosedError)
  })

  it('an iterator left open when the database closes throws ClosedError on its next step', async () => {
    const d = await open('/db', { fs: new MemFileSystem() })
    await d.put('a', '1')
    await d.put('b', '2')
    const it = d.iterator()
    expect(it.nextSync()![0].toString()).toBe('a')
    await d.close()
    expect(() => it.nextSync()).toThrow(ClosedError)
  })

  it('concurrent writers, flushes, compactRange and reads agree with the model at the end', async () => {
    db = await open('/db', { fs: new MemFileSystem(), memtableSize: 2048, l0CompactionTrigger: 2, levelBaseBytes: 8192, tableTargetSize: 2048 })
    const d = db
    const writer = async (w: number) => {
      for (let i = 0; i < 300; i++) {
        await d.put(`w${w}-${i % 97}`, `v${i}`)
        if (i % 50 === 0) await d.del(`w${w}-${(i + 1) % 97}`)
      }
    }
    const reader = async () => {
      for (let i = 0; i < 200; i++) {
        d.getSync(`w1-${i % 97}`)
        if (i % 20 === 0) [...d.iterator({ prefix: 'w2-', limit: 10 })]
        await new Promise((r) => setImmediate(r))
      }
    }
    await Promise.all([writer(1), writer(2), writer(3), reader(), d.compactRange(), d.flush(), d.compactRange('w2', 'w3')])
    await d.compactRange()
    for (let w = 1; w <= 3; w++) {
      // The last write to each key wins: replay the writer's own sequence.
      const model = new Map<string, string | undefined>()
      for (let i = 0; i < 300; i++) {
        model.set(`w${w}-${i % 97}`, `v${i}`)
        if (i % 50 === 0) model.set(`w${w}-${(i + 1) % 97}`, undefined)
      }
      for (const [k, v] of model) expect(str(d.getSync(k)), k).toBe(v)
    }
    expect(d.stats().compactions).toBeGreaterThan(0)
  })

  it('holds the directory lock until close; a reopen after close works', async () => {
    const fs = new MemFileSystem()
    db = await open('/db', { fs })
    await expect(open('/db', { fs })).rejects.toBeInstanceOf(LockError)
    await db.put('k', 'v')
    await db.close()
    db = await open('/db', { fs })
    expect(str(await db.get('k'))).toBe('v')
  })

  it('honours createIfMissing and errorIfExists', async () => {
    const fs = new MemFileSystem()
    await expect(open('/nope', { fs, createIfMissing: false })).rejects.toBeInstanceOf(NotFoundError)
    db = await open('/db', { fs })
    await db.close()
    await expect(open('/db', { fs, errorIfExists: true })).rejects.toBeInstanceOf(InvalidArgumentError)
    db = undefined
  })

  it('iterates ranges, prefixes, reverse, limit and keys only', async () => {
    db = await open('/db', { fs: new MemFileSystem() })
    for (const k of ['a', 'ab', 'abc', 'b', 'ba', 'c']) await db.put(k, k.toUpperCase())
    await db.del('ba')
    const keys = (o: object) => [...db!.iterator(o)].map(([k]) => k.toString())
    expect(keys({})).toEqual(['a', 'ab', 'abc', 'b', 'c'])
    expect(keys({ prefix: 'a' })).toEqual(['a', 'ab', 'abc'])
    expect(keys({ prefix: 'a', reverse: true })).toEqual(['abc', 'ab', 'a'])
    expect(keys({ gt: 'a', lte: 'b' })).toEqual(['ab', 'abc', 'b'])
    expect(keys({ gte: 'ab', lt: 'c', reverse: true, limit: 2 })).toEqual(['b', 'abc'])
    const ko = [...db.iterator({ keysOnly: true })]
    expect(ko.every(([, v]) => v === undefined)).toBe(true)
    const entries = []
    for await (const [k, v] of db.iterator({ prefix: 'ab' })) entries.push(`${k}=${v}`)
    expect(entries).toEqual(['ab=AB', 'abc=ABC'])
  })

  it('seeks forward and backward within the range', async () => {
    db = await open('/db', { fs: new MemFileSystem(), memtableSize: 1024 })
    for (let i = 0; i < 100; i++) await db.put(`k${String(i).padStart(3, '0')}`, `v${i}`)
    await db.del('k050')
    const it = db.iterator({ gte: 'k010', lt: 'k090' })
    it.seek('k049')
    expect(it.nextv(3).map(([k]) => k.toString())).toEqual(['k049', 'k051', 'k052'])
    it.seek('k000') // before the range: clamps to its start
    expect(it.nextSync()![0].toString()).toBe('k010')
    it.seek('k095') // past the range: nothing left
    expect(it.nextSync()).toBeUndefined()
    const rev = db.iterator({ reverse: true, gt: 'k020' })
    rev.seek('k050')
    expect(rev.nextv(2).map(([k]) => k.toString())).toEqual(['k049', 'k048'])
    rev.seek('k0305') // between keys: the last key <= target
    expect(rev.nextSync()![0].toString()).toBe('k030')
    rev.seek('k999')
    expect(rev.nextSync()![0].toString()).toBe('k099')
    rev.close()
  })

  it('estimates the table bytes of a key range', async () => {
    db = await open('/db', { fs: new MemFileSystem(), blockSize: 256, compression: 'none' })
    for (let i = 0; i < 1000; i++) await db.put(`k${String(i).padStart(4, '0')}`, 'x'.repeat(100))
    await db.compactRange()
    const all = db.approximateSize('k', 'l')
    const half = db.approximateSize('k0000', 'k0500')
    expect(all).toBeGreaterThan(100_000)
    expect(half / all).toBeGreaterThan(0.4)
    expect(half / all).toBeLessThan(0.6)
    expect(db.approximateSize('z', 'zz')).toBe(0)
  })

  it('reads a snapshot as of its creation, across flushes', async () => {
    db = await open('/db', { fs: new MemFileSystem(), memtableSize: 1024 })
    await db.put('k', 'old')
    const snap = db.snapshot()
    await db.put('k', 'new')
    await db.del('gone')
    for (let i = 0; i < 100; i++) await db.put(`fill${i}`, 'x'.repeat(50))
    await db.compactRange()
    expect(str(await db.get('k', { snapshot: snap }))).toBe('old')
    expect(str(await db.get('k'))).toBe('new')
    expect([...db.iterator({ snapshot: snap })].map(([k]) => k.toString())).toEqual(['k'])
    snap.release()
    expect(() => db!.getSync('k', { snapshot: snap })).toThrow(InvalidArgumentError)
  })

  it('an open iterator keeps reading the data it started on while compaction replaces files', async () => {
    db = await open('/db', { fs: new MemFileSystem(), memtableSize: 1024 })
    for (let i = 0; i < 200; i++) await db.put(`k${String(i).padStart(3, '0')}`, `v${i}`)
    await db.flush()
    const it = db.iterator()
    const first = it.nextSync()!
    for (let i = 0; i < 200; i++) await db.put(`k${String(i).padStart(3, '0')}`, `w${i}`)
    await db.compactRange()
    const rest = it.all()
    expect([first, ...rest].map(([, v]) => v.toString())).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`))
    expect(str(await db.get('k000'))).toBe('w0')
  })

  it('group commit: many concurrent synced writes all land', async () => {
    db = await open('/db', { fs: new MemFileSystem(), sync: true })
    await Promise.all(Array.from({ length: 500 }, (_, i) => db!.put(`k${i}`, `v${i}`)))
    for (let i = 0; i < 500; i += 37) expect(str(await db.get(`k${i}`))).toBe(`v${i}`)
    expect(db.stats().lastSeq).toBe(500)
  })
})

describe('DB on the real file system', () => {
  let dir: string
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('compacts in the worker thread (loaded from TypeScript sources here) and reads back exactly', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sett-db-'))
    const options = { memtableSize: 16 * 1024, tableTargetSize: 16 * 1024, levelBaseBytes: 64 * 1024, l0CompactionTrigger: 2, valueThreshold: 256 }
    let db = await open(dir, options)
    const model = new Map<string, string>()
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3000; i++) {
        const v = `r${round}-${i}-`.padEnd(i % 7 === 0 ? 400 : 30, 'x')
        await db.put(`key${String(i).padStart(5, '0')}`, v)
        model.set(`key${String(i).padStart(5, '0')}`, v)
      }
    }
    for (let i = 0; i < 3000; i += 3) {
      await db.del(`key${String(i).padStart(5, '0')}`)
      model.delete(`key${String(i).padStart(5, '0')}`)
    }
    await db.compactRange()
    const s = db.stats()
    expect(s.compactionInWorker).toBe(true)
    expect(s.compactions).toBeGreaterThan(3)
    expect(s.compactionBytesWritten).toBeGreaterThan(0)
    const got = [...db.iterator()].map(([k, v]) => `${k}=${v}`)
    expect(got).toEqual([...model].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`))
    await db.close()
    db = await open(dir, options)
    expect(str(await db.get('key00001'))).toBe(model.get('key00001'))
    expect(await db.get('key00003')).toBeUndefined()
    await db.close()
  })

  it('writes, flushes, reopens and reads back', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sett-db-'))
    let db = await open(dir, { memtableSize: 64 * 1024 })
    for (let i = 0; i < 5000; i++) await db.put(`key${i}`, `value${i}`)
    await db.close()
    db = await open(dir)
    expect(str(await db.get('key4999'))).toBe('value4999')
    expect([...db.iterator({ keysOnly: true })].length).toBe(5000)
    await expect(open(dir)).rejects.toBeInstanceOf(LockError)
    await db.close()
  })
})
