// The JS LZ4 block encoder and decoder against lz4-napi's (the reference the tables written
// before the JS encoder came from): any input round-trips through either decoder, into a fresh
// array, at an offset, or in the same buffer past the stored bytes; the encoder stays within its
// bound and about as small as lz4-napi's; old lz4-napi blocks still decode; a damaged block
// either decodes to exactly its header's length or is a CorruptionError, never another error or
// a write outside its output range.

import { compressSync, uncompressSync } from 'lz4-napi'
import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import {
  TABLE_BASE_LIMIT, lz4CompressBlock, lz4CompressBound, lz4CompressInto, lz4DecodeInto, lz4DecompressBlock, setLz4TableBaseForTests,
} from './lz4.js'

// (fast-check is not installed here: a seeded generator, so a failure reproduces.)
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1
  return (n) => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) % n
  }
}

/** Bytes that compress: runs, repeats at short and long distances, and random stretches. */
function compressible(r: (n: number) => number): Buffer {
  const parts: Uint8Array[] = []
  for (let k = r(13); k > 0; k--) {
    const kind = r(3)
    if (kind === 0) parts.push(Uint8Array.from({ length: r(300) }, () => r(256)))
    else if (kind === 1) parts.push(new Uint8Array(1 + r(2000)).fill(r(256)))
    else {
      const p = Uint8Array.from({ length: 1 + r(40) }, () => r(256))
      const n = 1 + r(60)
      const out = new Uint8Array(p.length * n)
      for (let i = 0; i < n; i++) out.set(p, i * p.length)
      parts.push(out)
    }
  }
  return Buffer.concat(parts)
}

describe('lz4 decoder', () => {
  it('decodes what lz4-napi encodes, as lz4-napi does, into any of its targets', () => {
    for (let run = 0; run < 300; run++) {
      const raw = compressible(rng(run + 1))
      const stored = lz4CompressBlock(raw)
      expect(Buffer.compare(Buffer.from(lz4DecompressBlock('t', 0, stored)), raw)).toBe(0)
      expect(Buffer.compare(uncompressSync(Buffer.from(stored)), raw)).toBe(0)
      // In one buffer: stored bytes first, the output after them.
      const buf = new Uint8Array(stored.length + raw.length + 8).fill(0xee)
      buf.set(stored)
      const at = stored.length + 3
      expect(lz4DecodeInto('t', 0, buf, 0, stored.length, buf, at)).toBe(raw.length)
      expect(Buffer.compare(buf.subarray(at, at + raw.length), raw)).toBe(0)
      expect(buf.subarray(at + raw.length).every((b) => b === 0xee)).toBe(true)
    }
  })

  it('refuses a damaged block with a CorruptionError and never writes outside its output', () => {
    let refused = 0
    for (let run = 0; run < 500; run++) {
      const r = rng(1000 + run)
      const raw = compressible(r)
      const stored = lz4CompressBlock(raw).slice()
      for (let k = 1 + r(4); k > 0; k--) stored[r(stored.length)] ^= 1 + r(255)
      const end = r(3) === 0 ? stored.length - r(stored.length) : stored.length
      const out = new Uint8Array(4 + raw.length + 2048 + 256).fill(0xee)
      const start = 16
      try {
        const n = lz4DecodeInto('t', 7, stored, 0, end, out, start)
        // Decoded: exactly the header's length (the table's checksum is what catches changed bytes).
        expect(n).toBe((stored[0] | (stored[1] << 8) | (stored[2] << 16) | (stored[3] << 24)) >>> 0)
        expect(out.subarray(0, start).every((b) => b === 0xee)).toBe(true)
        expect(out.subarray(start + n).every((b) => b === 0xee)).toBe(true)
      } catch (err) {
        refused++
        // A header claiming more than the output holds is the caller's sizing, not the data's.
        if (!(err instanceof CorruptionError)) expect((err as Error).message).toMatch(/do not fit/)
      }
    }
    expect(refused).toBeGreaterThan(100)
  })

  it('decodes the blocks lz4-napi wrote (tables from before the JS encoder)', () => {
    for (let run = 0; run < 200; run++) {
      const raw = compressible(rng(5000 + run))
      const stored = new Uint8Array(compressSync(raw))
      expect(Buffer.compare(Buffer.from(lz4DecompressBlock('t', 0, stored)), raw)).toBe(0)
    }
  })

  it('encodes within its bound, at an offset, without touching bytes around its output', () => {
    const r = rng(77)
    // Every short length (the all-literal and first-match edges), then random ones up to 70 KiB:
    // offsets near and past 65,535, incompressible bytes, runs.
    const lengths = [...Array.from({ length: 40 }, (_, i) => i), 4096, 4097, 65_536, 70_000]
    for (let run = 0; run < 300; run++) lengths.push(r(9000))
    for (const [i, n] of lengths.entries()) {
      const raw = i % 3 === 0 ? Uint8Array.from({ length: n }, () => r(256))
        : i % 3 === 1 ? new Uint8Array(n).fill(r(256)) : compressible(rng(i)).subarray(0, n)
      const at = r(9)
      const bound = lz4CompressBound(raw.length)
      const out = new Uint8Array(at + bound + 8).fill(0xee)
      const len = lz4CompressInto(raw, out, at)
      expect(len).toBeLessThanOrEqual(bound)
      expect(out.subarray(0, at).every((b) => b === 0xee)).toBe(true)
      expect(out.subarray(at + len).every((b) => b === 0xee)).toBe(true)
      const stored = out.slice(at, at + len)
      expect(Buffer.compare(Buffer.from(lz4DecompressBlock('t', 0, stored)), Buffer.from(raw))).toBe(0)
      expect(Buffer.compare(uncompressSync(Buffer.from(stored)), Buffer.from(raw))).toBe(0)
    }
    expect(() => lz4CompressInto(new Uint8Array(100), new Uint8Array(100), 0)).toThrow(/cannot hold/)
  })

  it('round-trips blocks compressed one after another across the hash table base reset', () => {
    // Slots are tagged with a per-call base instead of being cleared; at TABLE_BASE_LIMIT the
    // table is cleared and the base starts again, and no stale slot may be taken for a match.
    // Started where the slots would overflow an Int32 within a few blocks without the reset.
    setLz4TableBaseForTests(2 ** 31 - 20_000)
    expect(2 ** 31 - 20_000).toBeGreaterThan(TABLE_BASE_LIMIT)
    let js = 0
    let napi = 0
    for (let run = 0; run < 40; run++) {
      const raw = compressible(rng(500 + run)).subarray(0, 6000)
      const stored = lz4CompressBlock(raw)
      expect(Buffer.compare(Buffer.from(lz4DecompressBlock('t', 0, stored)), Buffer.from(raw))).toBe(0)
      expect(Buffer.compare(uncompressSync(Buffer.from(stored)), Buffer.from(raw))).toBe(0)
      // Past the reset, matches are still found (a base that overflowed would find none).
      if (run >= 20) {
        js += stored.length
        napi += compressSync(Buffer.from(raw)).length
      }
    }
    expect(js).toBeLessThan(napi * 1.05)
  })

  it('compresses about as well as lz4-napi', () => {
    let js = 0
    let napi = 0
    for (let run = 0; run < 200; run++) {
      const raw = compressible(rng(9000 + run))
      js += lz4CompressBlock(raw).length
      napi += compressSync(raw).length
    }
    expect(js).toBeLessThan(napi * 1.05)
  })

  it('refuses a block shorter than its length header', () => {
    expect(() => lz4DecompressBlock('t', 0, Uint8Array.of(1, 0))).toThrow(CorruptionError)
  })
})
