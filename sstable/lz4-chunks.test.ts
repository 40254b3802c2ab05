// Type 2 blocks (lz4 chunks, table format version 2) against type 1 and a sorted array: blocks of
// compressible 100-byte values (as the benchmarks write) and of random entries, decoded whole and
// walked lazily from the chunk a key is in; every chunk header, length and start that lies is a
// CorruptionError; version 1 tables stay readable.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { hashOut1, hashOut2, murmur3Pair } from '../base/hash.js'
import { Kind, MAX_SEQ } from '../base/internal-key.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { BlockBuilder } from './block-builder.js'
import { BlockCache } from './block-cache.js'
import { Block, BlockIter } from './block-iter.js'
import { Compression } from './format.js'
import { lz4CompressRangeInto } from './lz4.js'
import { CHUNK_BYTES, Lz4ChunkDecoder, lz4ChunksBound, lz4ChunksDecodeInto, lz4CompressChunksInto } from './lz4-chunks.js'
import { TableReader } from './table-reader.js'
import { type Entry, buildTable, modelGet, randomEntries, randomUserKey, seededRandom, type Rng } from '../tests/support/table-data.js'

/** 16-byte zero-padded decimal keys and 100-byte values half random, half a repeat (bench/harness/keys.ts). */
function benchEntries(rng: Rng, n: number): Entry[] {
  const out: Entry[] = []
  for (let i = 0; i < n; i++) {
    const userKey = new Uint8Array(Buffer.from(String(i * 7).padStart(16, '0')))
    const value = new Uint8Array(100)
    for (let j = 0; j < 50; j++) value[j] = 0x20 + rng.int(95)
    for (let j = 50; j < 100; j++) value[j] = value[j - 50]
    out.push({ userKey, seq: 1 + rng.int(1000), kind: Kind.Value, value })
  }
  return out
}

/** A finished data block of `entries` as the version 2 writer cuts restarts. */
function blockOf(entries: readonly Entry[], restartInterval = 16): Uint8Array {
  const b = new BlockBuilder(restartInterval, 4096, CHUNK_BYTES)
  for (const e of entries) b.add(e.userKey, e.seq, e.kind, e.value)
  return b.finish().slice()
}

function compressChunks(raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(lz4ChunksBound(raw.length, raw.length))
  return out.slice(0, lz4CompressChunksInto(raw, out, 0))
}

/** The stored form with chunks starting at `starts` (any offsets: to forge bad ones). */
function forgeChunks(raw: Uint8Array, starts: number[]): Uint8Array {
  const parts: number[] = []
  const chunks: Uint8Array[] = []
  const bounds = [...starts, raw.length]
  for (let c = 0; c < starts.length; c++) {
    const out = new Uint8Array(raw.length * 2 + 64)
    const n = lz4CompressRangeInto(raw, bounds[c], bounds[c + 1], out, 0)
    chunks.push(out.slice(0, n))
    parts.push(bounds[c + 1] - bounds[c], n)
  }
  const varint = (v: number) => { const b: number[] = []; while (v >= 0x80) { b.push((v & 0x7f) | 0x80); v = Math.floor(v / 128) } b.push(v); return b }
  const head = [raw.length & 255, (raw.length >>> 8) & 255, (raw.length >>> 16) & 255, raw.length >>> 24, ...varint(starts.length), ...parts.flatMap(varint)]
  return Uint8Array.from([...head, ...chunks.flatMap((c) => [...c])])
}

function decodeWhole(stored: Uint8Array): Uint8Array {
  const out = new Uint8Array(stored.length < 4 ? 0 : new DataView(stored.buffer, stored.byteOffset).getUint32(0, true))
  return out.slice(0, lz4ChunksDecodeInto('f', 7, stored, 0, stored.length, out, 0))
}

/** seekGEDecoding over a type 2 block, answered as seekGE over the decoded block answers. */
function checkLazyAgainstWhole(raw: Uint8Array, stored: Uint8Array, targets: Array<[Uint8Array, number]>): void {
  const whole = new BlockIter('f')
  whole.reset(Block.parse('f', 0, raw), 0)
  const lazy = new BlockIter('f')
  const buf = new Uint8Array(stored.length + raw.length + 64)
  buf.set(stored)
  const decoder = new Lz4ChunkDecoder()
  for (const [key, seq] of targets) {
    whole.seekGE(key, seq)
    lazy.seekGEDecoding(decoder.start('f', 0, buf, 0, stored.length, buf, stored.length), 0, key, seq)
    const what = `${Buffer.from(key).toString('hex')}@${seq}`
    expect(lazy.valid(), what).toBe(whole.valid())
    if (!whole.valid()) continue
    expect(lazy.userKeyEquals(whole.userKey()), what).toBe(true)
    expect([lazy.seq(), lazy.kind()], what).toEqual([whole.seq(), whole.kind()])
    expect(Buffer.from(lazy.value()).equals(Buffer.from(whole.value())), what).toBe(true)
  }
}

describe('lz4 chunks', () => {
  it('decode to the block exactly, and a lazy seek finds what seekGE finds (random and bench-like blocks)', () => {
    const rng = seededRandom(3)
    let multi = 0
    for (let round = 0; round < 40; round++) {
      const bench = round % 2 === 0
      const all = bench ? benchEntries(rng, 10 + rng.int(60)) : randomEntries(rng, 5 + rng.int(40))
      const entries = all.filter((e) => e.value.length < 1000)
      const raw = blockOf(entries, 1 + rng.int(16))
      const stored = compressChunks(raw)
      expect(decodeWhole(stored)).toEqual(raw)
      const chunks = new Lz4ChunkDecoder().start('f', 0, stored, 0, stored.length, new Uint8Array(raw.length), 0)
      if ((chunks as unknown as { count: number }).count > 1) multi++
      const targets: Array<[Uint8Array, number]> = []
      for (const e of entries) targets.push([e.userKey, e.seq], [e.userKey, e.seq - 1], [e.userKey, MAX_SEQ])
      for (let i = 0; i < 50; i++) targets.push([randomUserKey(rng), rng.int(2000)])
      targets.push([new Uint8Array(0), MAX_SEQ], [Uint8Array.of(0xff, 0xff, 0xff), 0])
      checkLazyAgainstWhole(raw, stored, targets)
    }
    expect(multi).toBeGreaterThan(10)
  })

  it('report a chunk that does not start at a restart, and lengths that do not add up', () => {
    const raw = blockOf(benchEntries(seededRandom(5), 30))
    const restarts = new DataView(raw.buffer).getUint32(raw.length - 4, true)
    expect(restarts).toBeGreaterThan(2)
    const second = new DataView(raw.buffer).getUint32(raw.length - 4 - 4 * restarts + 4, true)
    expect(decodeWhole(forgeChunks(raw, [0, second]))).toEqual(raw)
    expect(() => decodeWhole(forgeChunks(raw, [0, second + 1]))).toThrow(/not at a restart/)
    const good = forgeChunks(raw, [0, second])
    const short = good.slice()
    short[0] ^= 1
    expect(() => decodeWhole(short)).toThrow(CorruptionError)
    expect(() => decodeWhole(good.subarray(0, good.length - 1))).toThrow(CorruptionError)
    expect(() => decodeWhole(Uint8Array.of(...good.subarray(0, 4), 0))).toThrow(/chunk count/)
    // A lazy seek in a forged block never answers wrong: a chunk whose first bytes are no entry
    // with shared = 0 is never a place to start, so the walk starts before it.
    const bad = forgeChunks(raw, [0, second + 1])
    const entries = benchEntries(seededRandom(5), 30)
    checkLazyAgainstWhole(raw, bad, entries.map((e) => [e.userKey, MAX_SEQ] as [Uint8Array, number]))
  })

  it('are what version 2 and 3 tables hold, and version 1 tables (one LZ4 block each) still read the same', () => {
    const entries = benchEntries(seededRandom(9), 3000)
    for (const formatVersion of [1, 2, 3] as const) {
      const fs = new MemFileSystem()
      buildTable(fs.create('/t.sst'), entries, { formatVersion })
      const bytes = fs.readFile('/t.sst')
      for (const cacheBytes of [0, 1 << 20]) {
        const reader = TableReader.open(fs, '/t.sst', 1, new BlockCache(cacheBytes))
        expect(reader.version).toBe(formatVersion)
        for (let i = 0; i < reader.blockCount; i++) {
          const h = reader.blockHandle(i)
          expect(bytes[h.offset + h.length]).toBe(formatVersion >= 2 ? Compression.Lz4Chunks : Compression.Lz4)
        }
        reader.verify()
        const rng = seededRandom(11)
        for (let t = 0; t < 3000; t++) {
          const e = entries[rng.int(entries.length)]
          const key = rng.chance(0.2) ? randomUserKey(rng) : e.userKey
          const seq = rng.chance(0.5) ? MAX_SEQ : e.seq - rng.int(2)
          const want = modelGet(entries, key, seq)
          murmur3Pair(key)
          for (const got of [reader.get(key, seq), reader.getHashed(key, seq, hashOut1, hashOut2, true)]) {
            expect(got === undefined ? undefined : [got.seq, got.kind, Buffer.from(got.value).toString('hex')])
              .toEqual(want === undefined ? undefined : [want.seq, want.kind, Buffer.from(want.value).toString('hex')])
          }
        }
      }
    }
  })
})
