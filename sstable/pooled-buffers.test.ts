// Pooled mapped buffers (base/mapped-buffer.ts, BYTE_POOL) in table writes and compaction reads.
// Builders that finish while another is still writing give their key-hash, index, filter and
// output buffers back, the next builder's growth takes them, and every table still reads back
// whole (each key found through its filter, with its value). A compaction-style merge over
// several tables through transient read-ahead (whose 128 and 256 KiB windows go back to the pool
// as it steps from table to table) while a table is written from it returns exactly the entries.

import { describe, expect, it } from 'vitest'
import { Kind, MAX_SEQ } from '../base/internal-key.js'
import { POOLED_MIN, pooledFreeBytes } from '../base/mapped-buffer.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { FileMetadata, LevelIterator } from '../manifest/index.js'
import { BlockCache } from './block-cache.js'
import { TableBuilder } from './table-builder.js'
import { TableReader } from './table-reader.js'

const key = (prefix: string, i: number) => new TextEncoder().encode(`${prefix}${i.toString().padStart(8, '0')}`)
/** 20 bytes that differ by key, so a value read from the wrong place shows. */
function value(prefix: string, i: number): Uint8Array {
  const v = new Uint8Array(20)
  for (let j = 0; j < v.length; j++) v[j] = (i * 31 + j * 7 + prefix.charCodeAt(0)) & 0xff
  return v
}

/** Every key of the table found (its filter has no false negative) with its value, and a scan of exactly n entries. */
function checkTable(fs: MemFileSystem, path: string, prefix: string, n: number, opened?: TableReader): void {
  const reader = opened ?? TableReader.open(fs, path, 1, new BlockCache(0))
  for (let i = 0; i < n; i++) {
    const got = reader.get(key(prefix, i), MAX_SEQ)
    if (got === undefined || !Buffer.from(got.value).equals(value(prefix, i))) throw new Error(`${path}: key ${i} reads back ${got === undefined ? 'nothing' : 'a wrong value'}`)
  }
  const it = reader.iterator()
  let count = 0
  for (it.first(); it.valid(); it.next()) count++
  it.close()
  expect(count).toBe(n)
  reader.close()
}

describe('pooled buffers in tables', () => {
  it('builders that overlap in time hand buffers on and every table reads back whole', () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    // 120k keys: key hashes (960 KiB), filter (147 KiB) and index block all outgrow POOLED_MIN.
    const n = 120_000
    const a = new TableBuilder(fs.create('/db/a.sst'), { blockSize: 512 })
    const b = new TableBuilder(fs.create('/db/b.sst'), { blockSize: 512 })
    const c = new TableBuilder(fs.create('/db/c.sst'), { blockSize: 512 })
    let afterA = 0
    for (let i = 0; i < 2 * n; i++) {
      b.add(key('b', i), 1, Kind.Value, value('b', i))
      if (i < n) a.add(key('a', i), 1, Kind.Value, value('a', i))
      else c.add(key('c', i - n), 1, Kind.Value, value('c', i - n))
      if (i === n - 1) {
        a.finish()
        afterA = pooledFreeBytes()
        expect(afterA).toBeGreaterThanOrEqual(POOLED_MIN)
      }
    }
    // c grew into what a gave back.
    expect(pooledFreeBytes()).toBeLessThan(afterA)
    b.finish()
    c.finish()
    // An index block of ~250 KiB (b's, d's) is read into pooled bytes and given back at each
    // open: d's open reuses b's, and b's reader must not have kept a view into them.
    const d = new TableBuilder(fs.create('/db/d.sst'), { blockSize: 512 })
    for (let i = 0; i < 2 * n; i++) d.add(key('d', i), 1, Kind.Value, value('d', i))
    d.finish()
    const first = TableReader.open(fs, '/db/b.sst', 1, new BlockCache(0))
    const freeAfterOpen = pooledFreeBytes()
    const second = TableReader.open(fs, '/db/d.sst', 2, new BlockCache(0))
    expect(pooledFreeBytes()).toBe(freeAfterOpen)
    checkTable(fs, '/db/b.sst', 'b', 2 * n, first)
    checkTable(fs, '/db/d.sst', 'd', 2 * n, second)
    checkTable(fs, '/db/a.sst', 'a', n)
    checkTable(fs, '/db/b.sst', 'b', 2 * n)
    checkTable(fs, '/db/c.sst', 'c', n)
  })

  it('a merge over tables through transient read-ahead, writing a table as it goes, returns every entry', () => {
    const fs = new MemFileSystem()
    fs.mkdir('/db')
    const per = 40_000
    const files: FileMetadata[] = []
    for (let t = 0; t < 4; t++) {
      const path = `/db/${t + 1}.sst`
      const builder = new TableBuilder(fs.create(path), { blockSize: 4096, compression: 'none' })
      for (let i = t * per; i < (t + 1) * per; i++) builder.add(key('m', i), 1, Kind.Value, value('m', i))
      const props = builder.finish()
      const f = new FileMetadata({
        fileNumber: t + 1, size: props.fileSize, smallestKey: props.smallestKey, largestKey: props.largestKey,
        minSeq: props.minSeq, maxSeq: props.maxSeq, entryCount: props.entryCount,
      })
      f.reader = TableReader.open(fs, path, t + 1, new BlockCache(0), { filter: false })
      // Each table over 1 MiB: its read-ahead reaches READ_AHEAD_MAX (256 KiB) windows.
      expect(props.fileSize).toBeGreaterThan(1 << 20)
      files.push(f)
    }
    const input = new LevelIterator(files, { transientBlocks: true })
    const out = new TableBuilder(fs.create('/db/out.sst'), { blockSize: 4096 })
    let i = 0
    for (input.first(); input.valid(); input.next(), i++) {
      const k = input.userKey()
      if (!Buffer.from(k).equals(key('m', i)) || !Buffer.from(input.value()).equals(value('m', i))) throw new Error(`entry ${i} is wrong`)
      out.add(k, input.seq(), input.kind(), input.value())
    }
    input.close()
    expect(i).toBe(4 * per)
    out.finish()
    checkTable(fs, '/db/out.sst', 'm', 4 * per)
    for (const f of files) f.reader!.close()
  })
})
