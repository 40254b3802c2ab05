// Encryption at rest, whole engine: no plaintext reaches the disk (every file grepped for a marker
// written in keys and values), the data survives reopen, flush, compaction, value-log GC and
// data-key rotation (checked against a Map), and a missing, wrong or unexpected key or a damaged
// registry is refused with a typed error before a single byte in the directory changes.

import { createHash } from 'node:crypto'
import * as nodeFs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MemFileSystem } from '../../base/mem-fs.js'
import {
  CorruptionError, type DB, EncryptionKeyError, InvalidArgumentError, type Options, open,
} from '../../engine/index.js'
import { Model, hex } from '../support/model.js'
import { makeRng } from '../support/rng.js'

const DIR = '/db'
const MARKER = 'Zq7-SECRET-MARKER'
const KEY = new Uint8Array(32).map((_, i) => i * 7 + 1)
const OTHER_KEY = new Uint8Array(32).map((_, i) => i * 5 + 3)

const small = (fs: MemFileSystem, extra: Options = {}): Options => ({
  fs, memtableSize: 8 * 1024, blockSize: 512, tableTargetSize: 8 * 1024, levelBaseBytes: 32 * 1024,
  l0CompactionTrigger: 2, valueThreshold: 256, valueLogFileSize: 16 * 1024, ...extra,
})

/** Path → bytes of every file, for comparing before and after. */
const snapshot = (fs: MemFileSystem): Map<string, string> =>
  new Map([...fs.snapshotFiles()].map(([p, b]) => [p, createHash('sha256').update(b).digest('hex')]))

function filesContaining(fs: MemFileSystem, needle: string): string[] {
  const n = Buffer.from(needle)
  return [...fs.snapshotFiles()].filter(([, b]) => Buffer.from(b).includes(n)).map(([p]) => p)
}

async function dump(db: DB): Promise<string> {
  const lines: string[] = []
  for await (const [k, v] of db.iterator()) {
    lines.push(`${hex(k)}=${v.toString('hex')}`)
    expect(db.getSync(k)?.toString('hex')).toBe(v.toString('hex'))
  }
  return lines.join('\n')
}

/** Writes marked keys and values, small (inline) and large (value log), and exercises every background step. */
async function writeMarked(db: DB, n: number): Promise<Model> {
  const model = new Model()
  for (let i = 0; i < n; i++) {
    const k = Buffer.from(`${MARKER}:key:${i}`)
    const v = Buffer.from(`${MARKER}:value:${i}:`.repeat(i % 4 === 0 ? 30 : 1))
    await db.put(k, v)
    model.put(k, v)
  }
  for (let i = 0; i < n; i += 3) {
    const k = Buffer.from(`${MARKER}:key:${i}`)
    await db.del(k)
    model.del(k)
  }
  await db.flush()
  await db.compactRange()
  while (await db.runValueLogGC(0.2)) {}
  return model
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('no plaintext on disk', () => {
  it('finds the marker in the files of an unencrypted database (the check can fail)', async () => {
    const fs = new MemFileSystem()
    const db = await open(DIR, small(fs))
    await writeMarked(db, 300)
    await db.put(`${MARKER}:last`, 'x') // a WAL record after the flushes
    const hits = filesContaining(fs, MARKER).map((p) => path.extname(p) || path.basename(p).replace(/-\d+$/, ''))
    await db.close()
    expect(new Set(hits)).toEqual(new Set(['.wal', '.sst', '.vlog', 'MANIFEST']))
  })

  it('finds it in no file of an encrypted one, across flush, compaction, GC, close and reopen', async () => {
    const fs = new MemFileSystem()
    let db = await open(DIR, small(fs, { encryptionKey: KEY }))
    const model = await writeMarked(db, 300)
    await db.put(`${MARKER}:last`, 'x')
    model.put(Buffer.from(`${MARKER}:last`), Buffer.from('x'))
    expect(filesContaining(fs, MARKER)).toEqual([])
    await db.close()
    const names = fs.list(DIR)
    for (const ext of ['.wal', '.sst', '.vlog']) expect(names.some((n) => n.endsWith(ext)), ext).toBe(true)
    expect(filesContaining(fs, MARKER)).toEqual([])
    db = await open(DIR, small(fs, { encryptionKey: KEY }))
    expect(await dump(db)).toBe(model.dump())
    await db.close()
    expect(filesContaining(fs, MARKER)).toEqual([])
  })
})

describe('round trip against a Map', () => {
  // 8005 is a fixed regression seed: its run ends with only two data keys in use (see below).
  const seeds = process.env.SETT_SEED !== undefined ? [Number(process.env.SETT_SEED)] : [11, 8005]
  it.each(seeds)('survives reopen, flush, compaction, value-log GC and data-key rotation (seed %i)', async (seed) => {
    console.log(`encryption model test: seed ${seed} (SETT_SEED=n to change)`)
    const rng = makeRng(seed)
    let clock = 1_000_000
    vi.spyOn(Date, 'now').mockImplementation(() => clock)
    const fs = new MemFileSystem()
    const opts = small(fs, { encryptionKey: KEY, encryptionKeyRotation: 10_000 })
    let db = await open(DIR, opts)
    const model = new Model()
    let collected = 0
    const key = () => Buffer.from(`k${rng.int(150)}`)
    for (let step = 0; step < 1500; step++) {
      const r = rng()
      if (r < 0.6) {
        const k = key()
        const v = Buffer.from(rng.bytes(rng.chance(0.3) ? 300 + rng.int(900) : rng.int(100)))
        await db.put(k, v)
        model.put(k, v)
      } else if (r < 0.75) {
        const k = key()
        await db.del(k)
        model.del(k)
      } else if (r < 0.85) {
        const k = key()
        expect(db.getSync(k)?.toString('hex'), `step ${step}`).toBe(model.get(k)?.toString('hex'))
      } else if (r < 0.9) {
        clock += 4_000 // time passes: the active data key ages towards rotation
      } else if (r < 0.93) {
        await db.flush()
      } else if (r < 0.95) {
        await db.compactRange()
      } else if (r < 0.97) {
        while (await db.runValueLogGC(0.3)) {}
      } else {
        collected += db.stats().valueLogGC.filesCollected
        await db.close()
        db = await open(DIR, opts)
        expect(await dump(db), `after reopen at step ${step}`).toBe(model.dump())
      }
    }
    expect(await dump(db)).toBe(model.dump())
    collected += db.stats().valueLogGC.filesCollected
    expect(collected, 'value-log files collected by GC').toBeGreaterThan(0)
    await db.close()
    // Rotation happened, and the files in use were written under more than one data key. More than one, not
    // more than two: compaction and value-log GC rewrite older files under the current key, so how many older
    // keys stay in use depends on where the run's last compactRange / GC fell (SETT_SEED=8005 ends with two).
    const keyIds = new Set<number>()
    for (const [p, b] of fs.snapshotFiles()) {
      if (/\.(sst|vlog|wal)$/.test(p) || p.includes('MANIFEST')) keyIds.add(new DataView(b.buffer, b.byteOffset).getUint32(12, true))
    }
    expect(keyIds.size, `data key ids in use: ${[...keyIds]}`).toBeGreaterThan(1)
    db = await open(DIR, opts)
    expect(await dump(db)).toBe(model.dump())
    await db.close()
  }, 60_000)
})

describe('keys refused before anything changes', () => {
  async function encryptedDb(): Promise<{ fs: MemFileSystem; model: Model }> {
    const fs = new MemFileSystem()
    const db = await open(DIR, small(fs, { encryptionKey: KEY }))
    const model = await writeMarked(db, 60)
    await db.put('unflushed', 'in the WAL only')
    await db.close()
    return { fs, model }
  }

  async function expectRefused(fs: MemFileSystem, options: Options, error: new (...a: never[]) => Error, message: RegExp): Promise<void> {
    const before = snapshot(fs)
    const err = await open(DIR, { ...small(fs), ...options }).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(error)
    expect((err as Error).message).toMatch(message)
    expect(snapshot(fs)).toEqual(before)
  }

  it('no key, wrong key, wrong key size', async () => {
    const { fs } = await encryptedDb()
    await expectRefused(fs, {}, EncryptionKeyError, /is encrypted: open it with options.encryptionKey/)
    await expectRefused(fs, { encryptionKey: OTHER_KEY }, EncryptionKeyError, /wrong encryption key/)
    await expectRefused(fs, { encryptionKey: KEY.subarray(0, 16) }, EncryptionKeyError, /wrong encryption key/)
    await expectRefused(fs, { encryptionKey: KEY.subarray(0, 20) }, InvalidArgumentError, /16, 24 or 32 bytes/)
    // The right key still opens it, with every write.
    const db = await open(DIR, small(fs, { encryptionKey: KEY }))
    expect(db.getSync('unflushed')?.toString()).toBe('in the WAL only')
    await db.close()
  })

  it('a damaged or cut registry is corruption; a missing one is named', async () => {
    const { fs } = await encryptedDb()
    const registry = `${DIR}/KEYREGISTRY`
    const size = fs.readFile(registry).length
    for (const bit of [3, 8 * 20, 8 * (size - 10), 8 * size - 1]) {
      const damaged = new MemFileSystem()
      damaged.mkdir(DIR)
      for (const [p, b] of fs.snapshotFiles()) damaged.create(p).append(b)
      damaged.flipBit(registry, bit)
      await expectRefused(damaged, { encryptionKey: KEY }, CorruptionError, /KEYREGISTRY/)
    }
    fs.truncateFile(registry, size - 1)
    await expectRefused(fs, { encryptionKey: KEY }, CorruptionError, /key registry/)
    fs.remove(registry)
    await expectRefused(fs, { encryptionKey: KEY }, EncryptionKeyError, /key registry \(KEYREGISTRY\) is missing/)
    await expectRefused(fs, {}, EncryptionKeyError, /key registry \(KEYREGISTRY\) is missing/)
  })

  it('a key for a database that is not encrypted', async () => {
    const fs = new MemFileSystem()
    const db = await open(DIR, small(fs))
    await db.put('a', 'b')
    await db.close()
    await expectRefused(fs, { encryptionKey: KEY }, EncryptionKeyError, /not encrypted/)
  })

  it('createIfMissing: false writes no registry', async () => {
    const fs = new MemFileSystem()
    fs.mkdir(DIR)
    await expectRefused(fs, { encryptionKey: KEY, createIfMissing: false }, Error, /no database/)
  })
})

describe('on the real file system, compactions in the worker thread', () => {
  it('the worker reads and writes encrypted tables with the keys it is sent', async () => {
    const dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'sett-enc-'))
    try {
      const opts: Options = { encryptionKey: KEY.subarray(0, 24), memtableSize: 32 * 1024, tableTargetSize: 32 * 1024, l0CompactionTrigger: 2 }
      let db = await open(dir, opts)
      const model = new Model()
      for (let i = 0; i < 4000; i++) {
        const k = Buffer.from(`${MARKER}:${i % 1500}`)
        const v = Buffer.from(`${MARKER}:${i}:`.repeat(1 + (i % 5)))
        await db.put(k, v)
        model.put(k, v)
      }
      await db.compactRange()
      const stats = db.stats()
      expect(stats.compactionInWorker).toBe(true)
      expect(stats.compactions).toBeGreaterThan(0)
      expect(await dump(db)).toBe(model.dump())
      await db.close()
      for (const name of nodeFs.readdirSync(dir)) {
        expect(nodeFs.readFileSync(path.join(dir, name)).includes(MARKER), name).toBe(false)
      }
      const hashes = () => nodeFs.readdirSync(dir).map((n) => `${n}:${createHash('sha256').update(nodeFs.readFileSync(path.join(dir, n))).digest('hex')}`)
      const before = hashes()
      await expect(open(dir, {})).rejects.toBeInstanceOf(EncryptionKeyError)
      await expect(open(dir, { encryptionKey: KEY })).rejects.toBeInstanceOf(EncryptionKeyError)
      expect(hashes()).toEqual(before)
      db = await open(dir, opts)
      expect(await dump(db)).toBe(model.dump())
      await db.close()
    } finally {
      nodeFs.rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

describe('backups of an encrypted database', () => {
  it('are written as they are and restore into a database with another key, or none', async () => {
    const fs = new MemFileSystem()
    fs.mkdir('/b')
    const db = await open(DIR, small(fs, { encryptionKey: KEY }))
    const model = await writeMarked(db, 120)
    const source = await dump(db)
    await db.backup('/b/full.bak')
    await db.close()
    expect(model.map.size).toBeGreaterThan(50)
    // The backup is a portable plaintext stream (documented): the marker is in it and nowhere in the database.
    expect(filesContaining(fs, MARKER)).toEqual(['/b/full.bak'])
    for (const [dir, extra] of [['/other-key', { encryptionKey: OTHER_KEY }], ['/plain', {}]] as const) {
      const target = await open(dir, small(fs, extra))
      await target.load('/b/full.bak')
      expect(await dump(target), dir).toBe(source)
      await target.close()
    }
    const marked = filesContaining(fs, MARKER)
    expect(marked.some((p) => p.startsWith('/plain/'))).toBe(true)
    expect(marked.some((p) => p.startsWith('/other-key/') || p.startsWith(`${DIR}/`))).toBe(false)
  })
})
