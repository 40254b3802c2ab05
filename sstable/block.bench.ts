// Micro-benchmarks of blocks and tables with 16-byte keys and 100-byte values: encoding and
// decoding a 4 KiB block, seeking in it, point gets and scans on a table whose blocks sit in
// the block cache, and point gets that miss the cache. bench/micro.ts runs register(). Inputs
// are built once, outside the timed part.

import type { Bench } from 'tinybench'
import { Kind, MAX_SEQ } from '../base/internal-key.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { BlockBuilder } from './block-builder.js'
import { Block, BlockIter } from './block-iter.js'
import { lz4CompressBlock, lz4DecompressBlock } from './lz4.js'
import { BlockCache, TableBuilder, TableReader } from './index.js'
import { seededRandom } from '../tests/support/table-data.js'

const KEY_SIZE = 16
const VALUE_SIZE = 100
const TABLE_ENTRIES = 50_000

/** Sorted distinct random 16-byte keys and 100-byte values (half random, half repetitive text). */
function makeEntries(n: number, seed: number): { keys: Uint8Array[]; values: Uint8Array[] } {
  const rng = seededRandom(seed)
  const keys = Array.from({ length: n }, () => rng.bytes(KEY_SIZE)).sort(Buffer.compare)
  const values = keys.map((_, i) => {
    const v = rng.bytes(VALUE_SIZE)
    if (i % 2 === 0) v.fill(0x61 + (i % 26), VALUE_SIZE / 2)
    return v
  })
  return { keys, values }
}

/** The entries that fill one 4 KiB block, and that block. */
function fourKiBBlock(): { keys: Uint8Array[]; values: Uint8Array[]; block: Uint8Array } {
  const { keys, values } = makeEntries(200, 1)
  const b = new BlockBuilder(16)
  let n = 0
  while (b.estimatedSize < 4096) {
    b.add(keys[n], n + 1, Kind.Value, values[n])
    n++
  }
  return { keys: keys.slice(0, n), values: values.slice(0, n), block: b.finish().slice() }
}

export function register(bench: Bench): void {
  const { keys, values, block } = fourKiBBlock()
  const builder = new BlockBuilder(16)
  bench.add('sstable: block encode 4KiB', () => {
    for (let i = 0; i < keys.length; i++) builder.add(keys[i], i + 1, Kind.Value, values[i])
    builder.finish()
  })

  const iter = new BlockIter('bench')
  let sink = 0
  bench.add('sstable: block decode 4KiB (parse + scan)', () => {
    iter.reset(Block.parse('bench', 0, block), 0)
    for (iter.first(); iter.valid(); iter.next()) sink += iter.value().length
  })

  const parsed = Block.parse('bench', 0, block)
  let k = 0
  bench.add('sstable: block seekGE 4KiB', () => {
    iter.reset(parsed, 0)
    iter.seekGE(keys[k++ % keys.length], MAX_SEQ)
    sink += iter.valid() ? 1 : 0
  })

  bench.add('sstable: block reverse scan 4KiB', () => {
    iter.reset(parsed, 0)
    for (iter.last(); iter.valid(); iter.prev()) sink += iter.value().length
  })

  const compressed = lz4CompressBlock(block)
  bench.add('sstable: lz4 compress 4KiB block', () => {
    sink += lz4CompressBlock(block).length
  })
  bench.add('sstable: lz4 decompress 4KiB block', () => {
    sink += lz4DecompressBlock('bench', 0, compressed).length
  })

  // A table of 50k entries (~6 MiB raw), every block in the cache before timing starts.
  const fs = new MemFileSystem()
  const table = makeEntries(TABLE_ENTRIES, 2)
  const tb = new TableBuilder(fs.create('/bench.sst'))
  for (let i = 0; i < TABLE_ENTRIES; i++) tb.add(table.keys[i], i + 1, Kind.Value, table.values[i])
  tb.finish()
  const reader = TableReader.open(fs, '/bench.sst', 1, new BlockCache(64 << 20))
  for (const key of table.keys) reader.get(key, MAX_SEQ)
  const absent = makeEntries(1000, 3).keys
  let g = 0
  bench.add('sstable: table get (cached blocks)', () => {
    g = (g + 7919) % TABLE_ENTRIES
    sink += reader.get(table.keys[g], MAX_SEQ)!.seq
  })
  let a = 0
  bench.add('sstable: table get absent key', () => {
    sink += reader.get(absent[a++ % absent.length], MAX_SEQ) === undefined ? 1 : 0
  })
  // Decimal keys ("k" + 15 digits, sharing their leading zeros as a database's keys do) in a
  // table read through a cache of size 0: every get reads, checks and decompresses its block.
  const decimal = makeEntries(TABLE_ENTRIES, 4)
  const decimalKeys = decimal.keys.map((_, i) => Buffer.from(`k${String(i * 3).padStart(15, '0')}`))
  const db = new TableBuilder(fs.create('/decimal.sst'))
  for (let i = 0; i < TABLE_ENTRIES; i++) db.add(decimalKeys[i], i + 1, Kind.Value, decimal.values[i])
  db.finish()
  const uncached = TableReader.open(fs, '/decimal.sst', 2, new BlockCache(0))
  let d = 0
  bench.add('sstable: table get, decimal keys (block cache miss)', () => {
    d = (d + 7919) % TABLE_ENTRIES
    sink += uncached.get(decimalKeys[d], MAX_SEQ)!.seq
  })

  const it = reader.iterator()
  bench.add('sstable: table scan 1k entries (cached blocks)', () => {
    it.seekGE(table.keys[(g = (g + 7919) % (TABLE_ENTRIES - 1000))])
    for (let i = 0; i < 1000; i++, it.next()) sink += it.seq()
  })
  bench.add('sstable: table seekGE (cached blocks)', () => {
    g = (g + 7919) % TABLE_ENTRIES
    it.seekGE(table.keys[g], MAX_SEQ)
    sink += it.valid() ? 1 : 0
  })
  if (sink === -1) console.log(sink)
}
