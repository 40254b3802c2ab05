// The bloom filter: murmur3 against published vectors, no false negatives, the measured
// false-positive rate against theory, and the filter block codec.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { hashOut1, hashOut2, murmur3, murmur3Pair } from '../base/hash.js'
import { FILTER_HEADER_SIZE, TableBloomFilter, expectedFalsePositiveRate, hashCountFor, hashUserKey } from './bloom.js'
import { seededRandom } from '../tests/support/table-data.js'

const utf8 = (s: string) => new Uint8Array(Buffer.from(s))

function keyOf(i: number, tag: number): Uint8Array {
  // 16-byte keys like the engine's benchmarks: a tag, then the number.
  const k = new Uint8Array(16)
  k[0] = tag
  new DataView(k.buffer).setFloat64(8, i, true)
  return k
}

function filled(n: number, bitsPerKey: number): TableBloomFilter {
  const f = TableBloomFilter.forKeys(n, bitsPerKey)
  const pair = new Uint32Array(2)
  for (let i = 0; i < n; i++) {
    hashUserKey(keyOf(i, 1), pair, 0)
    f.addHashes(pair[0], pair[1])
  }
  return f
}

describe('murmur3', () => {
  it('matches published x86 32-bit vectors', () => {
    expect(murmur3(new Uint8Array(0), 0)).toBe(0)
    expect(murmur3(new Uint8Array(0), 1)).toBe(0x514e28b7)
    expect(murmur3(utf8('hello'), 0)).toBe(0x248bfa47)
    expect(murmur3(utf8('The quick brown fox jumps over the lazy dog'), 0)).toBe(0x2e4ff723)
    expect(murmur3(Uint8Array.of(0x21, 0x43, 0x65, 0x87), 0x5082edee)).toBe(0x2362f9de)
  })

  it('gives the pair hashUserKey stores (seeds 0xbc9f1d34, 0x9747b28c)', () => {
    const rng = seededRandom(7)
    const pair = new Uint32Array(2)
    for (let n = 0; n < 40; n++) {
      const k = rng.bytes(n)
      hashUserKey(k, pair, 0)
      expect([pair[0], pair[1]]).toEqual([murmur3(k, 0xbc9f1d34), murmur3(k, 0x9747b28c)])
    }
  })
})

describe('TableBloomFilter', () => {
  it('answers the same through mayContainHashes as through mayContain (random keys, sizes, k)', () => {
    const rng = seededRandom(29)
    const answers = new Set<boolean>()
    for (let round = 0; round < 30; round++) {
      const n = 1 + Math.floor(rng() * 500)
      // Few bits per key in some rounds: many false positives, so both answers are exercised.
      const f = TableBloomFilter.forKeys(n, 1 + Math.floor(rng() * 14))
      const keys = Array.from({ length: n }, () => rng.bytes(Math.floor(rng() * 41)))
      for (const k of keys) f.addKey(k)
      for (let i = 0; i < 1000; i++) {
        const k = rng() < 0.5 ? keys[Math.floor(rng() * n)] : rng.bytes(Math.floor(rng() * 41))
        murmur3Pair(k)
        const may = f.mayContainHashes(hashOut1, hashOut2)
        answers.add(may)
        expect(may, `round ${round}`).toBe(f.mayContain(k))
      }
    }
    expect([...answers].sort()).toEqual([false, true])
  })

  it('uses k = round(bitsPerKey * ln 2)', () => {
    expect(hashCountFor(10)).toBe(7)
    expect(hashCountFor(1)).toBe(1)
    expect(hashCountFor(0.1)).toBe(1)
    expect(TableBloomFilter.forKeys(1000, 10).bits).toBe(10_000)
    expect(TableBloomFilter.forKeys(0, 10).bits).toBe(64)
  })

  it('has no false negatives, through both the library add() and addHashes()', () => {
    const f = filled(5000, 10)
    const g = TableBloomFilter.forKeys(5000, 10)
    for (let i = 0; i < 5000; i++) g.addKey(keyOf(i, 1))
    expect(g._filter.array).toEqual(f._filter.array)
    for (let i = 0; i < 5000; i++) expect(f.mayContain(keyOf(i, 1))).toBe(true)
  })

  it('answers mayContain exactly as the library has() does', () => {
    const f = filled(2000, 6)
    let positives = 0
    for (let i = 0; i < 20_000; i++) {
      const k = keyOf(i, 4)
      const has = f.has(k as unknown as Buffer)
      expect(f.mayContain(k)).toBe(has)
      if (has) positives++
    }
    expect(positives).toBeGreaterThan(100) // ~5.6% at 6 bits/key: both answers occur
  })

  it('keeps the false-positive rate within 1.5x of theory at 10 bits/key over 200k absent keys', () => {
    const n = 100_000
    const f = filled(n, 10)
    const absent = 200_000
    let positives = 0
    for (let i = 0; i < absent; i++) if (f.mayContain(keyOf(i, 2))) positives++
    const rate = positives / absent
    const theory = expectedFalsePositiveRate(10)
    expect(theory).toBeCloseTo(0.0082, 4)
    expect(rate).toBeLessThan(theory * 1.5)
    expect(rate).toBeGreaterThan(theory / 1.5)
  })

  it('round-trips through its block as a view of the bytes', () => {
    const f = filled(3000, 10)
    const block = f.encode()
    expect(block.length).toBe(FILTER_HEADER_SIZE + 30_000 / 8)
    expect([block[0], block[1]]).toEqual([1, 7])
    const g = TableBloomFilter.decode('t.sst', 100, block)
    expect(g.bits).toBe(30_000)
    expect(g.hashCount).toBe(7)
    expect(g._filter.array.buffer).toBe(block.buffer)
    for (let i = 0; i < 3000; i++) expect(g.mayContain(keyOf(i, 1))).toBe(true)
    let same = 0
    for (let i = 0; i < 3000; i++) if (g.mayContain(keyOf(i, 3)) === f.mayContain(keyOf(i, 3))) same++
    expect(same).toBe(3000)
  })

  it('rejects a malformed filter block', () => {
    const good = filled(100, 10).encode()
    const damaged: Array<[string, (b: Uint8Array) => Uint8Array]> = [
      ['short', (b) => b.subarray(0, 5)],
      ['version', (b) => ((b[0] = 2), b)],
      ['zero hashes', (b) => ((b[1] = 0), b)],
      ['too many hashes', (b) => ((b[1] = 31), b)],
      ['reserved', (b) => ((b[3] = 1), b)],
      ['bits vs length', (b) => ((b[4] ^= 8), b)],
      ['truncated array', (b) => b.subarray(0, b.length - 1)],
    ]
    for (const [name, damage] of damaged) {
      expect(() => TableBloomFilter.decode('t.sst', 100, damage(good.slice())), name).toThrow(CorruptionError)
    }
  })
})
