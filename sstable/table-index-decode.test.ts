// decodeIndex against the table it indexes: the decoded keys and offsets are the index block's
// entries (walked with a plain BlockIter), and an index with more or fewer entries than the
// properties' block count is a CorruptionError either way.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { randomEntries, seededRandom, buildTable } from '../tests/support/table-data.js'
import { Block, BlockIter } from './block-iter.js'
import { readBlockContents } from './block-read.js'
import { FOOTER_SIZE, decodeFooter, decodeHandle } from './format.js'
import { decodeIndex } from './table-index.js'

function tableOf(seed: number, keyCount: number, blockSize: number) {
  const fs = new MemFileSystem()
  const props = buildTable(fs.create('/t.sst'), randomEntries(seededRandom(seed), keyCount), { blockSize })
  const file = fs.openRead('/t.sst')
  const footer = decodeFooter('/t.sst', file.read(file.size - FOOTER_SIZE, FOOTER_SIZE), file.size)
  return { file, footer, props }
}

describe('decodeIndex', () => {
  for (const [seed, keyCount, blockSize] of [[1, 1, 64], [2, 300, 64], [3, 2000, 256], [4, 500, 4096]] as const) {
    it(`decodes every index entry (seed ${seed}, ${keyCount} entries, ${blockSize} B blocks)`, () => {
      const { file, footer, props } = tableOf(seed, keyCount, blockSize)
      const { keys, keyStart, offsets } = decodeIndex(file, footer, props)
      const it = new BlockIter(file.path)
      it.reset(Block.parse(file.path, footer.index.offset, readBlockContents(file, footer.index)), footer.index.offset)
      let n = 0
      for (it.first(); it.valid(); it.next(), n++) {
        expect(Buffer.from(keys.subarray(keyStart[n], keyStart[n + 1])).equals(Buffer.from(it.internalKey()))).toBe(true)
        expect(offsets[n]).toBe(decodeHandle(it.value())!.offset)
      }
      expect(n).toBe(props.dataBlockCount)
      expect(keyStart.length).toBe(n + 1)
      expect(keys.length).toBe(keyStart[n])
      expect(offsets.length).toBe(n + 1)
    })
  }

  it('is corruption when the properties count fewer or more blocks than the index holds', () => {
    const { file, footer, props } = tableOf(5, 400, 64)
    expect(props.dataBlockCount).toBeGreaterThan(2)
    const fewer = { ...props, dataBlockCount: props.dataBlockCount - 1 }
    expect(() => decodeIndex(file, footer, fewer)).toThrow(CorruptionError)
    expect(() => decodeIndex(file, footer, fewer)).toThrow(/more than the \d+ blocks the properties say/)
    const more = { ...props, dataBlockCount: props.dataBlockCount + 1 }
    expect(() => decodeIndex(file, footer, more)).toThrow(/index has \d+ blocks, properties say/)
    // A count no file could hold is corruption before anything is sized by it.
    for (const dataBlockCount of [2 ** 40, footer.index.offset, -1, 1.5]) {
      expect(() => decodeIndex(file, footer, { ...props, dataBlockCount })).toThrow(/more than fit before the index/)
    }
  })
})
