// decodePointer and decodePointerInto (recovery's in-place pointer check) against the reference
// decoder below (ByteReader, as decodePointer was written before it decoded in place): the same
// pointer or the same error for every pointer, every truncation and every extra byte, the latter
// read at an offset inside a larger buffer whose bytes after the pointer must never be read.

import { describe, expect, it } from 'vitest'
import { ByteReader } from '../base/byte-reader.js'
import { CorruptionError } from '../base/errors.js'
import { mulberry32 } from '../base/random.js'
import { ENTRY_HEADER_SIZE, type ValuePointer, decodePointer, decodePointerInto, encodePointer } from './index.js'

function reference(bytes: Uint8Array, where: string): ValuePointer {
  const r = new ByteReader(bytes, (what: string): never => {
    throw new CorruptionError(where, 0, `bad value pointer: ${what}`)
  })
  const p = { fileNumber: r.varint(), offset: r.varint(), length: r.varint() }
  r.end()
  if (p.length < ENTRY_HEADER_SIZE) throw new CorruptionError(where, 0, `bad value pointer: length ${p.length}`)
  return p
}

function outcome(f: () => ValuePointer): string {
  try {
    const p = f()
    return `${p.fileNumber}:${p.offset}:${p.length}`
  } catch (err) {
    return `${(err as Error).constructor.name}: ${(err as Error).message}`
  }
}

describe('decodePointerInto', () => {
  it('agrees with decodePointer on whole, cut and padded pointers, and stops at the end it is given', () => {
    const rng = mulberry32(11)
    const pointers = [
      { fileNumber: 1, offset: 16, length: 21 }, { fileNumber: 5, offset: 0, length: 20 },
      { fileNumber: 2 ** 40, offset: 2 ** 52, length: 2 ** 31 },
    ]
    for (let i = 0; i < 50; i++) pointers.push({ fileNumber: Math.floor(rng() * 1e6), offset: Math.floor(rng() * 2 ** 40), length: Math.floor(rng() * 1e7) })
    const out = { fileNumber: 0, offset: 0, length: 0 }
    let checked = 0
    for (const p of pointers) {
      const bytes = encodePointer(p)
      const variants = [bytes, Uint8Array.of(...bytes, 0), Uint8Array.of(...bytes, 0x80), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)]
      for (let n = 0; n < bytes.length; n++) variants.push(bytes.subarray(0, n))
      for (const v of variants) {
        // Inside a larger buffer: junk before, and bytes after that would complete a cut varint.
        const big = Uint8Array.of(0x81, 0x82, ...v, 0x01, 0x01, 0x01)
        const expected = outcome(() => reference(v, 'w'))
        expect(outcome(() => decodePointer(v, 'w')), `${[...v]}`).toBe(expected)
        expect(outcome(() => decodePointerInto(big, 2, 2 + v.length, 'w', out)), `${[...v]}`).toBe(expected)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(400)
    expect(outcome(() => decodePointer(encodePointer({ fileNumber: 1, offset: 2, length: 3 }), 'w'))).toMatch(/bad value pointer: length 3/)
  })
})
