// Backup and restore on the in-memory file system, checked key by key against a Map model: round
// trips with large (value-log) values and deletions, through files and streams; a backup taken
// while writes continue holds exactly the snapshot; full@S1 + incremental(since S1) restores the
// same state as full@S2; the target rules; and every cut and a sample of bit flips of a backup
// are refused with nothing restored. Seeds are fixed (SETT_SEED overrides) and printed on failure.

import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { MemFileSystem } from '../base/mem-fs.js'
import { CorruptionError, type DB, InvalidArgumentError, type Options, open, restore } from './index.js'
import { resolveStoredEntry } from './backup.js'
import { Model, hex } from '../tests/support/model.js'
import { type Rng, makeRng } from '../tests/support/rng.js'

const SEED = Number(process.env.SETT_SEED ?? 1)

function options(fs: MemFileSystem, extra: Options = {}): Options {
  return {
    fs, memtableSize: 16 * 1024, blockSize: 512, tableTargetSize: 16 * 1024, levelBaseBytes: 64 * 1024,
    l0CompactionTrigger: 2, valueThreshold: 1024, valueLogFileSize: 64 * 1024, ...extra,
  }
}

/** Every key and value of `db`, in order, as the model's dump. */
async function dump(db: DB): Promise<string> {
  const m = new Model()
  for (const [k, v] of db.iterator()) m.put(k, v)
  return m.dump()
}

async function dumpDir(fs: MemFileSystem, dir: string): Promise<string> {
  const db = await open(dir, { fs, createIfMissing: false })
  try {
    return await dump(db)
  } finally {
    await db.close()
  }
}

function key(i: number): string {
  return `key-${String(i).padStart(5, '0')}`
}

/** Random puts (a third of them large: value log), overwrites and deletions over `keys` keys. */
async function randomOps(db: DB, model: Model, rng: Rng, n: number, keys: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const k = Buffer.from(key(rng.int(keys)))
    if (rng.chance(0.25)) {
      await db.del(k)
      model.del(k)
    } else {
      const v = rng.bytes(rng.chance(0.33) ? 1024 + rng.int(3000) : rng.int(200))
      await db.put(k, v)
      model.put(k, v)
    }
  }
}

describe('backup and restore', () => {
  it('round-trips large values, small values and deletions through a file, key by key', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/b')
    const db = await open('/src', options(fs))
    const model = new Model()
    await randomOps(db, model, makeRng(SEED), 1500, 400)
    await db.flush()
    await randomOps(db, model, makeRng(SEED + 1), 300, 400) // some only in the memtable and WAL
    const result = await db.backup('/b/full.bak')
    expect(result.since).toBe(0)
    expect(result.until).toBe(db.stats().lastSeq)
    expect(result.records).toBe(model.map.size)
    expect(fs.exists('/b/full.bak.partial')).toBe(false)
    const source = await dump(db)
    expect(source).toBe(model.dump())
    await db.close()

    const summary = await restore('/dst', '/b/full.bak', options(fs))
    expect(summary.records).toBe(model.map.size)
    const restored = await open('/dst', options(fs, { createIfMissing: false }))
    try {
      expect(await dump(restored)).toBe(model.dump())
      for (const [k, v] of model.map) expect(hex(restored.getSync(Buffer.from(k, 'hex'))!)).toBe(hex(v))
      // Large values went through the normal write path, into the value log again (the synced
      // last batch's ones once a flush has written them to a whole value-log file).
      await restored.flush()
      expect(restored.stats().valueLogs.some((v) => v.bytes > 1024)).toBe(true)
      expect(restored.stats().lastSeq).toBe(result.until)
    } finally {
      await restored.close()
    }
  })

  it('round-trips through streams, and a backup taken while writes continue holds exactly its snapshot', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/b')
    const db = await open('/src', options(fs))
    const model = new Model()
    const rng = makeRng(SEED + 2)
    // Enough large values for several 1 MiB chunks, so the backup yields between them.
    for (let i = 0; i < 1500; i++) {
      const v = rng.bytes(2048)
      await db.put(key(i), v)
      model.put(Buffer.from(key(i)), v)
    }
    const expected = model.dump()
    const out = new PassThrough()
    const pieces: Buffer[] = []
    out.on('data', (b: Buffer) => pieces.push(b))
    const backup = db.backup(out)
    // Overwrite and delete while the backup runs: none of it may show up in the backup.
    let concurrent = 0
    const writer = (async () => {
      for (let i = 0; i < 1500; i += 7, concurrent++) {
        if (i % 2 === 0) await db.del(key(i))
        else await db.put(key(i), 'changed')
      }
    })()
    const result = await backup
    await writer
    expect(concurrent).toBeGreaterThan(0)
    expect(db.stats().lastSeq).toBeGreaterThan(result.until)
    expect(out.writableEnded).toBe(false) // the caller's stream is left open
    await db.close()
    const bytes = Buffer.concat(pieces)
    expect(bytes.length).toBe(result.bytes)

    await restore('/dst', Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000, 2_000_000), bytes.subarray(2_000_000)]), options(fs))
    expect(await dumpDir(fs, '/dst')).toBe(expected)
    expect(fs.list('/').filter((n) => n.includes('spool'))).toEqual([]) // the spool file is gone
  })

  it('full@S1 + incremental(since S1) restores the same state as full@S2, key by key, along a chain', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/b')
    const rng = makeRng(SEED + 3)
    // No compaction, so every deletion keeps its tombstone (see the next test for compactions).
    let db = await open('/src', options(fs, { l0CompactionTrigger: 100, l0SlowdownTrigger: 100, l0StopTrigger: 100 }))
    const model = new Model()
    await randomOps(db, model, rng, 800, 300)
    const full1 = await db.backup('/b/full1')
    let since = full1.until
    const incrementals: string[] = []
    for (let round = 0; round < 3; round++) {
      await randomOps(db, model, rng, 400, 300)
      if (round === 1) {
        await db.close() // reopen between backups: the chain survives a restart
        db = await open('/src', options(fs, { l0CompactionTrigger: 100, l0SlowdownTrigger: 100, l0StopTrigger: 100 }))
      }
      const inc = await db.backup(`/b/inc${round}`, { since })
      expect(inc.since).toBe(since)
      incrementals.push(`/b/inc${round}`)
      since = inc.until
    }
    const full2 = await db.backup('/b/full2')
    expect(full2.until).toBe(since)
    expect(await dump(db)).toBe(model.dump())
    await db.close()

    await restore('/chain', '/b/full1', options(fs))
    for (const inc of incrementals) await restore('/chain', inc, options(fs))
    await restore('/whole', '/b/full2', options(fs))
    const chain = await dumpDir(fs, '/chain')
    expect(chain).toBe(await dumpDir(fs, '/whole'))
    expect(chain).toBe(model.dump())
  })

  it('keeps the incremental exact across compactions while a snapshot holds the last backup\'s sequence', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/b')
    const rng = makeRng(SEED + 4)
    const db = await open('/src', options(fs))
    const model = new Model()
    await randomOps(db, model, rng, 600, 200)
    const full1 = await db.backup('/b/full1')
    // Compaction drops a bottom-level tombstone older than every snapshot; this one keeps the
    // tombstones of deletions after full1 (docs/format.md, "Backups").
    const hold = db.snapshot()
    await randomOps(db, model, rng, 600, 200)
    await db.compactRange()
    const inc = await db.backup('/b/inc', { since: full1.until })
    hold.release()
    await db.backup('/b/full2')
    await db.close()
    await restore('/chain', '/b/full1', options(fs))
    await restore('/chain', '/b/inc', options(fs))
    await restore('/whole', '/b/full2', options(fs))
    expect(inc.records).toBeGreaterThan(0)
    expect(await dumpDir(fs, '/chain')).toBe(model.dump())
    expect(await dumpDir(fs, '/whole')).toBe(model.dump())
  })

  it('refuses an incremental that could miss a deletion compaction erased, also after a reopen', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/b')
    let db = await open('/src', options(fs))
    const model = new Model()
    await randomOps(db, model, makeRng(SEED + 6), 600, 200)
    const full1 = await db.backup('/b/full1')
    await randomOps(db, model, makeRng(SEED + 7), 600, 200)
    await db.compactRange() // bottom level: tombstones of deletions after full1 are dropped
    await expect(db.backup('/b/inc', { since: full1.until })).rejects.toThrow(/could miss deletions/)
    expect(fs.exists('/b/inc') || fs.exists('/b/inc.partial')).toBe(false)
    await db.close()
    db = await open('/src', options(fs))
    await expect(db.backup('/b/inc', { since: full1.until })).rejects.toThrow(/could miss deletions/)
    // A full backup is always possible, and an incremental from it until the next compaction.
    const full2 = await db.backup('/b/full2')
    await db.del(key(1))
    await db.backup('/b/inc2', { since: full2.until })
    await db.close()
  })

  it('refuses targets that do not fit, before writing anything', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/b')
    const db = await open('/src', options(fs))
    await db.put('a', '1')
    const full1 = await db.backup('/b/full1')
    await db.put('b', '2')
    const inc1 = await db.backup('/b/inc1', { since: full1.until })
    await db.put('c', '3')
    await db.backup('/b/inc2', { since: inc1.until })
    await expect(db.backup('/b/x', { since: 99 })).rejects.toThrow(InvalidArgumentError)
    await expect(db.backup('/b/x', { since: -1 })).rejects.toThrow(/since/)
    // A full backup needs an empty target: db.load on a written database, restore into a non-empty directory.
    await expect(db.load('/b/full1')).rejects.toThrow(/only into an empty database/)
    await db.close()
    fs.mkdir('/other')
    const other = fs.create('/other/notes.txt')
    await other.close()
    await expect(restore('/other', '/b/full1', options(fs))).rejects.toThrow(/missing or empty directory/)
    expect(fs.list('/other')).toEqual(['notes.txt'])
    // An incremental needs the database it continues: not a missing one, not one that skipped a link.
    await expect(restore('/nothing', '/b/inc1', options(fs))).rejects.toMatchObject({ code: 'SETT_NOT_FOUND' })
    await restore('/dst', '/b/full1', options(fs))
    const before = await dumpDir(fs, '/dst')
    await expect(restore('/dst', '/b/inc2', options(fs))).rejects.toThrow(/continues from sequence/)
    expect(await dumpDir(fs, '/dst')).toBe(before)
    await restore('/dst', '/b/inc1', options(fs))
    await restore('/dst', '/b/inc2', options(fs))
    expect(await dumpDir(fs, '/dst')).toBe(new Model(new Map([['61', Buffer.from('1')], ['62', Buffer.from('2')], ['63', Buffer.from('3')]])).dump())
  })
})

describe('damaged backups restore nothing', () => {
  async function smallBackup(fs: MemFileSystem): Promise<{ bytes: Uint8Array; incremental: Uint8Array }> {
    const db = await open('/src', options(fs, { valueThreshold: 16 }))
    await db.put('apple', 'red')
    await db.put('banana', 'y'.repeat(40))
    await db.put('cherry', 'dark')
    const full = await db.backup('/full.bak')
    await db.del('apple')
    await db.put('date', 'brown')
    await db.backup('/inc.bak', { since: full.until })
    await db.close()
    return { bytes: fs.readFile('/full.bak'), incremental: fs.readFile('/inc.bak') }
  }

  async function write(fs: MemFileSystem, path: string, data: Uint8Array): Promise<void> {
    const f = fs.create(path)
    f.append(data)
    await f.close()
  }

  it('rejects every truncation point with a CorruptionError and creates nothing', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/b')
    const { bytes } = await smallBackup(fs)
    expect(bytes.length).toBeGreaterThan(100)
    for (let cut = 0; cut < bytes.length; cut++) {
      await write(fs, '/cut.bak', bytes.subarray(0, cut))
      const err = await restore(`/t${cut}`, '/cut.bak', options(fs)).then(() => undefined, (e: unknown) => e)
      expect(err, `cut at ${cut}`).toBeInstanceOf(CorruptionError)
      expect(fs.exists(`/t${cut}`), `cut at ${cut}`).toBe(false)
    }
    // Bytes after the trailer are refused too.
    await write(fs, '/long.bak', Buffer.concat([bytes, Buffer.of(0)]))
    await expect(restore('/long', '/long.bak', options(fs))).rejects.toThrow(/after the trailer/)
  })

  it('rejects bit flips anywhere, in a full backup and in an incremental onto a live target', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/b')
    const { bytes, incremental } = await smallBackup(fs)
    await restore('/base', '/full.bak', options(fs))
    const rng = makeRng(SEED + 5)
    const flips = 150
    for (let i = 0; i < flips; i++) {
      const which = i % 2 === 0 ? bytes : incremental
      const at = rng.int(which.length * 8)
      const damaged = Buffer.from(which)
      damaged[at >> 3] ^= 1 << (at & 7)
      await write(fs, '/flip.bak', damaged)
      if (which === bytes) {
        const err = await restore('/flipped', '/flip.bak', options(fs)).then(() => undefined, (e: unknown) => e)
        expect(err, `seed ${SEED} flip of bit ${at}`).toBeInstanceOf(CorruptionError)
        expect(fs.exists('/flipped')).toBe(false)
      } else {
        const db = await open('/base', options(fs, { createIfMissing: false }))
        try {
          const err = await db.load('/flip.bak').then(() => undefined, (e: unknown) => e)
          expect(err, `seed ${SEED} flip of bit ${at}`).toBeInstanceOf(CorruptionError)
          expect(db.getSync('apple')?.toString()).toBe('red')
          expect(db.getSync('date')).toBeUndefined()
          expect(db.stats().lastSeq).toBe(3)
        } finally {
          await db.close()
        }
      }
    }
    // The undamaged incremental applies.
    const db = await open('/base', options(fs, { createIfMissing: false }))
    await db.load('/inc.bak')
    expect(db.getSync('apple')).toBeUndefined()
    expect(db.getSync('date')?.toString()).toBe('brown')
    await db.close()
  })

  it('detects a dropped or repeated chunk of a many-chunk backup', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/b')
    const db = await open('/src', options(fs))
    for (let i = 0; i < 800; i++) await db.put(key(i), Buffer.alloc(4000, i))
    await db.backup('/big.bak')
    await db.close()
    const bytes = fs.readFile('/big.bak')
    // Walk the frames: header 44 bytes, then 13-byte frame headers with the payload length at 5.
    const frames: [number, number][] = []
    for (let at = 44; at < bytes.length;) {
      const length = Buffer.from(bytes.buffer, bytes.byteOffset).readUInt32LE(at + 5)
      frames.push([at, at + 13 + length])
      at += 13 + length
    }
    expect(frames.length).toBeGreaterThanOrEqual(4) // three chunks or more, then the trailer
    const [a, b] = frames[1]
    const dropped = Buffer.concat([bytes.subarray(0, a), bytes.subarray(b)])
    const repeated = Buffer.concat([bytes.subarray(0, b), bytes.subarray(a)])
    for (const damaged of [dropped, repeated]) {
      await write(fs, '/bad.bak', damaged)
      await expect(restore('/bad', '/bad.bak', options(fs))).rejects.toBeInstanceOf(CorruptionError)
      expect(fs.exists('/bad')).toBe(false)
    }
  })
})

describe('resolveStoredEntry', () => {
  const readValueLog = (pointer: Uint8Array, key: Uint8Array) => Buffer.concat([Buffer.from('vlog:'), pointer, key])
  const k = Buffer.from('k')

  it('gives kinds 1 and 2 no expiry or meta, and follows a pointer', () => {
    expect(resolveStoredEntry(1, Buffer.from('v'), k, readValueLog)).toEqual({ value: Buffer.from('v'), expiresAt: 0, meta: 0 })
    expect(resolveStoredEntry(2, Buffer.of(7), k, readValueLog)).toEqual({ value: Buffer.from('vlog:\x07k'), expiresAt: 0, meta: 0 })
  })

  it('reads the TTL header of kinds 3 and 4 (issue #7), and refuses a cut header or an unknown kind', () => {
    // expiresAt 300 = varint ac 02, meta 9
    expect(resolveStoredEntry(3, Buffer.of(0xac, 0x02, 9, 0x76), k, readValueLog)).toEqual({ value: Buffer.from('v'), expiresAt: 300, meta: 9 })
    expect(resolveStoredEntry(4, Buffer.of(0xac, 0x02, 9, 7), k, readValueLog)).toEqual({ value: Buffer.from('vlog:\x07k'), expiresAt: 300, meta: 9 })
    expect(() => resolveStoredEntry(3, Buffer.of(0xac, 0x02), k, readValueLog)).toThrow(CorruptionError)
    expect(() => resolveStoredEntry(9, Buffer.of(1), k, readValueLog)).toThrow(/kind 9/)
  })
})

describe('backup with TTL, metadata and drops', () => {
  it('keeps expiry and meta, leaves expired keys out, and turns a newer expired version into a deletion in an incremental', async () => {
    const clock = { now: 1_000_000 }
    const fs = new MemFileSystem()
    fs.mkdir('/b')
    const opts = (extra: Options = {}) => options(fs, { clock: () => clock.now, ...extra })
    const db = await open('/src', opts())
    await db.put('plain', 'p')
    await db.put('lasting', 'l', { expiresAt: clock.now + 10_000, meta: 5 })
    await db.put('large', Buffer.alloc(3000, 2), { ttl: 10_000, meta: 6 })
    await db.put('expired', 'e', { ttl: 10 })
    await db.put('shadowed', 'old')
    clock.now += 20
    const full = await db.backup('/b/full.bak')
    expect(full.records).toBe(4) // everything but 'expired'
    await db.put('shadowed', 'new', { ttl: 5 })
    clock.now += 5
    const incr = await db.backup('/b/incr.bak', { since: full.until })
    await db.close()

    await restore('/dst', '/b/full.bak', opts())
    const dst = await open('/dst', opts({ createIfMissing: false }))
    expect(dst.getEntry('lasting')).toMatchObject({ expiresAt: 1_010_000, meta: 5 })
    expect(dst.getEntry('large')).toMatchObject({ expiresAt: 1_010_000, meta: 6 })
    expect(dst.getEntry('large')!.value.equals(Buffer.alloc(3000, 2))).toBe(true)
    expect(await dst.get('expired')).toBeUndefined()
    expect((await dst.get('shadowed'))?.toString()).toBe('old')
    await dst.load('/b/incr.bak')
    // The newer version expired before the incremental: the old one must not come back.
    expect(await dst.get('shadowed')).toBeUndefined()
    clock.now = 1_010_000
    expect(await dst.get('lasting')).toBeUndefined()
    await dst.close()
  })

  it('leaves dropped keys out and refuses an incremental across a drop', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/b')
    const db = await open('/src', options(fs))
    for (let i = 0; i < 50; i++) await db.put(`${i % 2 ? 'odd' : 'even'}:${i}`, `v${i}`)
    const first = await db.backup('/b/before.bak')
    await db.dropPrefix('odd:')
    const full = await db.backup('/b/full.bak')
    expect(full.records).toBe(25)
    await expect(db.backup('/b/incr.bak', { since: first.until })).rejects.toThrow(/dropPrefix/)
    await db.close()
  })
})
