// A synced group enters the memtable while its fsync is still running (engine/write-path.ts), under
// sequence numbers above versions.lastSeq. These tests hold the fsync and look through every way
// out (get, has, getEntry, iterators, snapshots, transactions, backups, stats().lastSeq): nothing
// of the group may show before the fsync succeeded, and nothing ever after a failed one.

import { describe, expect, it } from 'vitest'
import type { WritableFile } from '../base/fs.js'
import { SyncHookFileSystem } from '../tests/support/sync-hook-fs.js'
import { MemFileSystem, type DB, type Options, open } from './index.js'

const DIR = '/db'

/** Holds every WAL and value-log sync while `hold` is set, until each is released or failed. */
class HeldSyncs extends SyncHookFileSystem {
  hold = false
  readonly held: { release: () => void; fail: (err: Error) => void }[] = []

  protected override async onSync(f: WritableFile, sync: () => Promise<void>): Promise<void> {
    const logs = f.path.endsWith('.wal') || f.path.endsWith('.vlog')
    if (logs && this.hold) {
      await new Promise<void>((release, fail) => this.held.push({ release, fail }))
    }
    await sync()
  }
}

async function until(done: () => boolean): Promise<void> {
  for (const t = performance.now(); !done(); await new Promise((r) => setImmediate(r))) {
    if (performance.now() - t > 3000) throw new Error('timed out waiting')
  }
}

const keys = (db: DB) => [...db.iterator({ keysOnly: true })].map(([k]) => k.toString())

/** Everything a reader can learn of `key`: all of it must say it is absent. */
async function expectInvisible(db: DB, fs: HeldSyncs, key: string, lastSeq: number, backupName: string): Promise<void> {
  expect(db.getSync(key)).toBeUndefined()
  expect(await db.get(key)).toBeUndefined()
  expect(db.hasSync(key)).toBe(false)
  expect(db.getEntry(key)).toBeUndefined()
  expect(db.getManySync([key])).toEqual([undefined])
  expect(keys(db)).toEqual(['a'])
  expect([...db.iterator({ keysOnly: true, reverse: true })].map(([k]) => k.toString())).toEqual(['a'])
  const snap = db.snapshot()
  expect(snap.seq).toBe(lastSeq)
  expect(db.getSync(key, { snapshot: snap })).toBeUndefined()
  snap.release()
  expect(await db.view((txn) => txn.get(key))).toBeUndefined()
  expect(db.stats().lastSeq).toBe(lastSeq)
  // The backup scans the memtables whole: it must leave out what is above its snapshot.
  const backup = await db.backup(`/b/${backupName}`)
  expect(backup.until).toBe(lastSeq)
  expect(backup.records).toBe(1)
  void fs
}

describe('a synced group whose fsync has not succeeded', () => {
  for (const [what, value, options] of [
    ['a small value (WAL only)', Buffer.alloc(100, 'v'), {}],
    ['a large value (value log and WAL)', Buffer.alloc(16384, 'v'), { valueThreshold: 1024 }],
  ] as [string, Buffer, Options][]) {
    it(`is invisible while its fsync runs and after that fsync fails: ${what}`, async () => {
      const mem = new MemFileSystem()
      mem.mkdir('/b')
      const fs = new HeldSyncs(mem)
      const db = await open(DIR, { ...options, fs, autoValueLogGC: 0 })
      await db.put('a', value, { sync: true })
      await db.put('k', value, { sync: true }) // a large value's first put starts the value-log file
      await db.del('k', { sync: true })
      const lastSeq = db.stats().lastSeq
      fs.hold = true
      let settled: string | undefined
      const put = db.put('k', value, { sync: true }).then(() => (settled = 'acked'), (e: Error) => (settled = e.message))
      await until(() => fs.held.length > 0)
      expect(settled).toBeUndefined()
      await expectInvisible(db, fs, 'k', lastSeq, 'during')
      fs.hold = false
      for (const h of fs.held.splice(0)) h.fail(new Error('EIO: held sync failed'))
      await put
      expect(settled).toMatch(/EIO/)
      await expectInvisible(db, fs, 'k', lastSeq, 'after')
      await db.close()
    })

    it(`becomes visible once its fsync succeeded, not before: ${what}`, async () => {
      const mem = new MemFileSystem()
      mem.mkdir('/b')
      const fs = new HeldSyncs(mem)
      const db = await open(DIR, { ...options, fs, autoValueLogGC: 0 })
      await db.put('a', value, { sync: true })
      await db.put('k', value, { sync: true })
      await db.del('k', { sync: true })
      const lastSeq = db.stats().lastSeq
      fs.hold = true
      const put = db.put('k', value, { sync: true })
      await until(() => fs.held.length > 0)
      await expectInvisible(db, fs, 'k', lastSeq, 'during')
      fs.hold = false
      for (const h of fs.held.splice(0)) h.release()
      await put
      expect(db.getSync('k')?.equals(value)).toBe(true)
      expect(keys(db)).toEqual(['a', 'k'])
      expect(db.stats().lastSeq).toBe(lastSeq + 1)
      expect((await db.backup('/b/done')).records).toBe(2)
      await db.close()
    })
  }
})
