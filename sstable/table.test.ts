// Whole tables against a sorted array: random entries (versions, tombstones, empty and large
// values, 1-byte and long keys) built at small block sizes with and without compression, then
// point gets at random sequence numbers, full scans both ways, and seeks with random walks.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../base/errors.js'
import { hashOut1, hashOut2, murmur3Pair } from '../base/hash.js'
import { Kind, MAX_SEQ } from '../base/internal-key.js'
import type { WritableFile } from '../base/fs.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { RealFileSystem } from '../base/real-fs.js'
import { BlockCache } from './block-cache.js'
import type { TableWriterOptions } from './options.js'
import { TableBuilder, WRITE_BUFFER_BYTES } from './table-builder.js'
import { TableReader } from './table-reader.js'
import {
  type Entry, buildTable, mismatchAt, modelGet, modelSeekGE, modelSeekLT, randomEntries, randomUserKey, randomWalk,
  type Rng, seededRandom,
} from '../tests/support/table-data.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** A read sequence number: often exactly an entry's, or just either side of it. */
function pickSeq(rng: Rng, near: number): number {
  const r = rng()
  if (r < 0.1) return MAX_SEQ
  if (r < 0.4) return near
  if (r < 0.55) return near - 1
  if (r < 0.7) return near + 1
  return rng.int(100_001)
}

function checkTable(seed: number, keyCount: number, options: TableWriterOptions, cacheBytes: number): void {
  const rng = seededRandom(seed)
  const entries = randomEntries(rng, keyCount)
  const fs = new MemFileSystem()
  const props = buildTable(fs.create('/t.sst'), entries, options)
  const why = `seed ${seed}, options ${JSON.stringify(options)}`
  expect(props.entryCount, why).toBe(entries.length)
  expect(props.fileSize, why).toBe(fs.readFile('/t.sst').length)

  const cache = new BlockCache(cacheBytes)
  const reader = TableReader.open(fs, '/t.sst', 1, cache)
  expect(reader.properties, why).toEqual(props)
  reader.verify()
  const fail = (msg: string | undefined) => expect(msg, why).toBeUndefined()

  // Full scans both ways.
  const it = reader.iterator()
  it.first()
  for (let i = 0; i <= entries.length; i++, it.next()) fail(mismatchAt(it, entries, i))
  it.last()
  for (let i = entries.length - 1; i >= -1; i--, it.prev()) fail(mismatchAt(it, entries, i))

  // Point gets at random sequence numbers, present and absent keys.
  for (let trial = 0; trial < 600; trial++) {
    const e = entries[rng.int(entries.length)]
    const userKey = rng.chance(0.7) ? e.userKey : randomUserKey(rng)
    const readSeq = pickSeq(rng, e.seq)
    const want = modelGet(entries, userKey, readSeq)
    const got = reader.get(userKey, readSeq)
    const fmt = (e: { seq: number; kind: number; value: Uint8Array } | undefined) =>
      e === undefined ? 'none' : `${e.seq}#${e.kind}=${hex(e.value)}`
    expect(fmt(got), `${why}: get ${hex(userKey)} at ${readSeq}`).toBe(fmt(want))
    if (want !== undefined) expect(reader.mayContain(userKey)).toBe(true)
    // The hashed lookup (one hash for every filter a read meets) answers the same, transient too.
    murmur3Pair(userKey)
    const [h1, h2] = [hashOut1, hashOut2]
    expect(fmt(reader.getHashed(userKey, readSeq, h1, h2)), `${why}: getHashed ${hex(userKey)}`).toBe(fmt(want))
    expect(fmt(reader.getHashed(userKey, readSeq, h1, h2, true)), `${why}: getHashed transient ${hex(userKey)}`).toBe(fmt(want))
  }

  // Seeks followed by random walks.
  for (let trial = 0; trial < 300; trial++) {
    const e = entries[rng.int(entries.length)]
    const target = rng.chance(0.6) ? e.userKey : randomUserKey(rng)
    const seq = pickSeq(rng, e.seq)
    if (rng.chance(0.5)) {
      if (seq === MAX_SEQ && rng.chance(0.5)) it.seekGE(target)
      else it.seekGE(target, seq)
      fail(randomWalk(it, entries, modelSeekGE(entries, target, seq), rng, 30))
    } else {
      it.seekLT(target)
      fail(randomWalk(it, entries, modelSeekLT(entries, target), rng, 30))
    }
  }
  it.close()
  expect(it.valid()).toBe(false)
  if (cacheBytes > 0) expect(cache.size).toBeLessThanOrEqual(cacheBytes)
  reader.close()
}

describe('table model', () => {
  const configs: Array<[TableWriterOptions, number]> = [
    [{ blockSize: 64, restartInterval: 2, compression: 'none' }, 1 << 20],
    [{ blockSize: 64, restartInterval: 2, compression: 'lz4' }, 1 << 20],
    [{ blockSize: 256, restartInterval: 16, compression: 'lz4' }, 2048],
    [{ blockSize: 512, restartInterval: 1, compression: 'none', bloomBitsPerKey: 0 }, 0],
    [{ blockSize: 4096, compression: 'lz4', bloomBitsPerKey: 4 }, 1 << 20],
    [{}, 1 << 20],
    // No cache: every transient get walks a block as it decodes it (type 2 by chunks, type 1 whole).
    [{ blockSize: 4096, compression: 'lz4' }, 0],
    [{ blockSize: 4096, compression: 'lz4', formatVersion: 1 }, 0],
    [{ blockSize: 1024, compression: 'lz4', restartInterval: 1, formatVersion: 1 }, 1 << 20],
  ]
  configs.forEach(([options, cacheBytes], n) => {
    it(`matches a sorted array: ${JSON.stringify(options)}, cache ${cacheBytes} B`, () => {
      checkTable(4242 + n, 400, options, cacheBytes)
    })
  })

  it('writes and reads a table through the real file system', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sett-sstable-'))
    try {
      const fs = new RealFileSystem()
      const entries = randomEntries(seededRandom(77), 300)
      const file = fs.create(join(dir, '000007.sst'))
      const props = buildTable(file, entries, { blockSize: 1024 })
      await file.sync()
      await file.close()
      const reader = TableReader.open(fs, join(dir, '000007.sst'), 7, new BlockCache(1 << 20))
      expect(reader.properties).toEqual(props)
      reader.verify()
      const it = reader.iterator()
      let i = 0
      for (it.first(); it.valid(); it.next(), i++) if (mismatchAt(it, entries, i)) expect(mismatchAt(it, entries, i)).toBeUndefined()
      expect(i).toBe(entries.length)
      reader.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reads an empty table', () => {
    const fs = new MemFileSystem()
    const props = buildTable(fs.create('/e.sst'), [])
    expect(props).toMatchObject({ entryCount: 0, dataBlockCount: 0, minSeq: 0, maxSeq: 0, smallestKey: new Uint8Array(0) })
    const reader = TableReader.open(fs, '/e.sst', 1, new BlockCache(1 << 20))
    reader.verify()
    expect(reader.get(Uint8Array.of(1), MAX_SEQ)).toBeUndefined()
    const it = reader.iterator()
    for (const move of [() => it.first(), () => it.last(), () => it.seekGE(Uint8Array.of(1)), () => it.seekLT(Uint8Array.of(1))]) {
      move()
      expect(it.valid()).toBe(false)
    }
  })

  it('records the properties of what was added', () => {
    const fs = new MemFileSystem()
    const entries: Entry[] = [
      { userKey: Uint8Array.of(5), seq: 9, kind: Kind.Value, value: Uint8Array.of(1, 2, 3) },
      { userKey: Uint8Array.of(5), seq: 4, kind: Kind.Delete, value: new Uint8Array(0) },
      { userKey: Uint8Array.of(7, 7), seq: 12, kind: Kind.ValuePointer, value: Uint8Array.of(9) },
    ]
    const props = buildTable(fs.create('/p.sst'), entries, { blockSize: 1 })
    expect(props).toEqual({
      smallestKey: Uint8Array.of(5), largestKey: Uint8Array.of(7, 7), entryCount: 3, tombstoneCount: 1,
      minSeq: 4, maxSeq: 12, rawKeyBytes: 4, rawValueBytes: 4, dataBlockCount: 3, fileSize: fs.readFile('/p.sst').length,
    })
  })

  it('serves a get from the cache without reading the file again', () => {
    const fs = new MemFileSystem()
    const entries: Entry[] = []
    for (let i = 0; i < 20; i++) entries.push({ userKey: Uint8Array.of(i), seq: 1, kind: Kind.Value, value: Uint8Array.of(i) })
    buildTable(fs.create('/c.sst'), entries)
    const cache = new BlockCache(1 << 20)
    const reader = TableReader.open(fs, '/c.sst', 3, cache)
    const e = entries[10]
    expect(reader.get(e.userKey, MAX_SEQ)?.seq).toBeDefined()
    expect(cache.misses).toBe(1)
    expect(cache.count).toBe(1)
    fs.flipBit('/c.sst', 8 * 40) // inside the only data block
    expect(reader.get(e.userKey, MAX_SEQ)?.seq).toBeDefined()
    expect(cache.hits).toBe(1)
    cache.dropTable(3)
    expect(cache.count).toBe(0)
    expect(() => reader.get(e.userKey, MAX_SEQ)).toThrow(/checksum/)
  })

  it('cuts blocks near blockSize and reports an estimated size that grows', () => {
    const fs = new MemFileSystem()
    const b = new TableBuilder(fs.create('/s.sst'), { blockSize: 4096, compression: 'none' })
    let last = b.estimatedSize
    for (let i = 0; i < 2000; i++) {
      b.add(Buffer.from(`key${String(i).padStart(8, '0')}`), 1, Kind.Value, new Uint8Array(100).fill(i & 0xff))
      expect(b.estimatedSize).toBeGreaterThanOrEqual(last)
      last = b.estimatedSize
    }
    expect(b.entryCount).toBe(2000)
    const props = b.finish()
    expect(props.fileSize).toBeGreaterThan(last)
    // Each block but the last is cut by the first entry that takes it to 4096 bytes or past.
    const reader = TableReader.open(fs, '/s.sst', 1, new BlockCache(0))
    expect(reader.blockCount).toBe(props.dataBlockCount)
    expect(props.dataBlockCount).toBeGreaterThan(40)
    for (let i = 0; i + 1 < reader.blockCount; i++) {
      expect(reader.blockHandle(i).length).toBeGreaterThanOrEqual(4096)
      expect(reader.blockHandle(i).length).toBeLessThan(4096 + 125)
    }
  })

  it('appends blocks to the file in pieces of WRITE_BUFFER_BYTES, not one write per block', () => {
    const fs = new MemFileSystem()
    const file = fs.create('/w.sst')
    const appends: number[] = []
    const counting: WritableFile = {
      path: file.path,
      get size() { return file.size },
      append: (data) => { appends.push(data.length); file.append(data) },
      sync: () => file.sync(),
      close: () => file.close(),
    }
    const b = new TableBuilder(counting, { blockSize: 1024, compression: 'lz4' })
    for (let i = 0; i < 5000; i++) b.add(Buffer.from(`key${String(i).padStart(8, '0')}`), 1, Kind.Value, new Uint8Array(100).fill(i % 7))
    // Nothing reaches the file before a whole buffer's worth of blocks is ready.
    expect(appends.every((n) => n >= WRITE_BUFFER_BYTES)).toBe(true)
    const props = b.finish()
    expect(props.dataBlockCount).toBeGreaterThan(100)
    expect(appends.length).toBeLessThanOrEqual(Math.ceil(props.fileSize / WRITE_BUFFER_BYTES) + 1)
    expect(appends.reduce((s, n) => s + n, 0)).toBe(props.fileSize)
    // The gathered blocks read back as written.
    const reader = TableReader.open(fs, '/w.sst', 1, new BlockCache(0))
    reader.verify()
    const it = reader.iterator()
    it.first()
    let n = 0
    for (; it.valid(); it.next()) n++
    expect(n).toBe(5000)
  })

  it('rejects out-of-order entries and bad options', () => {
    const fs = new MemFileSystem()
    const b = new TableBuilder(fs.create('/o.sst'))
    b.add(Uint8Array.of(2), 5, Kind.Value, new Uint8Array(0))
    expect(() => b.add(Uint8Array.of(1), 9, Kind.Value, new Uint8Array(0))).toThrow(InvalidArgumentError)
    expect(() => b.add(Uint8Array.of(2), 5, Kind.Value, new Uint8Array(0))).toThrow(InvalidArgumentError)
    expect(() => b.add(Uint8Array.of(2), 6, Kind.Value, new Uint8Array(0))).toThrow(InvalidArgumentError)
    b.add(Uint8Array.of(2), 5, Kind.Delete, new Uint8Array(0))
    b.add(Uint8Array.of(2), 4, Kind.Value, new Uint8Array(0))
    expect(() => b.add(Uint8Array.of(3), MAX_SEQ + 1, Kind.Value, new Uint8Array(0))).toThrow(InvalidArgumentError)
    b.finish()
    expect(() => b.finish()).toThrow(InvalidArgumentError)
    for (const bad of [{ blockSize: 0 }, { restartInterval: 0 }, { bloomBitsPerKey: -1 }, { compression: 'zstd' }]) {
      expect(() => new TableBuilder(fs.create('/x.sst'), bad as TableWriterOptions)).toThrow(InvalidArgumentError)
    }
  })
})
