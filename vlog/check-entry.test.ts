// checkEntry (a point read's in-place entry check) against decodeEntry plus a key comparison, the
// reference it replaced: the same verdict for whole entries, every cut, every single flipped bit,
// other lengths, another key and an all-zero header. Must never accept bytes decodeEntry rejects.

import { describe, expect, it } from 'vitest'
import { bytesEqual } from '../base/internal-key.js'
import { mulberry32 } from '../base/random.js'
import { CHECK_BAD, CHECK_OTHER_KEY, ENTRY_HEADER_SIZE, checkEntry, decodeEntry, encodeEntry, entrySize } from './format.js'

function reference(buf: Uint8Array, length: number, key: Uint8Array): number {
  const e = decodeEntry(buf.subarray(0, Math.min(length, buf.length)), 0)
  if (typeof e === 'number' || e.length !== length) return CHECK_BAD
  if (!bytesEqual(e.key, key)) return CHECK_OTHER_KEY
  return ENTRY_HEADER_SIZE + e.key.length
}

function entry(key: Uint8Array, value: Uint8Array, seq: number): Uint8Array {
  const out = new Uint8Array(entrySize(key, value))
  encodeEntry(out, 0, key, seq, 0, value)
  return out
}

describe('checkEntry', () => {
  it('agrees with decodeEntry and a key comparison on whole, cut, damaged and mismatched entries', () => {
    const rng = mulberry32(14)
    let checked = 0
    let accepted = 0
    for (let n = 0; n < 40; n++) {
      const key = Uint8Array.from({ length: 1 + Math.floor(rng() * 20) }, () => Math.floor(rng() * 256))
      const value = Uint8Array.from({ length: Math.floor(rng() * 300) }, () => Math.floor(rng() * 256))
      const e = entry(key, value, Math.floor(rng() * 2 ** 40))
      const other = Uint8Array.from(key, (b, i) => (i === key.length - 1 ? b ^ 1 : b))
      const cases: [Uint8Array, number, Uint8Array][] = [
        [e, e.length, key], [e, e.length, other], [e, e.length, key.subarray(1)],
        [e, e.length - 1, key], [e, e.length + 1, key], [e.subarray(0, e.length - 1), e.length, key],
      ]
      for (let cut = 0; cut < e.length; cut += 1 + Math.floor(rng() * 7)) cases.push([e.subarray(0, cut), cut, key])
      for (let bit = 0; bit < e.length * 8; bit += 1 + Math.floor(rng() * 5)) {
        const d = e.slice()
        d[bit >> 3] ^= 1 << (bit & 7)
        cases.push([d, d.length, key])
      }
      for (const [buf, length, k] of cases) {
        const want = reference(buf, length, k)
        expect(checkEntry(buf, length, k)).toBe(want)
        if (want >= 0) accepted++
        checked++
      }
      expect(checkEntry(e, e.length, key)).toBe(ENTRY_HEADER_SIZE + key.length)
    }
    expect(checked).toBeGreaterThan(5000)
    expect(accepted).toBe(40)
  })

  it('rejects an all-zero header (the end of a file) as decodeEntry does', () => {
    const zero = new Uint8Array(ENTRY_HEADER_SIZE)
    expect(reference(zero, ENTRY_HEADER_SIZE, new Uint8Array(0))).toBe(CHECK_BAD)
    expect(checkEntry(zero, ENTRY_HEADER_SIZE, new Uint8Array(0))).toBe(CHECK_BAD)
  })
})
