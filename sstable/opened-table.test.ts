// TableReader.fromOpened: a reader built from what another reader decoded (after a structured
// clone, as it crosses from the compaction worker) answers every get and scan like one opened from
// the file, and refuses a file whose size is not the one that was opened.

import { expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { MAX_SEQ } from '../base/internal-key.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { buildTable, mismatchAt, modelGet, randomEntries, seededRandom } from '../tests/support/table-data.js'
import { BlockCache } from './block-cache.js'
import { TableReader } from './table-reader.js'

const PATH = '/db/000007.sst'

it('reads like a reader opened from the file, and checks the file size', () => {
  const rng = seededRandom(5)
  const entries = randomEntries(rng, 2000)
  const fs = new MemFileSystem()
  fs.mkdir('/db')
  buildTable(fs.create(PATH), entries, { blockSize: 512, bloomBitsPerKey: 10, compression: 'lz4' })
  const cache = new BlockCache(1 << 20)
  const original = TableReader.open(fs, PATH, 7, cache)
  const opened = structuredClone(original.exportOpened())
  original.close()
  const reader = TableReader.fromOpened(fs, PATH, 7, new BlockCache(1 << 20), opened)
  expect(reader.blockCount).toBeGreaterThan(10)
  const it = reader.iterator()
  it.first()
  for (let i = 0; i < entries.length; i++) {
    const m = mismatchAt(it, entries, i)
    if (m !== undefined) expect(m, `scan at ${i}`).toBeUndefined()
    it.next()
  }
  expect(it.valid()).toBe(false)
  it.close()
  for (let i = 0; i < 500; i++) {
    const e = entries[rng.int(entries.length)]
    const want = modelGet(entries, e.userKey, MAX_SEQ)
    expect(reader.get(e.userKey, MAX_SEQ)?.seq).toBe(want?.seq)
  }
  reader.close()

  fs.openAppend(PATH).append(new Uint8Array(3))
  expect(() => TableReader.fromOpened(fs, PATH, 7, cache, opened)).toThrow(CorruptionError)
})
