// Corruption tests: a flipped bit or a cut in each kind of file (WAL middle and tail, table data
// block, index, filter, properties, footer and header, manifest, CURRENT) is either recovered (a
// torn WAL tail) or reported as a CorruptionError naming the file — never returned as data.

import { beforeAll, describe, expect, it } from 'vitest'
import { CorruptionError } from '../../base/errors.js'
import { MemFileSystem } from '../../base/mem-fs.js'
import { type DB, type Options, open } from '../../engine/index.js'
import { type LogRecord, readLog, recordSize } from '../../wal/index.js'
import { TableReader, BlockCache } from '../../sstable/index.js'
import { cloneFs } from '../support/clone-fs.js'
import { Model, hex } from '../support/model.js'
import { makeRng } from '../support/rng.js'

const DIR = '/db'
const TAIL_WRITES = 12

const options = (fs: MemFileSystem, extra: Options = {}): Options => ({
  fs, memtableSize: 8 * 1024, blockSize: 256, tableTargetSize: 8 * 1024, l0CompactionTrigger: 100,
  l0SlowdownTrigger: 100, l0StopTrigger: 100, ...extra,
})

let base: MemFileSystem
/** states[i]: the model after all but the last TAIL_WRITES - i writes; states[TAIL_WRITES] is final. */
const states: Model[] = []

beforeAll(async () => {
  base = new MemFileSystem()
  const rng = makeRng(5)
  const db = await open(DIR, options(base))
  const model = new Model()
  for (let i = 0; i < 600; i++) {
    const k = new TextEncoder().encode(`key${String(rng.int(400)).padStart(4, '0')}`)
    const v = rng.bytes(40 + rng.int(80))
    await db.put(k, v)
    model.put(k, v)
  }
  await db.flush()
  states.push(model.clone())
  // The last writes stay in the WAL, one record each.
  for (let i = 0; i < TAIL_WRITES; i++) {
    const k = new TextEncoder().encode(`tail${i}`)
    if (i % 4 === 3) {
      await db.del(`key${String(i).padStart(4, '0')}`)
      model.del(new TextEncoder().encode(`key${String(i).padStart(4, '0')}`))
    } else {
      await db.put(k, rng.bytes(30))
      model.put(k, Buffer.from(db.getSync(k)!))
    }
    states.push(model.clone())
  }
  await db.close()
})

function files(fs: MemFileSystem, pattern: RegExp): string[] {
  return fs.list(DIR).filter((n) => pattern.test(n)).map((n) => `${DIR}/${n}`)
}

function walRecords(fs: MemFileSystem): { path: string; records: Pick<LogRecord, 'offset' | 'payload'>[] } {
  const [path] = files(fs, /\.wal$/)
  const records: Pick<LogRecord, 'offset' | 'payload'>[] = []
  const f = fs.openRead(path)
  readLog(f, 'wal', { tolerateTornTail: false }, (r) => records.push({ offset: r.offset, payload: r.payload.slice() }))
  f.close()
  return { path, records }
}

/** Reads everything; returns the state text, or the CorruptionError met. Throws on anything else. */
function readAll(db: DB, model: Model): string | CorruptionError {
  try {
    const scan = [...db.iterator()].map(([k, v]) => `${hex(k)}=${v.toString('hex')}`)
    for (const [k] of model.range({})) db.getSync(Buffer.from(k, 'hex'))
    return scan.join('\n')
  } catch (err) {
    if (err instanceof CorruptionError) return err
    throw err
  }
}

/** Opens and reads; the outcome is recovered state text or a CorruptionError. */
async function outcome(fs: MemFileSystem, extra?: Options): Promise<string | CorruptionError> {
  let db: DB
  try {
    db = await open(DIR, options(fs, extra))
  } catch (err) {
    if (err instanceof CorruptionError) return err
    throw err
  }
  try {
    return readAll(db, states[TAIL_WRITES])
  } finally {
    await db.close()
  }
}

const prefixStates = () => new Set(states.map((m) => m.dump()))

describe('corruption is detected, never returned as data', () => {
  it('a bit flipped in a middle WAL record: CorruptionError naming the WAL and the record', async () => {
    const fs = await cloneFs(base)
    const { path, records } = walRecords(fs)
    expect(records.length).toBe(TAIL_WRITES)
    const victim = records[4]
    fs.flipBit(path, (victim.offset + 12) * 8 + 3)
    const r = await outcome(fs)
    expect(r).toBeInstanceOf(CorruptionError)
    expect((r as CorruptionError).file).toBe(path)
    expect((r as CorruptionError).offset).toBe(victim.offset)
  })

  it('the same with paranoid off: opens with the records before it, and reports the damage', async () => {
    const fs = await cloneFs(base)
    const { path, records } = walRecords(fs)
    fs.flipBit(path, (records[4].offset + 12) * 8 + 3)
    const db = await open(DIR, options(fs, { paranoid: false }))
    expect(db.stats().recovery.skipped).toHaveLength(1)
    expect(readAll(db, states[TAIL_WRITES])).toBe(states[4].dump())
    await db.close()
  })

  it('a cut anywhere in the last WAL record: the torn tail is dropped, earlier writes kept', async () => {
    const { path, records } = walRecords(base)
    const last = records[records.length - 1]
    const size = base.openRead(path).size
    // Format version 2: a clean close ends the WAL with a durable marker after the last record.
    const lastEnd = last.offset + recordSize(last.payload.length, 2)
    expect(size).toBe(lastEnd + recordSize(0, 2))
    for (let cut = last.offset + 1; cut < size; cut += 3) {
      const fs = await cloneFs(base)
      fs.truncateFile(path, cut)
      // A cut that kept only zero bytes of the record it tore (its first checksum byte can be 0:
      // the salt is random) reads as a preallocated tail, not a tear; that record is dropped either way.
      const torn = cut >= lastEnd ? lastEnd : last.offset
      const tornAt = fs.readFile(path).subarray(torn).every((b) => b === 0) ? undefined : torn
      const db = await open(DIR, options(fs))
      if (cut >= lastEnd) {
        // Only the marker was cut: every write is there, the marker's bytes are the torn tail.
        expect(db.stats().recovery.tornTail?.offset).toBe(tornAt)
        expect(readAll(db, states[TAIL_WRITES])).toBe(states[TAIL_WRITES].dump())
      } else {
        expect(db.stats().recovery.tornTail?.offset).toBe(tornAt)
        expect(readAll(db, states[TAIL_WRITES])).toBe(states[TAIL_WRITES - 1].dump())
      }
      await db.close()
    }
  })

  it('a bit flipped anywhere in the WAL: a prefix of the writes or a CorruptionError, never other data', async () => {
    const { path } = walRecords(base)
    const size = base.openRead(path).size
    const allowed = prefixStates()
    const rng = makeRng(11)
    let detected = 0
    for (let i = 0; i < 150; i++) {
      const fs = await cloneFs(base)
      fs.flipBit(path, rng.int(size * 8))
      const r = await outcome(fs)
      if (r instanceof CorruptionError) {
        expect(r.file).toBe(path)
        detected++
      } else {
        expect(allowed.has(r)).toBe(true)
      }
    }
    expect(detected).toBeGreaterThan(0)
  })

  const tableRegions = ['header', 'data block', 'index', 'filter', 'properties', 'footer'] as const
  for (const region of tableRegions) {
    it(`a bit flipped in a table's ${region}: CorruptionError naming the table`, async () => {
      const tables = files(base, /\.sst$/)
      expect(tables.length).toBeGreaterThan(0)
      const rng = makeRng(region.length)
      for (const path of tables.slice(0, 3)) {
        const reader = TableReader.open(base, path, 0, new BlockCache(0))
        const { footer } = reader
        const size = reader.properties.fileSize
        reader.close()
        const span: Record<(typeof tableRegions)[number], [number, number]> = {
          header: [0, 16],
          'data block': [16, Math.min(footer.index.offset, footer.filter.offset, footer.properties.offset)],
          index: [footer.index.offset, footer.index.offset + footer.index.length + 5],
          filter: [footer.filter.offset, footer.filter.offset + footer.filter.length + 5],
          properties: [footer.properties.offset, footer.properties.offset + footer.properties.length + 5],
          footer: [size - 52, size],
        }
        const [lo, hi] = span[region]
        for (let i = 0; i < 8; i++) {
          const fs = await cloneFs(base)
          fs.flipBit(path, (lo + rng.int(hi - lo)) * 8 + rng.int(8))
          const r = await outcome(fs)
          expect(r, `${region} of ${path}`).toBeInstanceOf(CorruptionError)
          expect((r as CorruptionError).file).toBe(path)
        }
      }
    })
  }

  it('a truncated table: CorruptionError naming it', async () => {
    const [path] = files(base, /\.sst$/)
    const fs = await cloneFs(base)
    fs.truncateFile(path, fs.openRead(path).size - 7)
    const r = await outcome(fs)
    expect(r).toBeInstanceOf(CorruptionError)
    expect((r as CorruptionError).file).toBe(path)
  })

  it('a bit flipped in the manifest: CorruptionError naming it, unless only the last commit record was hit', async () => {
    const [path] = files(base, /^MANIFEST-/)
    const records: Pick<LogRecord, 'offset' | 'payload'>[] = []
    const f = base.openRead(path)
    readLog(f, 'manifest', { tolerateTornTail: false }, (r) => records.push(r))
    f.close()
    // Every edit is followed by an empty commit record; only the last one may be lost harmlessly.
    expect(records.length).toBeGreaterThanOrEqual(4)
    expect(records[records.length - 1].payload.length).toBe(0)
    const lastCommit = records[records.length - 1].offset
    const size = f.size
    const rng = makeRng(3)
    let detected = 0
    for (let i = 0; i < 60; i++) {
      const fs = await cloneFs(base)
      const bit = i < 50 ? rng.int(lastCommit * 8) : lastCommit * 8 + rng.int((size - lastCommit) * 8)
      fs.flipBit(path, bit)
      const r = await outcome(fs)
      if (bit < lastCommit * 8) {
        expect(r, `bit ${bit}`).toBeInstanceOf(CorruptionError)
        expect((r as CorruptionError).file).toBe(path)
        detected++
      } else {
        expect(r).toBe(states[TAIL_WRITES].dump())
      }
    }
    expect(detected).toBe(50)
  })

  it('a manifest cut at rest at any record boundary: CorruptionError naming it, never an older state', async () => {
    const [path] = files(base, /^MANIFEST-/)
    const records: Pick<LogRecord, 'offset' | 'payload'>[] = []
    const f = base.openRead(path)
    readLog(f, 'manifest', { tolerateTornTail: false }, (r) => records.push(r))
    f.close()
    // Cut just before each record after the snapshot's commit record: the file then ends cleanly,
    // exactly like one a crash left, and only what its edits did elsewhere can give the cut away.
    let detected = 0
    for (const r of records.slice(2)) {
      const fs = await cloneFs(base)
      fs.truncateFile(path, r.offset)
      const got = await outcome(fs)
      if (got instanceof CorruptionError) {
        expect(got.file, `cut at ${r.offset}`).toBe(path)
        detected++
      } else {
        expect(got, `cut at ${r.offset}: no older state may appear`).toBe(states[TAIL_WRITES].dump())
      }
    }
    expect(detected).toBeGreaterThan(records.length / 3)
  })

  it('a damaged CURRENT: CorruptionError naming it', async () => {
    const path = `${DIR}/CURRENT`
    const size = base.openRead(path).size
    for (let i = 0; i < size * 8; i += 5) {
      const fs = await cloneFs(base)
      fs.flipBit(path, i)
      const r = await outcome(fs)
      expect(r).toBeInstanceOf(CorruptionError)
      expect((r as CorruptionError).file).toBe(path)
    }
  })

  it('the undamaged copy reads back exactly', async () => {
    expect(await outcome(await cloneFs(base))).toBe(states[TAIL_WRITES].dump())
  })
})
