// Tests for the log format: golden bytes, header checks, record decode failures, the resync scan.

import { describe, expect, it } from 'vitest'
import { crc32, maskChecksum } from '../base/checksum.js'
import { CorruptionError } from '../base/errors.js'
import { checksum } from '../base/checksum.js'
import { describeLog } from './describe.js'
import { crcRange } from './format.js'
import {
  FILE_HEADER_SIZE, RECORD_BAD_CHECKSUM, RECORD_BAD_HEADER_CHECKSUM, RECORD_BAD_TYPE, RECORD_HEADER_SIZE,
  RECORD_TRUNCATED_HEADER, RECORD_TRUNCATED_PAYLOAD, decodeFileHeader, decodeRecord, encodeFileHeader,
  encodeRecord, findNextRecord, headerChecksum, isMarker, payloadStart, recordClaim, recordSize,
} from './format.js'

function fromHex(s: string): Uint8Array {
  return Uint8Array.from(s.trim().split(/\s+/), (b) => parseInt(b, 16))
}

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ')
}

function frame(payloads: Uint8Array[], salt: number, kind: 'wal' | 'manifest' = 'wal'): Uint8Array {
  const size = FILE_HEADER_SIZE + payloads.reduce((n, p) => n + recordSize(p.length), 0)
  const out = new Uint8Array(size)
  out.set(encodeFileHeader(kind, salt))
  let o = FILE_HEADER_SIZE
  for (const p of payloads) o = encodeRecord(out, o, p, salt)
  return out
}

const SALT = 0x5e77a1f0

// The worked example of docs/format.md (Log files); if this changes, the format changed.
const GOLDEN = `
  53 45 54 4c 01 00 01 00 f0 a1 77 5e ba 40 b0 3a
  95 3c 89 be 05 00 00 00 01 18 4e 16 74 68 65 6c 6c 6f
  34 7e dd fb 00 00 00 00 01 59 dd f5 71`

describe('log format', () => {
  it('encodes the documented golden bytes', () => {
    const bytes = frame([new TextEncoder().encode('hello'), new Uint8Array(0)], SALT)
    expect(toHex(bytes)).toBe(toHex(fromHex(GOLDEN)))
    expect(describeLog(bytes)).toBe(
      ['0: header wal v1 salt=0x5e77a1f0', '16: record len=5 [68 65 6c 6c 6f]', '34: record len=0 []', '47: end'].join('\n'),
    )
  })

  it('computes headerCrc exactly as a salted masked zlib CRC-32 of length and type', () => {
    const buf = new Uint8Array(64)
    for (let i = 0; i < 500; i++) {
      for (let j = 0; j < buf.length; j++) buf[j] = (i * 131 + j * 7 + ((i * j) >>> 3)) & 0xff
      const salt = (i * 0x9e3779b1) >>> 0
      const o = i % 50
      expect(headerChecksum(buf, o, salt)).toBe(maskChecksum(crc32(buf.subarray(o, o + 5), salt)))
    }
  })

  it('decodes a header and rejects a bad magic, checksum, version, flags or kind', () => {
    const good = encodeFileHeader('manifest', 1234)
    expect(decodeFileHeader(good, 'f', 'manifest')).toEqual({ kind: 'manifest', version: 1, salt: 1234 })

    const damaged = (edit: (b: Uint8Array) => void, recrc: boolean): Uint8Array => {
      const b = good.slice()
      edit(b)
      if (recrc) new DataView(b.buffer).setUint32(12, checksum(b.subarray(0, 12)), true)
      return b
    }
    const cases: [Uint8Array, RegExp][] = [
      [damaged((b) => (b[0] = 0x58), true), /bad magic/],
      [damaged((b) => (b[9] ^= 1), false), /header checksum/],
      [damaged((b) => (b[4] = 3), true), /version 3/],
      [damaged((b) => (b[7] = 1), true), /flags/],
      [damaged((b) => (b[6] = 9), true), /unknown log kind 9/],
      [good, /manifest log, expected a wal log/],
    ]
    for (const [bytes, message] of cases) {
      let err: unknown
      try {
        decodeFileHeader(bytes, '/db/f', 'wal')
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(CorruptionError)
      expect((err as CorruptionError).message).toMatch(message)
      expect((err as CorruptionError).file).toBe('/db/f')
      expect((err as CorruptionError).offset).toBe(0)
    }
  })

  it('reports each kind of bad record', () => {
    const payload = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])
    const good = frame([payload], SALT)
    const o = FILE_HEADER_SIZE
    expect(decodeRecord(good, o, SALT)).toBe(good.length)
    expect(decodeRecord(good, o, SALT + 1)).toBe(RECORD_BAD_HEADER_CHECKSUM)
    expect(decodeRecord(good.subarray(0, o + RECORD_HEADER_SIZE - 1), o, SALT)).toBe(RECORD_TRUNCATED_HEADER)
    expect(decodeRecord(good.subarray(0, good.length - 1), o, SALT)).toBe(RECORD_TRUNCATED_PAYLOAD)

    const badPayload = good.slice()
    badPayload[good.length - 1] ^= 0x80
    expect(decodeRecord(badPayload, o, SALT)).toBe(RECORD_BAD_CHECKSUM)

    // A type the version does not know, with a header checksum that matches it.
    const badType = good.slice()
    badType[o + 8] = 7
    new DataView(badType.buffer).setUint32(o + 9, headerChecksum(badType, o + 4, SALT), true)
    expect(decodeRecord(badType, o, SALT)).toBe(RECORD_BAD_TYPE)
  })

  it('resyncs only on records framed with this file\'s salt', () => {
    const inner = frame([new TextEncoder().encode('inside')], SALT).subarray(FILE_HEADER_SIZE)
    const otherSalt = frame([new TextEncoder().encode('inside')], SALT ^ 1).subarray(FILE_HEADER_SIZE)
    const junk = new Uint8Array(40).fill(0x77)
    const withSame = concat(encodeFileHeader('wal', SALT), junk, inner)
    const withOther = concat(encodeFileHeader('wal', SALT), junk, otherSalt)
    expect(findNextRecord(withSame, FILE_HEADER_SIZE, SALT)).toBe(FILE_HEADER_SIZE + junk.length)
    expect(findNextRecord(withOther, FILE_HEADER_SIZE, SALT)).toBe(-1)
  })

  it('keeps the resync scan linear on payloads that read as plausible headers', () => {
    // Each 4-byte word 01 00 08 00 reads as type 1 after a length of 524289: without headerCrc
    // every offset would cost a CRC over half a MiB (~10^11 bytes for this file).
    const data = new Uint8Array(4 << 20)
    for (let i = 0; i < data.length; i += 4) data.set([1, 0, 8, 0], i)
    data.set(encodeFileHeader('wal', SALT))
    const start = performance.now()
    expect(findNextRecord(data, FILE_HEADER_SIZE, SALT)).toBe(-1)
    expect(performance.now() - start).toBeLessThan(2000)
  })
})

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

describe('log format version 2', () => {
  it('round-trips claiming records and markers, and each version refuses the other\'s record types', () => {
    const payload = new Uint8Array([9, 8, 7])
    const buf = new Uint8Array(FILE_HEADER_SIZE + recordSize(3, 2) + recordSize(0, 2))
    buf.set(encodeFileHeader('wal', SALT, 2))
    expect(decodeFileHeader(buf, 'f', 'wal').version).toBe(2)
    const o = FILE_HEADER_SIZE
    const second = encodeRecord(buf, o, payload, SALT, 2 ** 33 + 5)
    expect(second).toBe(o + RECORD_HEADER_SIZE + 8 + 3)
    expect(encodeRecord(buf, second, undefined, SALT, 77)).toBe(buf.length)
    expect(decodeRecord(buf, o, SALT, 2)).toBe(second)
    expect(recordClaim(buf, o)).toBe(2 ** 33 + 5)
    expect([...buf.subarray(payloadStart(buf, o), second)]).toEqual([9, 8, 7])
    expect(isMarker(buf, o)).toBe(false)
    expect(decodeRecord(buf, second, SALT, 2)).toBe(buf.length)
    expect(isMarker(buf, second)).toBe(true)
    expect(recordClaim(buf, second)).toBe(77)
    // Version 1's rules never accept a version-2 record, nor the reverse.
    expect(decodeRecord(buf, o, SALT, 1)).toBe(RECORD_BAD_TYPE)
    expect(findNextRecord(buf, o, SALT, 1)).toBe(-1)
    expect(decodeRecord(frame([payload], SALT), o, SALT, 2)).toBe(RECORD_BAD_TYPE)
    expect(describeLog(buf)).toMatch(/header wal v2[\s\S]*claims=8589934597[\s\S]*durable marker claims=77/)
  })
})

describe('crcRange', () => {
  it('equals zlib crc32 from any initial value, at every length up to 2 KiB', () => {
    const buf = Uint8Array.from({ length: 2100 }, (_, i) => (i * 2654435761) >>> 24)
    for (const initial of [0, 1, 0xdeadbeef, 0xffffffff]) {
      for (let n = 0; n <= 2048; n += n < 64 ? 1 : 37) {
        expect(crcRange(buf, 3, 3 + n, initial)).toBe(crc32(buf.subarray(3, 3 + n), initial))
      }
    }
  })
})
