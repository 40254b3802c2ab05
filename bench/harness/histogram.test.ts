// LatencyHistogram: counts, mean, max exact; percentiles within 1/1024 of the recorded values.

import { describe, expect, it } from 'vitest'
import { LatencyHistogram } from './histogram.js'

describe('LatencyHistogram', () => {
  it('is exact below 2048 and within 1/1024 above, up to hours in ns', () => {
    const h = new LatencyHistogram()
    for (const v of [1, 2, 1000, 2047, 2048, 2049, 5000, 123_456, 9_876_543, 2 ** 32 + 7, 3_600_000_000_000]) {
      const one = new LatencyHistogram()
      one.record(v)
      const top = one.percentile(50)
      expect(top).toBeGreaterThanOrEqual(v)
      expect(top).toBeLessThanOrEqual(v * (1 + 1 / 1024))
      if (v < 2048) expect(top).toBe(v)
      h.record(v)
    }
    expect(h.count).toBe(11)
    expect(h.max).toBe(3_600_000_000_000)
  })

  it('percentiles, counts and mean over a spread', () => {
    const h = new LatencyHistogram()
    for (let v = 1; v <= 100_000; v++) h.record(v)
    h.record(50_000, 100_000)
    expect(h.count).toBe(200_000)
    expect(h.mean).toBeCloseTo((100_000 * 100_001) / 2 / 200_000 + 25_000, 6)
    expect(h.percentile(50)).toBeGreaterThanOrEqual(50_000)
    expect(h.percentile(50)).toBeLessThanOrEqual(50_000 * (1 + 1 / 1024))
    const p99 = h.percentile(99)
    expect(p99).toBeGreaterThanOrEqual(98_000)
    expect(p99).toBeLessThanOrEqual(98_000 * (1 + 1 / 1024))
    expect(h.percentile(100)).toBe(100_000)
    expect(new LatencyHistogram().percentile(99)).toBe(0)
  })

  it('buckets are ordered: a larger value never lands in an earlier bucket', () => {
    const h = new LatencyHistogram()
    let last = 0
    for (let v = 1; v < 1e7; v = Math.ceil(v * 1.013) + 1) {
      const one = new LatencyHistogram()
      one.record(v)
      const top = one.percentile(100)
      expect(top).toBeGreaterThanOrEqual(last)
      last = top
      h.record(v)
    }
    expect(h.percentile(100)).toBe(h.max)
  })
})
