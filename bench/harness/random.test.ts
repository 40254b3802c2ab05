// The generators behind every key choice: determinism per seed, the fast FNV path against its BigInt
// reference, and the zipfian shapes (plain, scrambled, latest) against their theory.

import { describe, expect, it } from 'vitest'
import {
  LatestGenerator, Rng, ScrambledZipfianGenerator, ZIPFIAN_CONSTANT, ZipfianGenerator, fnvHash64BigInt, fnvHash64Mod,
  shuffledIndices, zeta,
} from './random.js'

function counts(n: number, draws: number, draw: () => number): Uint32Array {
  const c = new Uint32Array(n)
  for (let i = 0; i < draws; i++) c[draw()]++
  return c
}

describe('Rng', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const a = new Rng(42)
    const b = new Rng(42)
    const c = new Rng(43)
    const sa = Array.from({ length: 50 }, () => a.nextU32())
    expect(Array.from({ length: 50 }, () => b.nextU32())).toEqual(sa)
    expect(Array.from({ length: 50 }, () => c.nextU32())).not.toEqual(sa)
  })

  it('draws doubles in [0, 1) and integers uniformly over [0, n)', () => {
    const rng = new Rng(7)
    let lo = 1
    let hi = 0
    for (let i = 0; i < 10_000; i++) {
      const x = rng.next()
      lo = Math.min(lo, x)
      hi = Math.max(hi, x)
    }
    expect(lo).toBeGreaterThanOrEqual(0)
    expect(hi).toBeLessThan(1)
    const c = counts(10, 100_000, () => rng.nextInt(10))
    for (const x of c) expect(Math.abs(x - 10_000)).toBeLessThan(500) // ~5 standard deviations
  })

  it('shuffles into a permutation, the same one for the same seed', () => {
    const p = [...shuffledIndices(1000, new Rng(1))]
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    // The second call shuffles the first one's array again: it must start from 0 … n-1 afresh.
    expect([...shuffledIndices(1000, new Rng(2))]).not.toEqual(p)
    expect([...shuffledIndices(1000, new Rng(1))]).toEqual(p)
    let inPlace = 0
    for (let i = 0; i < p.length; i++) if (p[i] === i) inPlace++
    expect(inPlace).toBeLessThan(10) // a real shuffle leaves about one element in place
  })
})

describe('fnvHash64Mod (YCSB Utils.fnvhash64, then modulo)', () => {
  it('matches the BigInt reference on the fast path and the large-modulus path', () => {
    const rng = new Rng(3)
    const values = [0, 1, 2, 255, 256, 65535, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 17, 9_999_999_999, Number.MAX_SAFE_INTEGER]
    for (let i = 0; i < 300; i++) values.push(rng.nextInt(10_000_000_000))
    for (const m of [1, 7, 1000, 1_000_003, 67_108_863, 67_108_864, 1_000_000_007]) {
      for (const v of values) expect(fnvHash64Mod(v, m)).toBe(Number(fnvHash64BigInt(BigInt(v)) % BigInt(m)))
    }
  })

  it('agrees with a known FNV-1a 64 value', () => {
    // FNV-1a 64 of eight zero bytes is 0xa8c7f832281a39c5; negative as a long, so Math.abs applies.
    expect(fnvHash64BigInt(0n)).toBe((1n << 64n) - 0xa8c7f832281a39c5n)
  })
})

describe('ZipfianGenerator (Gray et al.)', () => {
  it('draws items 0 and 1 with their exact zipfian probabilities, and the head as the theory says', () => {
    const n = 1000
    const z = zeta(0, n, ZIPFIAN_CONSTANT)
    const gen = new ZipfianGenerator(n)
    const rng = new Rng(11)
    const draws = 400_000
    const c = counts(n, draws, () => gen.next(rng))
    expect(c[0] / draws).toBeCloseTo(1 / z, 2)
    expect(c[1] / draws).toBeCloseTo(1 / 2 ** ZIPFIAN_CONSTANT / z, 2)
    let head = 0
    for (let i = 0; i < 10; i++) head += c[i]
    // Theory: Σ_{k≤10} k^-0.99 / ζ(1000) ≈ 0.39; Gray's approximation stays within a few points.
    expect(head / draws).toBeGreaterThan(zeta(0, 10, ZIPFIAN_CONSTANT) / z - 0.05)
    expect(head / draws).toBeLessThan(zeta(0, 10, ZIPFIAN_CONSTANT) / z + 0.05)
    // Monotone on the whole: the first decile is drawn far more than the last.
    let first = 0
    let last = 0
    for (let i = 0; i < 100; i++) {
      first += c[i]
      last += c[n - 1 - i]
    }
    expect(first).toBeGreaterThan(20 * last)
  })

  it('grows its item count to the same state as one built at that size', () => {
    const grown = new ZipfianGenerator(100)
    grown.grow(5000)
    const fresh = new ZipfianGenerator(5000)
    const r1 = new Rng(5)
    const r2 = new Rng(5)
    for (let i = 0; i < 1000; i++) expect(grown.next(r1)).toBe(fresh.next(r2))
  })
})

describe('ScrambledZipfianGenerator', () => {
  it('keeps the zipfian skew but spreads the hot keys over the whole key space', () => {
    const n = 100_000
    const gen = new ScrambledZipfianGenerator(n)
    const rng = new Rng(9)
    const draws = 300_000
    const c = counts(n, draws, () => gen.next(rng))
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => c[b] - c[a])
    // The hottest key carries YCSB's 1/ζ(10^10) ≈ 3.8% of the draws.
    expect(c[order[0]] / draws).toBeGreaterThan(0.03)
    expect(c[order[0]] / draws).toBeLessThan(0.046)
    // The top 1% of keys take what the top 1,000 ranks of the 10^10-item zipfian take, plus their
    // 1% of the hashed tail: ≈ 28%, where a uniform choice would give them 1%.
    let top = 0
    for (let i = 0; i < n / 100; i++) top += c[order[i]]
    const head = zeta(0, n / 100, ZIPFIAN_CONSTANT) / 26.46902820178302
    expect(top / draws).toBeCloseTo(head + (1 - head) * 0.01, 1)
    expect(top / draws).toBeGreaterThan(0.2)
    // Hot keys are scattered: the ten hottest span more than half of the key space.
    const hot = order.slice(0, 10)
    expect(Math.max(...hot) - Math.min(...hot)).toBeGreaterThan(n / 2)
  })
})

describe('LatestGenerator', () => {
  it('favours the newest keys and stays within those inserted so far', () => {
    const gen = new LatestGenerator(1000)
    const rng = new Rng(2)
    let count = 1000
    let newest = 0
    let outside = 0
    for (let i = 0; i < 50_000; i++) {
      if (i % 10 === 0) count++
      const k = gen.next(rng, count)
      if (k < 0 || k >= count) outside++
      if (k === count - 1) newest++
    }
    expect(outside).toBe(0)
    expect(newest / 50_000).toBeGreaterThan(0.1) // ≈ 1/ζ(count) ≈ 0.13
  })
})
