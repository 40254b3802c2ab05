// Micro-benchmarks of the table bloom filter with 16-byte keys: add through the filter's own
// add() (our hashing underneath), add by precomputed hash pair (the table builder's path), and
// membership tests for present and absent keys. bench/micro.ts runs register().

import type { Bench } from 'tinybench'
import { FilterVersion, TableBloomFilter, hashUserKey } from './bloom.js'
import { seededRandom } from '../tests/support/table-data.js'

const KEYS = 100_000

export function register(bench: Bench): void {
  const rng = seededRandom(17)
  const keys = Array.from({ length: KEYS }, () => rng.bytes(16))
  const absent = Array.from({ length: KEYS }, () => rng.bytes(16))
  const filter = TableBloomFilter.forKeys(KEYS, 10, FilterVersion.Blocked)
  for (const k of keys) filter.addKey(k)
  const scratch = TableBloomFilter.forKeys(KEYS, 10, FilterVersion.Blocked)
  const pair = new Uint32Array(2)
  let i = 0
  let sink = 0

  bench.add('sstable: bloom add 16B key', () => {
    scratch.addKey(keys[i++ % KEYS])
  })
  bench.add('sstable: bloom hash + addHashes 16B key', () => {
    hashUserKey(keys[i++ % KEYS], pair, 0)
    scratch.addHashes(pair[0], pair[1])
  })
  bench.add('sstable: bloom has (present)', () => {
    sink += filter.mayContain(keys[i++ % KEYS]) ? 1 : 0
  })
  bench.add('sstable: bloom has (absent)', () => {
    sink += filter.mayContain(absent[i++ % KEYS]) ? 1 : 0
  })
  if (sink === -1) console.log(sink)
}
