// The memtable's key filter: never a false negative, few false positives, and a memtable answers
// every get the same with and without it.

import { describe, expect, it } from 'vitest'
import { Kind } from '../base/internal-key.js'
import { makeRng } from '../tests/support/rng.js'
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
})
