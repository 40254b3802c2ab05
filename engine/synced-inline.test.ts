// Synced writes keep their large values inline (engine/write-path.ts SYNCED_INLINE_MAX): one
// fdatasync per put, the WAL's; the flush moves them to a whole value-log file (version 3) listed
// by the edit that adds its table. What that asks of the engine: a synced 16 KiB put survives a
// crash before the flush (WAL replay), a crash after the whole file is written but before the edit
// (the file is a leftover the open removes; the values come from the WAL), and the flush (reads
// through the table's pointer); value-log GC, backup and restore, verify and repair handle whole
// files; unsynced writes keep the value log.

import { describe, expect, it } from 'vitest'
import type { WritableFile } from '../base/fs.js'
import { SyncHookFileSystem } from '../tests/support/sync-hook-fs.js'
import { VLOG_FORMAT_WHOLE, WholeFileWriter, checkFileHeader } from '../vlog/index.js'
import { IOFaultFileSystem, MemFileSystem, type Options, open, repair, restore, verifyDatabase } from './index.js'

const DIR = '/db'
const base: Options = { valueThreshold: 1024, autoValueLogGC: 0 }
const value = (i: number, round = 0) => Buffer.alloc(16 * 1024, `${round}:${i};`)
const key = (i: number) => `k${String(i).padStart(4, '0')}`

/** The .vlog files in the directory and the format version of each. */
function vlogFiles(fs: MemFileSystem): { name: string; version: number }[] {
  return fs.list(DIR).filter((n) => n.endsWith('.vlog')).map((name) => {
    const path = `${DIR}/${name}`
    return { name, version: checkFileHeader(path, fs.readFile(path)) }
  })
}

/** Counts the syncs of each kind of file. */
class CountedSyncs extends SyncHookFileSystem {
  readonly syncs = new Map<string, number>()

  protected override onSync(f: WritableFile, sync: () => Promise<void>): Promise<void> {
    const kind = f.path.replace(/^.*\.|^.*\//, '')
    this.syncs.set(kind, (this.syncs.get(kind) ?? 0) + 1)
    return sync()
  }
}

describe('synced writes keep large values inline', () => {
  it('a synced 16 KiB put costs one fsync, the WAL’s; an unsynced one goes to the value log', async () => {
    const mem = new MemFileSystem()
    const fs = new CountedSyncs(mem)
    const db = await open(DIR, { ...base, fs })
    await db.put('warm', 'x', { sync: true })
    fs.syncs.clear()
    for (let i = 0; i < 20; i++) await db.put(key(i), value(i), { sync: true })
    expect(Object.fromEntries(fs.syncs)).toEqual({ wal: 20 })
    expect(vlogFiles(mem)).toEqual([])
    for (let i = 0; i < 20; i++) expect(db.getSync(key(i))?.equals(value(i))).toBe(true)
    await db.put('unsynced', value(99), { sync: false })
    expect(vlogFiles(mem).map((f) => f.version)).toEqual([2])
    await db.close()
  })

  it('survives a crash before the flush: the WAL replay puts the values back', async () => {
    const mem = new MemFileSystem()
    const db = await open(DIR, { ...base, fs: mem })
    for (let i = 0; i < 30; i++) await db.put(key(i), value(i), { sync: true })
    const after = mem.crash({ seed: 7, tearUnsynced: true })
    const re = await open(DIR, { ...base, fs: after })
    for (let i = 0; i < 30; i++) expect(re.getSync(key(i))?.equals(value(i)), key(i)).toBe(true)
    expect(re.stats().recovery.skipped).toEqual([])
    // Flushed from the replayed memtable, then read through the pointers after another reopen.
    await re.flush()
    expect(vlogFiles(after).map((f) => f.version)).toContain(VLOG_FORMAT_WHOLE)
    await re.close()
    const again = await open(DIR, { ...base, fs: after })
    for (let i = 0; i < 30; i++) expect(again.getSync(key(i))?.equals(value(i))).toBe(true)
    expect(verifyDatabase(DIR, { fs: after }).problems).toEqual([])
    await again.close()
  })

  it('a crash after the whole file is written but before the flush’s edit: the open removes it, the values come from the WAL', async () => {
    const mem = new MemFileSystem()
    mem.mkdir(DIR)
    const fs = new IOFaultFileSystem(mem)
    const db = await open(DIR, { ...base, fs })
    for (let i = 0; i < 10; i++) await db.put(key(i), value(i), { sync: true })
    const before = new Set(vlogFiles(mem).map((f) => f.name))
    // The flush's manifest edit is the next manifest write: it fails, after the file and table.
    fs.arm({ kind: 'write', errno: 'EIO', at: 1, path: (p) => p.includes('MANIFEST') })
    await expect(db.flush()).rejects.toThrow(/EIO/)
    const orphans = vlogFiles(mem).filter((f) => !before.has(f.name))
    expect(orphans.map((f) => f.version)).toEqual([VLOG_FORMAT_WHOLE])
    await db.close()
    const after = fs.powerLoss({ seed: 2 })
    expect(after.exists(`${DIR}/${orphans[0].name}`)).toBe(true)
    // Not listed anywhere: verify calls it a leftover, not a problem.
    const v = verifyDatabase(DIR, { fs: after })
    expect(v.problems).toEqual([])
    expect(v.leftovers).toContain(orphans[0].name)
    const re = await open(DIR, { ...base, fs: after })
    expect(re.stats().recovery.removed).toContain(orphans[0].name)
    expect(after.exists(`${DIR}/${orphans[0].name}`)).toBe(false)
    for (let i = 0; i < 10; i++) expect(re.getSync(key(i))?.equals(value(i))).toBe(true)
    await re.flush()
    await re.close()
    const again = await open(DIR, { ...base, fs: after })
    for (let i = 0; i < 10; i++) expect(again.getSync(key(i))?.equals(value(i))).toBe(true)
    await again.close()
  })

  it('after the flush the table points into a whole file listed in the manifest; reads, verify and a crash keep it', async () => {
    const mem = new MemFileSystem()
    const db = await open(DIR, { ...base, fs: mem })
    for (let i = 0; i < 25; i++) await db.put(key(i), value(i), { sync: true })
    await db.put('small', 'tiny', { sync: true })
    await db.flush()
    const whole = db.stats().valueLogs
    expect(whole.length).toBe(1)
    expect(vlogFiles(mem)).toEqual([{ name: `${String(whole[0].number).padStart(6, '0')}.vlog`, version: VLOG_FORMAT_WHOLE }])
    expect(whole[0].bytes).toBeGreaterThan(25 * 16 * 1024)
    for (let i = 0; i < 25; i++) expect(db.getSync(key(i))?.equals(value(i))).toBe(true)
    const after = mem.crash({ seed: 3, tearUnsynced: true })
    const re = await open(DIR, { ...base, fs: after })
    for (let i = 0; i < 25; i++) expect(re.getSync(key(i))?.equals(value(i))).toBe(true)
    expect(re.getSync('small')?.toString()).toBe('tiny')
    expect(re.stats().recovery.valueLogTornTail).toBeUndefined()
    await re.close()
    expect(verifyDatabase(DIR, { fs: after })).toMatchObject({ ok: true, problems: [] })
  })

  it('value-log GC collects a whole file: moves its live values and deletes it', async () => {
    const mem = new MemFileSystem()
    const db = await open(DIR, { ...base, fs: mem })
    for (let i = 0; i < 40; i++) await db.put(key(i), value(i), { sync: true })
    await db.flush()
    const [first] = db.stats().valueLogs.map((v) => v.number)
    for (let i = 0; i < 30; i++) await db.put(key(i), value(i, 1), { sync: true })
    for (let i = 30; i < 35; i++) await db.del(key(i), { sync: true })
    await db.flush()
    await db.compactRange()
    const stats = db.stats().valueLogs.find((v) => v.number === first)!
    expect(stats.discardRatio).toBeGreaterThan(0.5)
    expect(await db.runValueLogGC(0.5)).toBe(true)
    expect(db.stats().valueLogs.map((v) => v.number)).not.toContain(first)
    expect(mem.exists(`${DIR}/${String(first).padStart(6, '0')}.vlog`)).toBe(false)
    const check = (d: typeof db) => {
      for (let i = 0; i < 40; i++) {
        const want = i < 30 ? value(i, 1) : i < 35 ? undefined : value(i)
        const got = d.getSync(key(i))
        if (want === undefined) expect(got).toBeUndefined()
        else expect(got?.equals(want), key(i)).toBe(true)
      }
    }
    check(db)
    await db.close()
    const re = await open(DIR, { ...base, fs: mem })
    check(re)
    await re.close()
    expect(verifyDatabase(DIR, { fs: mem }).problems).toEqual([])
  })

  it('backup and restore carry values from whole files, the WAL and the value log', async () => {
    const mem = new MemFileSystem()
    mem.mkdir('/b')
    const db = await open(DIR, { ...base, fs: mem })
    for (let i = 0; i < 20; i++) await db.put(key(i), value(i), { sync: true })
    await db.flush() // whole file
    for (let i = 20; i < 30; i++) await db.put(key(i), value(i), { sync: i % 2 === 0 }) // WAL and value log
    await db.backup('/b/full.bak')
    await db.close()
    await restore('/dst', '/b/full.bak', { ...base, fs: mem })
    const restored = await open('/dst', { ...base, fs: mem, createIfMissing: false })
    for (let i = 0; i < 30; i++) expect(restored.getSync(key(i))?.equals(value(i)), key(i)).toBe(true)
    await restored.flush()
    await restored.close()
    const re = await open('/dst', { ...base, fs: mem })
    for (let i = 0; i < 30; i++) expect(re.getSync(key(i))?.equals(value(i))).toBe(true)
    await re.close()
  })

  it('repair keeps the whole files tables point into and leaves out one that nothing names or points into', async () => {
    for (const loseManifest of [false, true]) {
      const mem = new MemFileSystem()
      const db = await open(DIR, { ...base, fs: mem })
      for (let i = 0; i < 15; i++) await db.put(key(i), value(i), { sync: true })
      await db.flush()
      await db.close()
      const [listed] = vlogFiles(mem).map((f) => Number(f.name.slice(0, 6)))
      // A flush that crashed after its whole file but before its table: a file nothing points into.
      const orphan = listed + 50
      const w = new WholeFileWriter(mem, `${DIR}/${String(orphan).padStart(6, '0')}.vlog`, orphan)
      w.add(Buffer.from('ghost'), 999, value(0, 9))
      await w.finish()
      if (loseManifest) {
        for (const n of mem.list(DIR)) if (n.startsWith('MANIFEST-') || n === 'CURRENT') mem.remove(`${DIR}/${n}`)
      }
      const report = await repair(DIR, { fs: mem })
      expect(report.valueLogs.kept).toEqual([listed])
      const re = await open(DIR, { ...base, fs: mem })
      for (let i = 0; i < 15; i++) expect(re.getSync(key(i))?.equals(value(i))).toBe(true)
      expect(re.getSync('ghost')).toBeUndefined()
      expect(re.stats().valueLogs.map((v) => v.number)).toEqual([listed])
      await re.close()
      expect(mem.exists(`${DIR}/${String(orphan).padStart(6, '0')}.vlog`)).toBe(false)
      expect(verifyDatabase(DIR, { fs: mem }).problems).toEqual([])
    }
  })
})
