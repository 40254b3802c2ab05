// Micro-benchmarks of the memtable: inserts, point gets, seeks and scans with 16-byte keys and
// 100-byte values, against tables of up to 1M entries. bench/micro.ts runs register().
//
// Keys are a hash of an index, written into one reused buffer, so no per-op allocation or key array
// distorts the figures. The 1M-entry table for reads is built once, outside the timed part.

import type { Bench } from 'tinybench'
import { Kind, MAX_SEQ } from '../base/internal-key.js'
import type { InternalIterator } from '../base/internal-iterator.js'
import { Memtable } from './index.js'

const ENTRIES = 1_000_000
const KEY_SIZE = 16
const VALUE_SIZE = 100

/** Writes a 16-byte pseudo-random key for index i (distinct for distinct i below 2^32). */
function writeKey(buf: Uint8Array, i: number): void {
  let h = i >>> 0
  for (let w = 0; w < 4; w++) {
    // An invertible 32-bit mix (murmur3 finaliser) of i + w keeps keys distinct and uniform.
    h = (i + Math.imul(w, 0x9e3779b9)) >>> 0
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
    buf[w * 4] = h >>> 24
    buf[w * 4 + 1] = h >>> 16
    buf[w * 4 + 2] = h >>> 8
    buf[w * 4 + 3] = h
  }
}

/** Big-endian counter key: ascending order, the append fast path. */
function writeSequentialKey(buf: Uint8Array, i: number): void {
  buf.fill(0, 0, 12)
  buf[12] = i >>> 24
  buf[13] = i >>> 16
  buf[14] = i >>> 8
  buf[15] = i
}

let built: Memtable | undefined
/** The shared 1M-entry table for read tasks, built on first use. */
function prebuilt(): Memtable {
  if (built === undefined) {
    const mt = new Memtable()
    const key = new Uint8Array(KEY_SIZE)
    const value = new Uint8Array(VALUE_SIZE).fill(7)
    for (let i = 0; i < ENTRIES; i++) {
      writeKey(key, i)
      mt.add(key, i + 1, Kind.Value, value)
    }
    built = mt
  }
  return built
}

/** xorshift32: picks which entry to read without Math.random's cost or a key array's memory. */
function picker(seed: number): () => number {
  let x = seed
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) % ENTRIES
  }
}

export function register(bench: Bench): void {
  const key = new Uint8Array(KEY_SIZE)
  const value = new Uint8Array(VALUE_SIZE).fill(9)

  // Inserts fill a table up to 1M entries, then start a fresh one (the engine would flush).
  let insertTable = new Memtable()
  let inserted = 0
  bench.add(`memtable: insert ${KEY_SIZE}B key/${VALUE_SIZE}B value (random order, up to 1M)`, () => {
    if (inserted === ENTRIES) {
      insertTable = new Memtable()
      inserted = 0
    }
    writeKey(key, inserted)
    insertTable.add(key, ++inserted, Kind.Value, value)
  })

  let seqTable = new Memtable()
  let seqInserted = 0
  bench.add(`memtable: insert ${KEY_SIZE}B key/${VALUE_SIZE}B value (ascending keys, up to 1M)`, () => {
    if (seqInserted === ENTRIES) {
      seqTable = new Memtable()
      seqInserted = 0
    }
    writeSequentialKey(key, seqInserted)
    seqTable.add(key, ++seqInserted, Kind.Value, value)
  })

  const pickHit = picker(12345)
  let sink = 0
  bench.add(
    `memtable: get ${KEY_SIZE}B key, hit (1M entries)`,
    () => {
      writeKey(key, pickHit())
      sink += prebuilt().get(key, MAX_SEQ)!.seq
    },
    { beforeAll: () => void prebuilt() },
  )

  const pickMiss = picker(777)
  bench.add(
    `memtable: get ${KEY_SIZE}B key, miss (1M entries)`,
    () => {
      // Indexes past ENTRIES were never added.
      writeKey(key, ENTRIES + pickMiss())
      if (prebuilt().get(key, MAX_SEQ) !== undefined) sink++
    },
    { beforeAll: () => void prebuilt() },
  )

  let seekIter: InternalIterator | undefined
  const pickSeek = picker(4242)
  bench.add(
    `memtable: seekGE ${KEY_SIZE}B key (1M entries)`,
    () => {
      writeKey(key, pickSeek())
      seekIter!.seekGE(key)
    },
    { beforeAll: () => void (seekIter = prebuilt().iterator()) },
  )

  let scanIter: InternalIterator | undefined
  bench.add(
    'memtable: iterator next + key/value views (1M entries)',
    () => {
      const it = scanIter!
      if (!it.valid()) it.first()
      sink += it.userKey().length + it.value().length
      it.next()
    },
    {
      beforeAll: () => {
        scanIter = prebuilt().iterator()
        scanIter.first()
      },
    },
  )

  bench.addEventListener('complete', () => {
    // Keeps `sink` observable so the engine cannot drop the reads.
    if (sink === -1) console.log(sink)
  })
}
