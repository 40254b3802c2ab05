// Scans read ahead (block-read.ts ReadAhead): a forward scan that misses the cache reads many
// blocks per file read, returns exactly the entries written (compressed or not, through files
// with and without readInto), and a damaged block inside a read-ahead window is still a
// CorruptionError at that block's offset. Point gets never read ahead.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import type { FileSystem, ReadableFile } from '../base/fs.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { BlockCache } from './block-cache.js'
import { READ_AHEAD_MAX } from './block-read.js'
import { TableReader } from './table-reader.js'
import { type Entry, buildTable, randomEntries, seededRandom } from '../tests/support/table-data.js'

const PATH = '/db/000007.sst'

/** Counts the reads that reach the file; `withReadInto: false` hides readInto (read() only). */
function countingFs(inner: MemFileSystem, withReadInto: boolean): { fs: FileSystem; reads: () => number } {
  let reads = 0
  const fs = Object.create(inner) as FileSystem
  fs.openRead = (path: string): ReadableFile => {
    const f = inner.openRead(path)
    const wrapped: ReadableFile = {
      path: f.path,
      size: f.size,
      read: (offset, length) => (reads++, f.read(offset, length)),
      close: () => f.close(),
    }
    if (withReadInto) wrapped.readInto = (offset, length, dest) => (reads++, f.readInto!(offset, length, dest))
    return wrapped
  }
  return { fs, reads: () => reads }
}

function table(compression: 'lz4' | 'none'): { mem: MemFileSystem; entries: Entry[] } {
  const entries = randomEntries(seededRandom(7), 3000)
  const mem = new MemFileSystem()
  mem.mkdir('/db')
  buildTable(mem.create(PATH), entries, { blockSize: 512, compression })
  return { mem, entries }
}

function scan(reader: TableReader): Entry[] {
  const it = reader.iterator()
  const out: Entry[] = []
  for (it.first(); it.valid(); it.next()) out.push({ userKey: it.userKey().slice(), seq: it.seq(), kind: it.kind(), value: it.value().slice() })
  it.close()
  return out
}

describe('table scans read ahead', () => {
  for (const compression of ['lz4', 'none'] as const) {
    for (const withReadInto of [true, false]) {
      it(`reads many blocks per read and returns every entry (${compression}, readInto ${withReadInto})`, () => {
        const { mem, entries } = table(compression)
        const { fs, reads } = countingFs(mem, withReadInto)
        const reader = TableReader.open(fs, PATH, 1, new BlockCache(0))
        const opened = reads()
        expect(reader.blockCount).toBeGreaterThan(100)
        const got = scan(reader)
        expect(got.length).toBe(entries.length)
        for (let i = 0; i < entries.length; i++) {
          const want = entries[i]
          const e = got[i]
          if (Buffer.compare(e.userKey, want.userKey) !== 0 || e.seq !== want.seq || e.kind !== want.kind || Buffer.compare(e.value, want.value) !== 0) {
            expect({ i, e }).toEqual({ i, e: want })
          }
        }
        const scanReads = reads() - opened
        // Block 0 alone, then windows of 16 KiB doubling to 256 KiB over blocks of ~512 bytes.
        expect(scanReads).toBeLessThan(reader.blockCount / 8)
        expect(scanReads).toBeGreaterThanOrEqual(Math.ceil(reader.properties.fileSize / READ_AHEAD_MAX))
        // Point gets read one block each, never a window.
        const before = reads()
        for (let i = 0; i < entries.length; i += 97) reader.get(entries[i].userKey, 1e9)
        expect(reads() - before).toBe(Math.ceil(entries.length / 97))
        reader.close()
      })
    }
  }

  it('still names the damaged block when it was read inside a window', () => {
    const { mem } = table('lz4')
    const bytes = mem.readFile(PATH)
    const probe = TableReader.open(mem, PATH, 1, new BlockCache(0))
    const victim = Math.floor(probe.blockCount / 2)
    const h = probe.blockHandle(victim)
    probe.close()
    bytes[h.offset + Math.floor(h.length / 2)] ^= 0x10
    const damaged = new MemFileSystem()
    damaged.mkdir('/db')
    damaged.create(PATH).append(bytes)
    const reader = TableReader.open(damaged, PATH, 1, new BlockCache(0))
    let caught: unknown
    try {
      scan(reader)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(CorruptionError)
    expect((caught as CorruptionError).offset).toBe(h.offset)
    expect((caught as Error).message).toMatch(/checksum mismatch/)
  })
})
