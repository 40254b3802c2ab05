// repair(): damage CURRENT, the manifest and one table in turn, repair, open, and read back every
// key whose data survived, against a model map; the loss must be reported, and confined to the
// damaged block's key range.

import { beforeAll, describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { decodeInternalKey } from '../base/internal-key.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { BlockCache, TableReader } from '../sstable/index.js'
import { cloneFs } from '../tests/support/clone-fs.js'
import { Model, hex } from '../tests/support/model.js'
import { makeRng } from '../tests/support/rng.js'
import { type Options, open, repair } from './index.js'

const DIR = '/db'
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const options = (fs: MemFileSystem): Options => ({
  fs, memtableSize: 16 * 1024, blockSize: 512, tableTargetSize: 8 * 1024, valueThreshold: 256,
  l0CompactionTrigger: 4, compactionWorker: false,
})

let base: MemFileSystem
let model: Model
/** Every key ever written (deleted ones too): absent keys must stay absent. */
const everyKey = new Set<string>()
let lastSeq = 0
let levelsBefore: number[] = []

beforeAll(async () => {
  base = new MemFileSystem()
  const db = await open(DIR, options(base))
  const rng = makeRng(11)
  model = new Model()
  // Six rounds compacted to the bottom, then two rounds of overwrites and deletes left in L0:
  // overlapping tables whose newer versions must keep winning after the rewrite.
  for (let round = 0; round < 8; round++) {
    for (let i = 0; i < (round < 6 ? 300 : 120); i++) {
      const k = enc(`key${String(rng.int(900)).padStart(4, '0')}`)
      everyKey.add(hex(k))
      if (rng.int(round < 6 ? 10 : 3) === 0) {
        await db.del(k)
        model.del(k)
      } else {
        // Some values go to the value log (>= valueThreshold), most stay inline.
        const v = rng.bytes(rng.int(8) === 0 ? 400 + rng.int(200) : 20 + rng.int(60))
        await db.put(k, v)
        model.put(k, v)
      }
    }
    await db.flush()
    if (round === 5) await db.compactRange()
  }
  levelsBefore = db.stats().levels.map((l) => l.files)
  // A tail that stays in the WAL.
  for (let i = 0; i < 20; i++) {
    const k = enc(`tail${i}`)
    everyKey.add(hex(k))
    await db.put(k, `t${i}`)
    model.put(k, enc(`t${i}`))
  }
  lastSeq = db.stats().lastSeq
  await db.close()
})

function overwrite(fs: MemFileSystem, path: string, bytes: Uint8Array): void {
  const f = fs.create(path)
  f.append(bytes)
  void f.sync()
}

function names(fs: MemFileSystem, pattern: RegExp): string[] {
  return fs.list(DIR).filter((n) => pattern.test(n))
}

/** Opens the repaired database; every key outside `mayLose` must read as the model says. */
async function checkAgainstModel(fs: MemFileSystem, mayLose: (keyHex: string) => boolean = () => false): Promise<number> {
  const db = await open(DIR, options(fs))
  try {
    expect(db.stats().lastSeq).toBeGreaterThanOrEqual(lastSeq)
    let checked = 0
    for (const k of everyKey) {
      if (mayLose(k)) continue
      const got = db.getSync(Buffer.from(k, 'hex'))
      const want = model.map.get(k)
      expect(got === undefined ? undefined : got.toString('hex'), k).toBe(want?.toString('hex'))
      checked++
    }
    const scanned = [...db.iterator()].map(([k]) => hex(k)).filter((k) => !mayLose(k))
    expect(scanned).toEqual([...model.map.keys()].filter((k) => !mayLose(k)).sort())
    // New writes get sequence numbers above every recovered entry's.
    await db.put('after-repair', 'x')
    expect(db.getEntry('after-repair')!.version).toBeGreaterThan(lastSeq)
    return checked
  } finally {
    await db.close()
  }
}

describe('repair', () => {
  it('the fixture has several tables, value-log files and a WAL tail', () => {
    expect(names(base, /\.sst$/).length).toBeGreaterThan(3)
    expect(levelsBefore[0]).toBeGreaterThanOrEqual(2)
    expect(levelsBefore.slice(1).some((n) => n > 0)).toBe(true)
    expect(names(base, /\.vlog$/).length).toBeGreaterThan(0)
    expect(model.map.size).toBeGreaterThan(500)
  })

  it('a garbage CURRENT: the database opens again and every key reads back', async () => {
    const fs = await cloneFs(base)
    overwrite(fs, `${DIR}/CURRENT`, enc('garbage\n'))
    await expect(open(DIR, options(fs))).rejects.toBeInstanceOf(CorruptionError)
    const report = await repair(DIR, { fs })
    expect(report.current.status).toBe('damaged')
    expect(report.oldManifest?.status).toBe('intact')
    expect(report.tables.lost).toEqual([])
    expect(report.tables.salvaged).toEqual([])
    expect(report.skippedBlocks).toEqual([])
    expect(report.wals.replayed.length).toBeGreaterThan(0)
    expect(report.lastSeq).toBeGreaterThanOrEqual(report.lastSeq)
    expect(fs.list(`${DIR}/lost`)).toEqual(expect.arrayContaining(['CURRENT', expect.stringMatching(/^MANIFEST-/)]))
    expect(new TextDecoder().decode(fs.readFile(`${DIR}/lost/CURRENT`))).toBe('garbage\n')
    expect(await checkAgainstModel(fs)).toBe(everyKey.size)
  })

  it('a truncated manifest and a manifest with a flipped byte: every key reads back', async () => {
    for (const damage of ['truncate', 'flip'] as const) {
      const fs = await cloneFs(base)
      const [manifest] = names(fs, /^MANIFEST-/)
      const bytes = fs.readFile(`${DIR}/${manifest}`).slice()
      if (damage === 'truncate') overwrite(fs, `${DIR}/${manifest}`, bytes.subarray(0, Math.floor(bytes.length / 3)))
      else {
        bytes[Math.floor(bytes.length / 2)] ^= 0x10
        overwrite(fs, `${DIR}/${manifest}`, bytes)
      }
      const report = await repair(DIR, { fs })
      expect(report.notes.join('\n'), damage).toMatch(/manifest/i)
      expect(report.tables.lost).toEqual([])
      expect(report.movedToLost).toContain(manifest)
      expect(report.lastSeq).toBeGreaterThanOrEqual(lastSeq - 20)
      expect(await checkAgainstModel(fs), damage).toBe(everyKey.size)
    }
  })

  it('a flipped byte in one data block: that block is lost and reported, every other key reads back', async () => {
    const fs = await cloneFs(base)
    // The largest table, and its second data block.
    const table = names(fs, /\.sst$/).sort((a, b) => fs.readFile(`${DIR}/${b}`).length - fs.readFile(`${DIR}/${a}`).length)[0]
    const reader = TableReader.open(fs, `${DIR}/${table}`, 1, new BlockCache(0))
    expect(reader.blockCount).toBeGreaterThan(2)
    const h = reader.blockHandle(1)
    const low = hex(decodeInternalKey(reader.indexKey(0)).userKey)
    const high = hex(decodeInternalKey(reader.indexKey(1)).userKey)
    reader.close()
    const bytes = fs.readFile(`${DIR}/${table}`).slice()
    bytes[h.offset + Math.floor(h.length / 2)] ^= 0x01
    overwrite(fs, `${DIR}/${table}`, bytes)

    const report = await repair(DIR, { fs })
    expect(report.tables.salvaged.map((t) => t.number)).toEqual([Number.parseInt(table, 10)])
    expect(report.tables.salvaged[0].blocksLost).toBe(1)
    expect(report.tables.salvaged[0].entriesLost).toBeGreaterThan(0)
    expect(report.skippedBlocks).toEqual([expect.objectContaining({ offset: h.offset })])
    expect(fs.list(`${DIR}/lost`)).toContain(table)
    // Only keys in the damaged block's range may differ.
    const mayLose = (k: string): boolean => k >= low && k <= high
    const checked = await checkAgainstModel(fs, mayLose)
    expect(checked).toBeGreaterThan(everyKey.size / 2)
    expect(checked).toBeLessThan(everyKey.size)
  })

  it('a directory with no database is refused; a repaired database repairs again to the same state', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/empty')
    await expect(repair('/empty', { fs })).rejects.toThrow(/no database/)
    const again = await cloneFs(base)
    await repair(DIR, { fs: again })
    const second = await repair(DIR, { fs: again })
    expect(second.oldManifest?.status).toBe('intact')
    expect(second.tables.salvaged).toEqual([])
    expect(await checkAgainstModel(again)).toBe(everyKey.size)
  })

  it('an encrypted database: refused without its key, repaired with it, everything re-read through the key', async () => {
    const fs = new MemFileSystem()
    const key = new Uint8Array(32).fill(7)
    const db = await open(DIR, { ...options(fs), encryptionKey: key })
    for (let i = 0; i < 400; i++) await db.put(`e${String(i).padStart(4, '0')}`, i % 5 === 0 ? 'x'.repeat(300) : `v${i}`)
    await db.flush()
    await db.put('wal-only', 'tail')
    await db.close()
    overwrite(fs, `${DIR}/CURRENT`, enc('garbage'))
    await expect(repair(DIR, { fs })).rejects.toThrow(/key/i)
    const report = await repair(DIR, { fs, encryptionKey: key })
    expect(report.current.status).toBe('damaged')
    expect(report.keys).toBe(400)
    const again = await open(DIR, { ...options(fs), encryptionKey: key })
    try {
      expect([...again.iterator()].length).toBe(401)
      expect(again.getSync('e0005')?.toString()).toBe('x'.repeat(300))
      expect(again.getSync('wal-only')?.toString()).toBe('tail')
    } finally {
      await again.close()
    }
  })

  it('a value-log file with a garbage header is set aside, and the entries pointing into it are counted', async () => {
    const fs = await cloneFs(base)
    const [vlog] = names(fs, /\.vlog$/)
    const bytes = fs.readFile(`${DIR}/${vlog}`).slice()
    bytes.fill(0xee, 0, 8)
    overwrite(fs, `${DIR}/${vlog}`, bytes)
    const report = await repair(DIR, { fs })
    expect(report.valueLogs.lost.map((v) => v.number)).toEqual([Number.parseInt(vlog, 10)])
    expect(report.danglingPointers).toBeGreaterThan(0)
    expect(fs.list(`${DIR}/lost`)).toContain(vlog)
    expect(report.notes.join('\n')).toMatch(/value-log data that is lost/)
  })

  it('reports progress: done only grows, never past total, and ends at total', async () => {
    const fs = await cloneFs(base)
    const calls: [number, number][] = []
    await repair(DIR, { fs, onProgress: (done, total) => calls.push([done, total]) })
    expect(calls.length).toBeGreaterThan(2)
    for (let i = 0; i < calls.length; i++) {
      expect(calls[i][0]).toBeLessThanOrEqual(calls[i][1])
      if (i > 0) expect(calls[i][0]).toBeGreaterThan(calls[i - 1][0])
    }
    const [done, total] = calls[calls.length - 1]
    expect(done).toBe(total)
  })
})
