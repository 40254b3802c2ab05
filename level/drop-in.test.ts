// SettLevel as a drop-in for classic-level: datastore-level's way of opening, compression as a
// boolean, LevelDB tuning options ignored, ttl on puts, a LevelDB/RocksDB folder named as such,
// the engine reachable for transactions and TTL.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MemFileSystem } from '../engine/index.js'
import { SettLevel } from './index.js'
import { settOpenOptions } from './open-options.js'

const root = mkdtempSync(join(tmpdir(), 'sett-dropin-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('SettLevel as classic-level', () => {
  it("opens the way datastore-level does: open({ createIfMissing: true, compression: false })", async () => {
    const db = new SettLevel(join(root, 'datastore'), { valueEncoding: 'view' })
    await db.open({ createIfMissing: true, compression: false } as never)
    await db.put('/k', new Uint8Array([1, 2, 3]) as never)
    expect(Array.from((await db.get('/k')) as unknown as Uint8Array)).toEqual([1, 2, 3])
    await db.close()
    // Reopens with the other boolean and classic-level's tuning options, which it ignores.
    const again = new SettLevel(join(root, 'datastore'), { compression: true, cacheSize: 8 << 20, writeBufferSize: 4 << 20, maxOpenFiles: 100 } as never)
    await again.open()
    expect(await again.get('/k')).toBe('\u0001\u0002\u0003')
    await again.close()
  })

  it('maps compression booleans and drops only the known LevelDB tuning names', () => {
    expect(settOpenOptions({ compression: true } as never, {})).toEqual({ compression: 'lz4' })
    expect(settOpenOptions({}, { compression: false, cacheSize: 1, passive: false, createIfMissing: true })).toEqual({ compression: 'none', createIfMissing: true })
    expect(settOpenOptions({}, { memTableSize: 1 })).toEqual({ memTableSize: 1 })
  })

  it('refuses a misspelt option with the closest name', async () => {
    const db = new SettLevel('/x', { fs: new MemFileSystem(), memTableSize: 1024 } as never)
    const err = await db.open().then(() => undefined, (e: Error) => e)
    expect(String((err?.cause as Error | undefined)?.message)).toContain('did you mean memtableSize?')
  })

  it('puts with ttl expire; the engine is reachable for transactions', async () => {
    let now = 1_000_000
    const db = new SettLevel('/ttl', { fs: new MemFileSystem(), clock: () => now })
    await db.open()
    await db.put('short', 'lived', { ttl: 1000 } as never)
    await db.batch([{ type: 'put', key: 'b', value: 'v', ttl: 1000 } as never])
    await db.put('forever', 'here')
    expect(await db.get('short')).toBe('lived')
    now += 2000
    expect(await db.get('short')).toBeUndefined()
    expect(await db.get('b')).toBeUndefined()
    expect(await db.get('forever')).toBe('here')
    expect((await db.engine.getEntry(db.engineKey('forever')))?.expiresAt).toBe(0)
    await db.engine.transaction(async (txn) => {
      txn.put(db.engineKey('t'), 'x')
    })
    expect(await db.get('t')).toBe('x')
    await db.close()
    expect(() => db.engine).toThrow()
  })

  it('names a LevelDB or RocksDB directory as such', async () => {
    const leveldb = join(root, 'leveldb')
    mkdirSync(leveldb)
    writeFileSync(join(leveldb, 'CURRENT'), 'MANIFEST-000004\n')
    writeFileSync(join(leveldb, 'MANIFEST-000004'), Buffer.alloc(64, 1))
    writeFileSync(join(leveldb, 'LOG'), 'leveldb log')
    writeFileSync(join(leveldb, '000005.ldb'), Buffer.alloc(64, 2))
    const rocks = join(root, 'rocksdb')
    mkdirSync(rocks)
    writeFileSync(join(rocks, 'CURRENT'), 'MANIFEST-000004\n')
    writeFileSync(join(rocks, 'MANIFEST-000004'), Buffer.alloc(64, 1))
    writeFileSync(join(rocks, 'IDENTITY'), 'id')
    writeFileSync(join(rocks, 'OPTIONS-000007'), '[Version]')
    for (const [dir, kind] of [[leveldb, 'LevelDB'], [rocks, 'RocksDB']]) {
      const db = new SettLevel(dir)
      const err = await db.open({ createIfMissing: false }).then(() => undefined, (e: Error) => e)
      expect(String((err?.cause as Error | undefined)?.message)).toContain(`is a ${kind} database, not a Sett one`)
    }
  })
})
