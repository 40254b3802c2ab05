// inspectDatabase and verifyDatabase on the in-memory file system: what they report, that they
// never write, and how they tell damage from a torn tail, a leftover and an unreadable manifest.

import { describe, expect, it } from 'vitest'
import { MemFileSystem } from '../base/mem-fs.js'
import { NotFoundError, inspectDatabase, open, verifyDatabase } from './index.js'
import { scanValueLog } from './inspect.js'

const DIR = '/db'

/** Two tables in L0, two value-log entries, and a WAL of two records after the last flush. */
async function smallDatabase(): Promise<MemFileSystem> {
  const fs = new MemFileSystem()
  const db = await open(DIR, { fs, valueThreshold: 64 })
  for (let i = 0; i < 50; i++) await db.put(`k${String(i).padStart(3, '0')}`, `v${i}`)
  await db.flush()
  await db.put('big1', 'x'.repeat(200))
  await db.put('big2', 'y'.repeat(300))
  await db.del('k001')
  await db.flush()
  await db.put('w1', 'one')
  await db.put('w2', 'two')
  await db.close()
  return fs
}

const names = (fs: MemFileSystem) => fs.list(DIR)
const named = (fs: MemFileSystem, suffix: string) => names(fs).filter((n) => n.endsWith(suffix)).map((n) => `${DIR}/${n}`)

describe('inspectDatabase', () => {
  it('reports levels, tables, value logs, WALs and sequence numbers', async () => {
    const fs = await smallDatabase()
    const info = inspectDatabase(DIR, { fs })
    expect(info.levels).toHaveLength(7)
    const l0 = info.levels[0].tables
    expect(l0).toHaveLength(2)
    expect(l0.map((t) => t.entryCount).sort((a, b) => a - b)).toEqual([3, 50])
    expect(l0.every((t) => t.properties !== undefined && t.error === undefined)).toBe(true)
    expect(l0.find((t) => t.entryCount === 3)!.properties!.tombstoneCount).toBe(1)
    expect(info.valueLogs).toHaveLength(1)
    expect(info.valueLogs[0].bytes).toBeGreaterThan(500)
    expect(info.valueLogs[0].discardRatio).toBe(0)
    expect(info.wals).toHaveLength(1)
    expect(info.lastSeq).toBe(55)
    expect(info.manifestLastSeq).toBe(53)
    expect(info.leftovers).toEqual([])
    expect(info.totalBytes).toBeGreaterThan(info.levels[0].bytes + info.valueLogs[0].bytes)
    expect(info.liveKeyValueBytes).toBeGreaterThan(500)
    expect(info.spaceAmplification).toBeGreaterThan(1)
  })

  it('throws NotFoundError for a missing directory and for a directory without a database', () => {
    const fs = new MemFileSystem()
    expect(() => inspectDatabase('/nope', { fs })).toThrow(NotFoundError)
    fs.mkdir('/empty')
    expect(() => inspectDatabase('/empty', { fs })).toThrow(NotFoundError)
    expect(() => verifyDatabase('/empty', { fs })).toThrow(NotFoundError)
  })
})

describe('verifyDatabase', () => {
  it('passes a healthy database and writes nothing', async () => {
    const fs = await smallDatabase()
    const before = fs.snapshotFiles()
    const result = verifyDatabase(DIR, { fs })
    inspectDatabase(DIR, { fs })
    expect(result).toMatchObject({ ok: true, problems: [], notes: [], leftovers: [] })
    // CURRENT, manifest, 2 tables, 1 value log, 1 WAL
    expect(result.filesChecked).toBe(6)
    expect(fs.snapshotFiles()).toEqual(before)
  })

  it('reports a damaged data block of a table with its file and offset', async () => {
    const fs = await smallDatabase()
    const [table] = named(fs, '.sst')
    fs.flipBit(table, 8 * 30)
    const result = verifyDatabase(DIR, { fs })
    expect(result.ok).toBe(false)
    expect(result.problems).toEqual([{ file: table, offset: 16, message: expect.stringContaining('checksum') }])
  })

  it('tells a torn tail of the newest WAL (a note) from a damaged record with a good one after it', async () => {
    const fs = await smallDatabase()
    const [wal] = named(fs, '.wal')
    const size = fs.readFile(wal).length
    fs.truncateFile(wal, size - 3)
    let result = verifyDatabase(DIR, { fs })
    expect(result.ok).toBe(true)
    expect(result.notes).toEqual([{ file: wal, offset: expect.any(Number), message: expect.stringContaining('torn tail') }])

    const fs2 = await smallDatabase()
    fs2.flipBit(wal, 8 * (16 + 13 + 2)) // the first record's payload
    result = verifyDatabase(DIR, { fs: fs2 })
    expect(result.problems).toEqual([{ file: wal, offset: 16, message: expect.any(String) }])
  })

  it('tells a torn tail of the newest value-log file from a damaged entry with a valid one after it', async () => {
    const fs = await smallDatabase()
    const [vlog] = named(fs, '.vlog')
    const size = fs.readFile(vlog).length
    fs.flipBit(vlog, 8 * (size - 1)) // the last entry's value
    let result = verifyDatabase(DIR, { fs })
    expect(result.problems).toEqual([])
    expect(result.notes.map((n) => n.file)).toContain(vlog)

    const fs2 = await smallDatabase()
    fs2.flipBit(vlog, 8 * (16 + 21 + 6)) // the first entry's value
    result = verifyDatabase(DIR, { fs: fs2 })
    // Format version 2: the durable marker the close appended claims the whole file.
    expect(result.problems).toEqual([{ file: vlog, offset: 16, message: expect.stringContaining('synced through') }])
  })

  it('reads a hole before a later value-log entry that reached the disk first (a crash) as a torn tail, a note', async () => {
    const mem = new MemFileSystem()
    const db = await open(DIR, { fs: mem, valueThreshold: 64 })
    // A synced put keeps a large value inline in the WAL: big1 goes to the value log unsynced,
    // and the synced put after it syncs the value log too.
    await db.put('big1', 'x'.repeat(200), { sync: false })
    await db.put('small', 's', { sync: true })
    const [vlog] = named(mem, '.vlog')
    // Where the entries end: the file holds a preallocated zero tail past them.
    const entriesEnd = () => scanValueLog(vlog, mem.readFile(vlog)).validLength
    const synced = entriesEnd()
    await db.put('big2', 'y'.repeat(300), { sync: false })
    const afterBig2 = entriesEnd()
    await db.put('big3', 'z'.repeat(300), { sync: false })
    const full = mem.readFile(vlog)
    const afterBig3 = entriesEnd()
    const fs = mem.crash({ tearUnsynced: false })
    // big2 lost (its zeros back), big3 reached the disk.
    const image = fs.readFile(vlog)
    expect(image.length).toBeGreaterThan(afterBig3)
    image.set(full.subarray(afterBig2, afterBig3), afterBig2)
    const f = fs.create(vlog)
    f.append(image)
    await f.sync()
    const result = verifyDatabase(DIR, { fs })
    expect(result.problems).toEqual([])
    expect(result.notes).toContainEqual({ file: vlog, offset: synced, message: expect.stringContaining('torn tail') })
  })

  it('info of an open database counts a WAL and value-log file up to their records, not their preallocated zeros', async () => {
    const mem = new MemFileSystem()
    const db = await open(DIR, { fs: mem, valueThreshold: 64 })
    // The large values unsynced (a synced put keeps them inline in the WAL), the small ones synced.
    for (let i = 0; i < 50; i++) await db.put(`k${i}`, (i % 2 === 0 ? 'x' : 'y').repeat(i % 2 === 0 ? 20 : 300), { sync: i % 2 === 0 })
    const [wal] = named(mem, '.wal')
    const [vlog] = named(mem, '.vlog')
    const walFile = mem.readFile(wal)
    const vlogFile = mem.readFile(vlog)
    const info = inspectDatabase(DIR, { fs: mem })
    const walEnd = info.wals[0].bytes
    const vlogEnd = info.valueLogs[0].bytes
    expect(walFile.length).toBeGreaterThan(walEnd)
    expect(vlogFile.length).toBeGreaterThan(vlogEnd)
    expect(walFile.subarray(walEnd).every((b) => b === 0)).toBe(true)
    expect(walFile[walEnd - 1]).not.toBe(0) // the last record's payload ends in a pointer's non-zero byte
    expect(scanValueLog(vlog, vlogFile).validLength).toBe(vlogEnd)
    await db.close()
    // Closed: the zeros are gone and the sizes are the files'.
    const closed = inspectDatabase(DIR, { fs: mem })
    expect(closed.wals.map((w) => w.bytes)).toEqual(named(mem, '.wal').map((p) => mem.readFile(p).length))
    expect(closed.valueLogs[0].bytes).toBe(mem.readFile(vlog).length)
  })

  it('lists files that are not live as leftovers, not problems', async () => {
    const fs = await smallDatabase()
    const f = fs.create(`${DIR}/000099.tmp`)
    f.append(new Uint8Array(10))
    await f.close()
    const result = verifyDatabase(DIR, { fs })
    expect(result).toMatchObject({ ok: true, leftovers: ['000099.tmp'] })
  })

  it('checks every file on its own when the manifest is unreadable', async () => {
    const fs = await smallDatabase()
    const [manifest] = names(fs).filter((n) => n.startsWith('MANIFEST-')).map((n) => `${DIR}/${n}`)
    const [table] = named(fs, '.sst')
    fs.flipBit(manifest, 8 * (16 + 13 + 1))
    fs.flipBit(table, 8 * 30)
    const result = verifyDatabase(DIR, { fs })
    expect(result.problems.map((p) => [p.file, p.offset])).toEqual([[manifest, 16], [table, 16]])
    expect(result.notes.map((n) => n.message)).toContainEqual(expect.stringContaining('live set of files is unknown'))
    // CURRENT, manifest, then 2 tables, 1 value log, 1 WAL on their own
    expect(result.filesChecked).toBe(6)
  })

  it('reports a table the manifest lists but the directory lacks', async () => {
    const fs = await smallDatabase()
    const [table] = named(fs, '.sst')
    fs.remove(table)
    const result = verifyDatabase(DIR, { fs })
    expect(result.problems).toEqual([{ file: table, offset: 0, message: expect.stringContaining('missing') }])
  })
})
