// Keys sort as their indices, missing keys fall between present ones, and values compress as
// --compression-ratio asks under the LZ4 the engine uses.

import { compressSync } from 'lz4-napi'
import { describe, expect, it } from 'vitest'
import { Rng } from './random.js'
import { ValueSource, keyOf, maxKeyIndex, parseKey, writeKey } from './keys.js'

describe('keys', () => {
  it('are the zero-padded decimal of 2·i, and parse back', () => {
    expect(keyOf(16, 0).toString()).toBe('0000000000000000')
    expect(keyOf(16, 12345).toString()).toBe('0000000000024690')
    expect(keyOf(16, 12345, true).toString()).toBe('0000000000024691')
    expect(parseKey(keyOf(16, 987654321))).toEqual({ index: 987654321, missing: false })
    expect(parseKey(keyOf(20, 5, true))).toEqual({ index: 5, missing: true })
  })

  it('sort in index order, with each missing key between two present ones', () => {
    const rng = new Rng(4)
    for (let t = 0; t < 2000; t++) {
      const a = rng.nextInt(1e9)
      const b = rng.nextInt(1e9)
      expect(Math.sign(Buffer.compare(keyOf(16, a), keyOf(16, b)))).toBe(Math.sign(a - b))
      expect(Buffer.compare(keyOf(16, a), keyOf(16, a, true))).toBe(-1)
      expect(Buffer.compare(keyOf(16, a, true), keyOf(16, a + 1))).toBe(-1)
    }
  })

  it('write in place without touching the bytes around them', () => {
    const buf = Buffer.alloc(40, 0xee)
    writeKey(buf, 10, 16, 7)
    expect(buf.subarray(10, 26).toString()).toBe('0000000000000014')
    expect(buf[9]).toBe(0xee)
    expect(buf[26]).toBe(0xee)
  })

  it('know how many indices a key size holds', () => {
    expect(maxKeyIndex(4)).toBe(4999)
    expect(keyOf(4, maxKeyIndex(4), true).toString()).toBe('9999')
    expect(maxKeyIndex(16)).toBeGreaterThan(1e12)
  })
})

describe('ValueSource', () => {
  it('hands out values of the asked size, as views of one unchanging pool', () => {
    const vs = new ValueSource(1000, 0.5, 1)
    const first = Buffer.from(vs.next())
    for (let i = 0; i < 5000; i++) expect(vs.next().length).toBe(1000)
    expect(new ValueSource(1000, 0.5, 1).next()).toEqual(first)
    expect(new ValueSource(65536, 0.5, 1).next().length).toBe(65536)
  })

  it.each([0.5, 0.25, 1])('compresses to about %s under LZ4', (ratio) => {
    const pool = new ValueSource(4096, ratio, 3).bytes.subarray(0, 1 << 20)
    const got = compressSync(pool).length / pool.length
    // LZ4 spends a few bytes per match and literal run; db_bench's generator has the same slack.
    expect(got).toBeGreaterThan(ratio - 0.02)
    expect(got).toBeLessThan(Math.min(1.01, ratio + 0.08))
  })
})
