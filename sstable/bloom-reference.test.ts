// sstable/bloom.ts against bloom-filters' BloomFilter, the library the table filters were built on
// until lazy12 (bloom.ts, "Why no library"): the same keys through bloom-filters with the same
// hashing (FastHashing, as its Hashing was replaced before) must set exactly the bits bloom.ts
// writes, in the same BitSet layout, and answer has() alike, for both filter versions. A change to
// bloom.ts's bit array or add/has that would make tables written before it read differently fails here.
// Must never: be the only check of the filter format (format.test.ts reads stored tables).

import { describe, expect, it } from 'vitest'
import * as bloomFilterModule from 'bloom-filters/dist/bloom/bloom-filter.js'
import type * as bloomTypes from 'bloom-filters'
import { FILTER_HEADER_SIZE, FastHashing, FilterVersion, TableBloomFilter } from './bloom.js'

// bloom-filters is CommonJS and exports its class as `default`: from ESM it sits one level down.
function defaultClass<T>(mod: unknown): T {
  const m = mod as { default?: unknown }
  const d = m.default as { default?: unknown } | undefined
  return (typeof d === 'function' ? d : d?.default) as T
}
const BloomFilter = defaultClass<typeof bloomTypes.BloomFilter>(bloomFilterModule)

/** bloom-filters' BloomFilter of `bits` bits and k hashes with its hashing replaced by Sett's. */
function referenceFilter(bits: number, hashCount: number, version: FilterVersion): bloomTypes.BloomFilter {
  const f = new BloomFilter(bits, hashCount)
  ;(f as unknown as { _hashing: unknown })._hashing = new FastHashing(version)
  return f
}

const keyOf = (round: number, i: number) => Buffer.from(`r${round}-key-${i.toString(36)}-${(i * 2654435761) >>> 0}`)

describe('bloom.ts against bloom-filters', () => {
  for (const version of [FilterVersion.Plain, FilterVersion.Blocked]) {
    for (const [keyCount, bitsPerKey] of [[1, 10], [37, 10], [1000, 10], [5000, 4], [3000, 16]] as const) {
      it(`sets the same bits and answers alike (version ${version}, ${keyCount} keys, ${bitsPerKey} bits/key)`, () => {
        const ours = TableBloomFilter.forKeys(keyCount, bitsPerKey, version)
        const ref = referenceFilter(ours.bits, ours.hashCount, version)
        for (let i = 0; i < keyCount; i++) {
          ours.add(keyOf(version, i))
          ref.add(keyOf(version, i) as unknown as string)
        }
        const bits = ours.encode().subarray(FILTER_HEADER_SIZE)
        const refBits = (ref as unknown as { _filter: { array: Uint8Array } })._filter.array
        expect(bits.length).toBe(refBits.length)
        expect(Buffer.from(bits).equals(Buffer.from(refBits))).toBe(true)
        // Present keys and absent ones (some false positives among them: both must agree on each).
        for (let i = 0; i < keyCount + 2000; i++) {
          const k = i < keyCount ? keyOf(version, i) : keyOf(99, i)
          expect(ours.has(k)).toBe(ref.has(k as unknown as string))
        }
      })
    }
  }
})
