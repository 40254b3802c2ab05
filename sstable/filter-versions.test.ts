// Which bloom filter a table holds follows from its format version: versions 1 and 2 the plain
// filter (filter version 1), version 3 the blocked one (filter version 2). Every version still
// reads, finds every key it holds, and a filter of the wrong version is corruption, not a guess.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { MAX_SEQ } from '../base/internal-key.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { BlockCache } from './block-cache.js'
import { FilterVersion } from './bloom.js'
import { Compression, FORMAT_VERSION, encodeBlockTrailer, filterVersionOf } from './format.js'
import { TableReader } from './table-reader.js'
import { buildTable, randomEntries, randomUserKey, seededRandom } from '../tests/support/table-data.js'

describe('table format versions and their filters', () => {
  it('new tables are version 3 with a blocked filter; 1 and 2 keep the plain one', () => {
    expect(FORMAT_VERSION).toBe(3)
    expect([1, 2, 3].map(filterVersionOf)).toEqual([FilterVersion.Plain, FilterVersion.Plain, FilterVersion.Blocked])
    const entries = randomEntries(seededRandom(3), 2000)
    for (const formatVersion of [undefined, 1, 2, 3] as const) {
      const fs = new MemFileSystem()
      buildTable(fs.create('/t.sst'), entries, formatVersion === undefined ? {} : { formatVersion })
      const reader = TableReader.open(fs, '/t.sst', 1, new BlockCache(0))
      const version = formatVersion ?? 3
      expect(reader.version).toBe(version)
      const bytes = fs.readFile('/t.sst')
      expect(bytes[reader.footer.filter.offset]).toBe(filterVersionOf(version))
      for (const e of entries) expect(reader.mayContain(e.userKey)).toBe(true)
      const rng = seededRandom(5)
      let positives = 0
      for (let i = 0; i < 20_000; i++) if (reader.mayContain(randomUserKey(rng))) positives++
      expect(positives / 20_000).toBeLessThan(0.03) // ~1% at 10 bits/key
      for (const e of entries.slice(0, 200)) expect(reader.get(e.userKey, MAX_SEQ)?.seq).toBeGreaterThan(0)
      reader.close()
    }
  })

  it('refuses a filter block of the other version, even with a good checksum', () => {
    const entries = randomEntries(seededRandom(7), 500)
    for (const formatVersion of [2, 3] as const) {
      const fs = new MemFileSystem()
      buildTable(fs.create('/t.sst'), entries, { formatVersion })
      const probe = TableReader.open(fs, '/t.sst', 1, new BlockCache(0))
      const h = probe.footer.filter
      probe.close()
      const bytes = fs.readFile('/t.sst').slice()
      expect(bytes[h.offset + h.length]).toBe(Compression.None)
      bytes[h.offset] = formatVersion === 3 ? FilterVersion.Plain : FilterVersion.Blocked
      encodeBlockTrailer(bytes.subarray(h.offset, h.offset + h.length), Compression.None, bytes, h.offset + h.length)
      const forged = new MemFileSystem()
      const f = forged.create('/t.sst')
      f.append(bytes)
      f.close()
      expect(() => TableReader.open(forged, '/t.sst', 1, new BlockCache(0))).toThrow(CorruptionError)
      expect(() => TableReader.open(forged, '/t.sst', 1, new BlockCache(0))).toThrow(/filter version/)
    }
  })
})
