// The fixed codecs (header, footer, handles, properties), index separators, and the worked
// example of docs/format.md (Tables), byte for byte (testdata/tiny-table.hex).

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { Kind, MAX_SEQ, compareBytes, compareInternal } from '../base/internal-key.js'
import { MemFileSystem } from '../base/mem-fs.js'
import { describeTable } from './describe.js'
import {
  FORMAT_VERSION, FOOTER_SIZE, HEADER_SIZE, decodeFooter, decodeHandle, decodeHeader, decodeProperties, encodeFooter, encodeHandle,
  encodeHeader, encodeProperties, encodedHandleLength, type Footer, type StoredProperties,
} from './format.js'
import { separator, successor } from './separator.js'
import { TableBuilder } from './table-builder.js'
import { randomUserKey, seededRandom } from '../tests/support/table-data.js'

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8')

/** Hex bytes with '#' comments, as in testdata/*.hex. */
function parseAnnotatedHex(text: string): Uint8Array {
  const digits = text.split('\n').map((l) => l.replace(/#.*/, '')).join('').replace(/\s+/g, '')
  return new Uint8Array(Buffer.from(digits, 'hex'))
}

function expectCorruption(fn: () => unknown, file: string): void {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(CorruptionError)
    expect((err as CorruptionError).file).toBe(file)
    return
  }
  expect.fail('no CorruptionError')
}

describe('header and footer', () => {
  it('round-trip and catch every single flipped bit', () => {
    const header = encodeHeader()
    expect(header.length).toBe(HEADER_SIZE)
    expect(decodeHeader('h', header)).toBe(FORMAT_VERSION)
    expect(decodeHeader('h', encodeHeader(1))).toBe(1)
    for (let bit = 0; bit < HEADER_SIZE * 8; bit++) {
      const h = header.slice()
      h[bit >> 3] ^= 1 << (bit & 7)
      expectCorruption(() => decodeHeader('h', h), 'h')
    }

    const footer: Footer = {
      index: { offset: 5_000_000_123, length: 77 },
      filter: { offset: 4_000_000_000, length: 1_000_000 },
      properties: { offset: 5_000_000_300, length: 40 },
      version: 1,
    }
    const size = 5_000_000_400
    const bytes = encodeFooter(footer)
    expect(bytes.length).toBe(FOOTER_SIZE)
    expect(decodeFooter('f', bytes, size)).toEqual(footer)
    for (let bit = 0; bit < FOOTER_SIZE * 8; bit++) {
      const b = bytes.slice()
      b[bit >> 3] ^= 1 << (bit & 7)
      expectCorruption(() => decodeFooter('f', b, size), 'f')
    }
  })

  it('rejects handles outside the blocks and a missing filter only as (0, 0)', () => {
    const ok: Footer = { index: { offset: 16, length: 8 }, filter: { offset: 0, length: 0 }, properties: { offset: 29, length: 10 }, version: 1 }
    const size = 29 + 10 + 5 + FOOTER_SIZE
    expect(decodeFooter('f', encodeFooter(ok), size).filter).toEqual({ offset: 0, length: 0 })
    expectCorruption(() => decodeFooter('f', encodeFooter(ok), size - 1), 'f')
    expectCorruption(() => decodeFooter('f', encodeFooter({ ...ok, index: { offset: 15, length: 8 } }), size), 'f')
    expectCorruption(() => decodeFooter('f', encodeFooter({ ...ok, filter: { offset: 0, length: 3 } }), size), 'f')
    expect(decodeFooter('f', encodeFooter({ ...ok, version: 2 }), size).version).toBe(2)
    expect(decodeFooter('f', encodeFooter({ ...ok, version: 3 }), size).version).toBe(3)
    expectCorruption(() => decodeFooter('f', encodeFooter({ ...ok, version: 4 }), size), 'f')
  })
})

describe('handles and properties', () => {
  it('encode handles as two varints', () => {
    const buf = new Uint8Array(20)
    for (const h of [{ offset: 16, length: 0 }, { offset: 2 ** 40 + 3, length: 70_000 }]) {
      const n = encodeHandle(h, buf, 0)
      expect(n).toBe(encodedHandleLength(h))
      expect(decodeHandle(buf.subarray(0, n))).toEqual(h)
      expect(decodeHandle(buf.subarray(0, n - 1))).toBeUndefined()
    }
    expect(decodeHandle(Uint8Array.of(16, 61, 0))).toBeUndefined()
  })

  it('round-trip properties and reject damaged ones', () => {
    const p: StoredProperties = {
      version: 1, entryCount: 123_456_789, tombstoneCount: 5, minSeq: 1, maxSeq: MAX_SEQ, rawKeyBytes: 2 ** 40,
      rawValueBytes: 0, dataBlockCount: 9, smallestKey: new Uint8Array(0), largestKey: new Uint8Array(300).fill(0xff),
    }
    const bytes = encodeProperties(p)
    expect(decodeProperties('p', 0, bytes)).toEqual(p)
    expectCorruption(() => decodeProperties('p', 0, bytes.subarray(0, bytes.length - 1)), 'p')
    expectCorruption(() => decodeProperties('p', 0, Uint8Array.of(...bytes, 0)), 'p')
    expectCorruption(() => decodeProperties('p', 0, encodeProperties({ ...p, version: 9 })), 'p')
    expectCorruption(() => decodeProperties('p', 0, encodeProperties({ ...p, tombstoneCount: p.entryCount + 1 })), 'p')
  })
})

describe('index separators', () => {
  it('lie in [last, next) and are never longer than last', () => {
    const rng = seededRandom(31)
    let shortened = 0
    for (let trial = 0; trial < 5000; trial++) {
      let a = randomUserKey(rng)
      let b = rng.chance(0.2) ? a : randomUserKey(rng)
      if (compareBytes(a, b) > 0) [a, b] = [b, a]
      const aSeq = 1 + rng.int(1000)
      const bSeq = compareBytes(a, b) === 0 ? aSeq - 1 : 1 + rng.int(1000)
      const s = separator(a, aSeq, Kind.Value, b)
      const why = `${Buffer.from(a).toString('hex')} / ${Buffer.from(b).toString('hex')}`
      expect(compareInternal(a, aSeq, Kind.Value, s.userKey, s.seq, s.kind), why).toBeLessThanOrEqual(0)
      expect(compareInternal(s.userKey, s.seq, s.kind, b, bSeq, Kind.Value), why).toBeLessThan(0)
      expect(s.userKey.length).toBeLessThanOrEqual(a.length)
      if (s.userKey.length < a.length) shortened++
      const t = successor(a, aSeq, Kind.Value)
      expect(compareInternal(a, aSeq, Kind.Value, t.userKey, t.seq, t.kind), why).toBeLessThanOrEqual(0)
      expect(t.userKey.length).toBeLessThanOrEqual(a.length)
    }
    expect(shortened).toBeGreaterThan(1000)
    expect(separator(Uint8Array.of(1, 2, 3, 4), 5, 1, Uint8Array.of(1, 9)).userKey).toEqual(Uint8Array.of(1, 3))
    expect(successor(Uint8Array.of(0xff, 0xff, 7, 1), 5, 1).userKey).toEqual(Uint8Array.of(0xff, 0xff, 8))
  })
})

describe('worked example (docs/format.md (Tables))', () => {
  const build = () => {
    const fs = new MemFileSystem()
    // The example is a version 1 table: the current builder still writes one when asked.
    const b = new TableBuilder(fs.create('/tiny.sst'), { compression: 'none', formatVersion: 1 })
    const utf8 = (s: string) => new Uint8Array(Buffer.from(s))
    b.add(utf8('apple'), 3, Kind.Value, utf8('red'))
    b.add(utf8('apple'), 1, Kind.Delete, new Uint8Array(0))
    b.add(utf8('banana'), 2, Kind.Value, utf8('yellow'))
    b.finish()
    return fs
  }

  it('writes exactly the bytes of testdata/tiny-table.hex', () => {
    const got = Buffer.from(build().readFile('/tiny.sst')).toString('hex')
    expect(got).toBe(Buffer.from(parseAnnotatedHex(testdata('tiny-table.hex'))).toString('hex'))
  })

  it('describes it as testdata/tiny-table.describe.txt', () => {
    expect(describeTable(build(), '/tiny.sst')).toBe(testdata('tiny-table.describe.txt'))
  })
})
