// Power loss around backups, on the in-memory file system: crashed at every file operation of
// db.backup(path), the disk holds either no backup file or a whole one that restores the snapshot
// exactly (write → fsync → rename → fsync the directory); and once restore() or db.load() has
// resolved, a power loss keeps all of it, its last sequence included.

import { describe, expect, it } from 'vitest'
import { CrashError, MemFileSystem } from '../../base/mem-fs.js'
import { type DB, type Options, open, restore } from '../../engine/index.js'
import { Model } from '../support/model.js'

function options(fs: MemFileSystem): Options {
  return { fs, memtableSize: 8 * 1024, valueThreshold: 256 }
}

async function dump(db: DB): Promise<string> {
  const m = new Model()
  for (const [k, v] of db.iterator()) m.put(k, v)
  return m.dump()
}

/** A source database: small and large values, a deletion, some of it only in the WAL. */
async function source(): Promise<{ fs: MemFileSystem; db: DB; model: Model }> {
  const fs = new MemFileSystem()
  fs.mkdir('/b')
  const db = await open('/src', options(fs))
  const model = new Model()
  for (let i = 0; i < 60; i++) {
    const k = Buffer.from(`k${String(i).padStart(2, '0')}`)
    const v = Buffer.alloc(i % 3 === 0 ? 600 : 20, i)
    await db.put(k, v)
    model.put(k, v)
  }
  await db.flush()
  await db.del('k05')
  model.del(Buffer.from('k05'))
  return { fs, db, model }
}

describe('power loss around backups', () => {
  it('leaves no backup file or a whole one, at every crash point of db.backup()', async () => {
    let whole = 0
    let none = 0
    for (let k = 1; ; k++) {
      const { fs, db, model } = await source()
      fs.crashAfter(k)
      let finished = false
      try {
        await db.backup('/b/snap.bak')
        finished = true
      } catch (err) {
        expect(err, `crash point ${k}`).toBeInstanceOf(CrashError)
      }
      const after = fs.crash({ seed: k })
      if (after.exists('/b/snap.bak')) {
        await restore('/dst', '/b/snap.bak', options(after))
        const restored = await open('/dst', options(after))
        expect(await dump(restored), `crash point ${k}`).toBe(model.dump())
        await restored.close()
        whole++
      } else {
        expect(finished, `crash point ${k}: backup resolved but its file is gone`).toBe(false)
        none++
      }
      if (finished) break
    }
    expect(none).toBeGreaterThan(0)
    expect(whole).toBeGreaterThan(0)
  })

  it('keeps a resolved restore and load, last sequence included, through a power loss', async () => {
    const { fs, db, model } = await source()
    const full = await db.backup('/b/full.bak')
    await db.put('k99', 'late')
    await db.del('k00')
    const inc = await db.backup('/b/inc.bak', { since: full.until })
    await db.close()
    model.put(Buffer.from('k99'), Buffer.from('late'))
    model.del(Buffer.from('k00'))

    await restore('/dst', '/b/full.bak', options(fs))
    const target = await open('/dst', options(fs))
    await target.load('/b/inc.bak')
    const after = fs.crash({ seed: 3, tearUnsynced: true })
    await target.close().catch(() => undefined)
    const reopened = await open('/dst', options(after))
    expect(await dump(reopened)).toBe(model.dump())
    expect(reopened.stats().lastSeq).toBeGreaterThanOrEqual(inc.until)
    await reopened.close()
  })
})
