// The one failure rule: a failed write, fsync, create, rename or directory fsync of a file the
// engine vouches for fails the database. Every later write path rejects with FailedError
// (SETT_FAILED); reads, iterators, snapshots, backup and close() keep working; after a power
// loss a reopen holds every acknowledged write. Faults come from IOFaultFileSystem, which models
// Linux fsync (a failed fsync's bytes are gone, a later fsync of the file reports success).

import { describe, expect, it } from 'vitest'
import { FailedError, type IOFault, IOFaultFileSystem, MemFileSystem, type DB, type Options, open } from './index.js'

const isManifest = (p: string) => p.includes('MANIFEST-')

function setup(extra: Options = {}): { mem: MemFileSystem; fs: IOFaultFileSystem; options: Options } {
  const mem = new MemFileSystem()
  mem.mkdir('/b')
  const fs = new IOFaultFileSystem(mem)
  return { mem, fs, options: { fs, memtableSize: 64 * 1024, valueThreshold: 64, valueLogFileSize: 16 * 1024, autoValueLogGC: 0, ...extra } }
}

const value = (i: number, round = 0) => Buffer.alloc(100 + (i % 7) * 30, `v${round}-${i}|`)

async function expectFailed(p: Promise<unknown> | (() => unknown)): Promise<FailedError> {
  const err = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(() => undefined, (e: unknown) => e)
  expect(err, 'a write after the failure must be refused').toBeInstanceOf(FailedError)
  expect((err as FailedError).code).toBe('SETT_FAILED')
  return err as FailedError
}

/** After a power loss (the fault model's, lost fsync ranges zeroed), every acked key is there. */
async function reopenHolds(fs: IOFaultFileSystem, acked: Map<string, Buffer>, options: Options): Promise<void> {
  const after = fs.powerLoss({ seed: 7 })
  const db = await open('/db', { ...options, fs: after })
  for (const [k, v] of acked) expect(db.getSync(k)?.equals(v), `${k} after reopen`).toBe(true)
  await db.close()
}

async function fill(db: DB, acked: Map<string, Buffer>, n: number, round = 0): Promise<void> {
  for (let i = 0; i < n; i++) {
    const k = `k${String(i).padStart(4, '0')}`
    await db.put(k, value(i, round), { sync: true })
    acked.set(k, value(i, round))
  }
}

describe('the failed state', () => {
  it('a WAL fsync failing in flush()’s memtable rotation fails the engine; reads, backup and close still work', async () => {
    const { fs, options } = setup()
    const db = await open('/db', options)
    const acked = new Map<string, Buffer>()
    await fill(db, acked, 50)
    await db.put('unsynced', 'x', { sync: false })
    fs.arm({ kind: 'sync', errno: 'EIO', at: 1, path: (p) => p.endsWith('.wal') })
    await expect(db.flush()).rejects.toThrow(/EIO/)
    const failed = await expectFailed(db.put('after', 'y', { sync: true }))
    expect(failed.file).toMatch(/\.wal$/)
    expect(failed.cause).toBeDefined()
    // Every write path refuses.
    await expectFailed(db.del('k0001'))
    await expectFailed(db.batch([{ type: 'put', key: 'a', value: 'b' }]))
    await expectFailed(() => db.batch().put('a', 'b').write())
    await expectFailed(db.transaction((t) => t.put('a', 'b')))
    await expectFailed(() => db.writeBatch())
    await expectFailed(db.dropPrefix('k'))
    await expectFailed(db.flush())
    await expectFailed(db.compactRange())
    await expectFailed(db.runValueLogGC(0.1))
    await expectFailed(db.load('/b/none.bak'))
    // Reads, iterators, snapshots and backup keep working.
    expect(db.getSync('k0003')?.equals(value(3))).toBe(true)
    expect([...db.iterator()].length).toBe(acked.size + 1)
    const snap = db.snapshot()
    expect(db.getSync('k0004', { snapshot: snap })?.equals(value(4))).toBe(true)
    snap.release()
    await db.backup('/b/full.bak')
    await db.close()
    await reopenHolds(fs, acked, options)
  })

  it('a failure creating the new WAL when a full memtable rotates fails the engine', async () => {
    const { fs, options } = setup({ memtableSize: 8 * 1024, valueThreshold: 1 << 20 })
    const db = await open('/db', options)
    const acked = new Map<string, Buffer>()
    await fill(db, acked, 5)
    fs.arm({ kind: 'create', errno: 'ENOSPC', at: 1, path: (p) => p.endsWith('.wal') })
    let hit: unknown
    for (let i = 0; i < 500 && hit === undefined; i++) {
      await db.put(`m${i}`, value(i), { sync: true }).then(() => acked.set(`m${i}`, value(i)), (e: unknown) => (hit = e))
    }
    expect(fs.injected?.kind).toBe('create')
    expect(String(hit)).toMatch(/ENOSPC/)
    await expectFailed(db.put('after', 'y'))
    expect(db.getSync('m0')?.equals(value(0))).toBe(true)
    await db.close()
    await reopenHolds(fs, acked, options)
  })

  it('a failed directory fsync is fatal', async () => {
    const { fs, options } = setup()
    const db = await open('/db', options)
    const acked = new Map<string, Buffer>()
    await fill(db, acked, 20)
    fs.arm({ kind: 'syncDir', errno: 'EIO', at: 1 })
    await expect(db.flush()).rejects.toThrow(/EIO/)
    await expectFailed(db.put('after', 'y', { sync: true }))
    await db.close()
    await reopenHolds(fs, acked, options)
  })

  it('raising the last sequence (load) fails the engine when its manifest edit fails', async () => {
    const { fs, options } = setup()
    const db = await open('/db', options)
    const acked = new Map<string, Buffer>()
    await fill(db, acked, 5)
    fs.arm({ kind: 'sync', errno: 'EIO', at: 1, path: isManifest })
    await expect(db.loadTarget().raiseLastSeq(1000)).rejects.toThrow(/EIO/)
    await expectFailed(db.put('after', 'y', { sync: true }))
    await db.close()
    await reopenHolds(fs, acked, options)
  })

  it('every manifest fsync of a value-log GC run: the engine fails and the manifest still opens', async () => {
    let hits = 0
    for (let at = 1; at <= 8; at++) {
      const { fs, options } = setup()
      const db = await open('/db', options)
      const acked = new Map<string, Buffer>()
      await fill(db, acked, 120)
      // Flushed: synced large values are in the WAL and memtable until a flush writes them to a
      // whole value-log file, and an overwrite in the same memtable makes no garbage.
      await db.flush()
      await fill(db, acked, 60, 1) // half the first round's values become garbage: GC moves the rest
      await db.flush()
      await db.compactRange()
      fs.arm({ kind: 'sync', errno: 'EIO', at, path: isManifest })
      let err: unknown
      try {
        while (await db.runValueLogGC(0.2));
      } catch (e) {
        err = e
      }
      if (fs.injected === undefined) {
        await db.close()
        continue
      }
      hits++
      expect(String(err)).toMatch(/EIO/)
      await expectFailed(db.put('after', 'y', { sync: true }))
      for (const [k, v] of acked) expect(db.getSync(k)?.equals(v)).toBe(true)
      await db.close()
      await reopenHolds(fs, acked, options)
    }
    expect(hits).toBeGreaterThanOrEqual(4)
  })

  it('a failed key-registry rewrite during a data-key rotation fails the engine', async () => {
    const { fs, options } = setup({ encryptionKey: new Uint8Array(32).fill(7), encryptionKeyRotation: 1 })
    const db = await open('/db', options)
    const acked = new Map<string, Buffer>()
    // The directory fsync right after the new registry's rename is the one to fail.
    const rename = fs.rename.bind(fs)
    fs.rename = (from: string, to: string) => {
      rename(from, to)
      if (to.endsWith('KEYREGISTRY') && fs.injected === undefined) fs.arm({ kind: 'syncDir', errno: 'EIO', at: 1 })
    }
    // Each new file asks for the active key, which starts a rotation once it is due.
    for (let i = 0; i < 40 && fs.injected === undefined; i++) {
      await new Promise((r) => setTimeout(r, 2))
      await db.flush().catch(() => undefined)
      await db.put(`r${i}`, value(i), { sync: true }).then(() => acked.set(`r${i}`, value(i)), () => undefined)
    }
    expect(fs.injected?.kind).toBe('syncDir')
    await new Promise((r) => setTimeout(r, 5))
    await expectFailed(db.put('after', 'y', { sync: true }))
    await db.close()
    await reopenHolds(fs, acked, options)
  })

  it('a value-log fsync that fails outside the write path (GC closing the active file) still fails the engine', async () => {
    const { fs, options } = setup()
    const db = await open('/db', options)
    await db.put('big', Buffer.alloc(500, 1), { sync: false })
    fs.arm({ kind: 'sync', errno: 'EIO', at: 1, path: (p) => p.endsWith('.vlog') })
    const vlog = (db as unknown as { s: { vlog: { closeActive(): Promise<void> } } }).s.vlog
    await expect(vlog.closeActive()).rejects.toThrow(/EIO/)
    // A small unsynced write touches neither the value log nor an fsync: refused all the same.
    await expectFailed(db.put('small', 'x', { sync: false }))
    await db.close()
  })

  it('a memtable insert that throws after the WAL append fails the engine instead of reusing sequence numbers', async () => {
    const { options } = setup()
    const db = await open('/db', options)
    await db.put('a', '1')
    const mem = (db as unknown as { s: { mem: { add: (...args: unknown[]) => void } } }).s.mem
    const add = mem.add.bind(mem)
    let calls = 0
    mem.add = (...args: unknown[]) => {
      if (calls++ === 1) throw new RangeError('arena full')
      add(...args)
    }
    await expect(db.batch([{ type: 'put', key: 'b', value: '2' }, { type: 'put', key: 'c', value: '3' }])).rejects.toThrow(RangeError)
    await expectFailed(db.put('d', '4'))
    await db.close()
  })

  it('partial tables of a failed compaction are removed at once, not left until the next open', async () => {
    // Small output tables, so the compaction writes several: a table builder appends its blocks
    // 64 KiB at a time, so each of these is one write, and the third write fails the third table.
    const { mem, fs, options } = setup({ memtableSize: 16 * 1024, blockSize: 256, tableTargetSize: 4096, valueThreshold: 1 << 20 })
    const db = await open('/db', options)
    const acked = new Map<string, Buffer>()
    for (let round = 0; round < 3; round++) {
      await fill(db, acked, 150, round)
      await db.flush()
    }
    const fault: IOFault = { kind: 'write', errno: 'ENOSPC', at: 3, path: (p) => p.endsWith('.sst') }
    fs.arm(fault)
    await expect(db.compactRange()).rejects.toThrow(/ENOSPC/)
    const live = new Set((db as unknown as { s: { versions: { current: { allFiles(): { fileNumber: number }[] } } } }).s.versions.current
      .allFiles().map((f) => f.fileNumber))
    const onDisk = mem.list('/db').filter((n) => n.endsWith('.sst')).map((n) => Number.parseInt(n, 10))
    expect(onDisk.filter((n) => !live.has(n))).toEqual([])
    await expectFailed(db.put('after', 'y'))
    await db.close()
    await reopenHolds(fs, acked, options)
  })
})
