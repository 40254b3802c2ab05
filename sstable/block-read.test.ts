// readBlockContents' three ways in: the shared scratch buffer (small blocks), an array of its own
// (blocks past the scratch bound), and read() for files without readInto. Each must return the
// same bytes, in an array the caller owns, and still refuse a damaged block.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import type { ReadableFile } from '../base/fs.js'
import { Kind } from '../base/internal-key.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { BlockCache } from './block-cache.js'
import { TableBuilder } from './table-builder.js'
import { TableReader } from './table-reader.js'

/** The same file without readInto, as a file system layer that does not offer it would give. */
function withoutReadInto(file: ReadableFile): ReadableFile {
  return { path: file.path, size: file.size, read: (o, n) => file.read(o, n), close: () => file.close() }
}

function buildTable(fs: MemFileSystem, path: string, compression: 'lz4' | 'none'): Uint8Array[] {
  const values = [new Uint8Array(100).fill(1), new Uint8Array(3 << 20).fill(7), new Uint8Array(70_000).fill(9)]
  values[1][12345] = 3
  const b = new TableBuilder(fs.create(path), { compression })
  values.forEach((v, i) => b.add(Uint8Array.of(0x61 + i), i + 1, Kind.Value, v))
  b.finish()
  return values
}

describe('readBlockContents', () => {
  for (const compression of ['lz4', 'none'] as const) {
    it(`returns owned copies of small and huge blocks, with and without readInto (${compression})`, () => {
      const fs = new MemFileSystem()
      const values = buildTable(fs, '/t.sst', compression)
      const plain = new MemFileSystem()
      const openRead = plain.openRead.bind(plain)
      plain.openRead = (path) => withoutReadInto(openRead(path))
      buildTable(plain, '/t.sst', compression)
      for (const f of [fs, plain]) {
        const reader = TableReader.open(f, '/t.sst', 1, new BlockCache(0))
        const got = values.map((_, i) => reader.get(Uint8Array.of(0x61 + i), 10)!.value)
        // Read again after: earlier results must not have been overwritten by later reads.
        values.forEach((v, i) => expect(Buffer.compare(got[i], v), `value ${i}`).toBe(0))
        reader.close()
      }
    })
  }

  it('still reports a damaged block read through the scratch buffer', () => {
    const fs = new MemFileSystem()
    buildTable(fs, '/t.sst', 'lz4')
    const bytes = fs.readFile('/t.sst')
    bytes[16 + 3] ^= 0x40 // inside data block 0
    const w = fs.create('/bad.sst')
    w.append(bytes)
    const reader = TableReader.open(fs, '/bad.sst', 2, new BlockCache(0))
    expect(() => reader.get(Uint8Array.of(0x61), 10)).toThrow(CorruptionError)
  })
})
