// The memtable's key filter: never a false negative, few false positives, and a memtable answers
// every get the same with and without it.

import { describe, expect, it } from 'vitest'
import { Kind } from '../base/internal-key.js'
import { makeRng } from '../tests/support/rng.js'
import { hashOut1, hashOut2, murmur3Pair } from '../base/hash.js'
import { KeyFilter } from './key-filter.js'
import { Memtable } from './index.js'

const key = (i: number) => new TextEncoder().encode(`key-${i}`)

describe('KeyFilter', () => {
  it('has no false negatives and ~1-2% false positives at 16 bits per key', () => {
    const f = new KeyFilter(16 * 50_000)
    for (let i = 0; i < 50_000; i++) f.add(key(i))
    for (let i = 0; i < 50_000; i++) expect(f.mayContain(key(i))).toBe(true)
    let fp = 0
    for (let i = 50_000; i < 150_000; i++) if (f.mayContain(key(i))) fp++
    // 3 probes at 16 bits/key: theory (1 - e^(-3/16))^3 ≈ 0.51%.
    expect(fp / 100_000).toBeLessThan(0.015)
  })

  it('leaves memtable gets unchanged', () => {
    const rng = makeRng(21)
    const plain = new Memtable({ rng: makeRng(1) })
    const filtered = new Memtable({ rng: makeRng(1), keyFilterBits: 4096 })
    for (let seq = 1; seq <= 3000; seq++) {
      const k = key(rng.int(1000))
      const kind = rng.chance(0.2) ? Kind.Delete : Kind.Value
      const v = rng.bytes(rng.int(20))
      plain.add(k, seq, kind, v)
      filtered.add(k, seq, kind, v)
    }
    for (let i = 0; i < 2000; i++) {
      const k = key(i)
      const seq = 1 + rng.int(3000)
      expect(filtered.get(k, seq)).toEqual(plain.get(k, seq))
    }
  })

  it('answers the same through mayContainHashes and getHashed as through mayContain and get', () => {
    // A property over random key sets, key lengths (0..40 bytes: every murmur3 tail) and filter
    // sizes small enough to give false positives, so both answers of the filter are exercised.
    const answers = new Set<boolean>()
    for (let seed = 1; seed <= 20; seed++) {
      const rng = makeRng(100 + seed)
      const mem = new Memtable({ rng: makeRng(seed), keyFilterBits: 64 + rng.int(4096) })
      const keys: Uint8Array[] = []
      for (let seq = 1; seq <= 400; seq++) {
        const k = rng.chance(0.3) && keys.length > 0 ? keys[rng.int(keys.length)] : rng.bytes(rng.int(41))
        keys.push(k)
        mem.add(k, seq, rng.chance(0.2) ? Kind.Delete : Kind.Value, rng.bytes(rng.int(20)))
      }
      const filter = new KeyFilter(64 + rng.int(2048))
      for (const k of keys.slice(0, 200)) filter.add(k)
      for (let i = 0; i < 800; i++) {
        const k = rng.chance(0.5) ? keys[rng.int(keys.length)] : rng.bytes(rng.int(41))
        const seq = rng.int(420)
        murmur3Pair(k)
        const h1 = hashOut1
        const h2 = hashOut2
        const may = filter.mayContainHashes(h1, h2)
        answers.add(may)
        expect(may, `seed ${seed}`).toBe(filter.mayContain(k))
        expect(mem.getHashed(k, seq, h1, h2), `seed ${seed}`).toEqual(mem.get(k, seq))
      }
    }
    expect([...answers].sort()).toEqual([false, true])
  })
})
