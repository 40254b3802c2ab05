// The WAL batch payload: the worked example of docs/format.md, round trips, and corruption.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { Kind } from '../base/internal-key.js'
import { makeRng } from '../tests/support/rng.js'
import { BatchOps, decodeBatchRecord, encodeBatchRecord, encodeRelocationRecord } from './write-batch.js'

const enc = (s: string) => new TextEncoder().encode(s)

function decodeAll(data: Uint8Array): [number, number, string, string][] {
  const out: [number, number, string, string][] = []
  decodeBatchRecord(data, 'w', 0, (seq, kind, key, value) => out.push([seq, kind, Buffer.from(key).toString('hex'), Buffer.from(value).toString('hex')]))
  return out
}

describe('write batch codec', () => {
  it('encodes the worked example of docs/format.md', () => {
    const b = new BatchOps()
    b.put(enc('a'), enc('x'))
    b.del(enc('b'))
    expect(Buffer.from(encodeBatchRecord(7, [b])).toString('hex')).toBe('010702' + '0101610178' + '000162')
  })

  it('numbers the entries of several batches consecutively', () => {
    const rng = makeRng(4)
    const batches: BatchOps[] = []
    const expected: [number, number, string, string][] = []
    let seq = 1000
    for (let i = 0; i < 20; i++) {
      const b = new BatchOps()
      for (let j = rng.int(10); j >= 0; j--) {
        const k = rng.bytes(1 + rng.int(20))
        if (rng.chance(0.3)) {
          b.del(k)
          expected.push([seq++, Kind.Delete, Buffer.from(k).toString('hex'), ''])
        } else {
          const v = rng.bytes(rng.int(300))
          b.put(k, v)
          expected.push([seq++, Kind.Value, Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex')])
        }
      }
      batches.push(b)
    }
    expect(decodeAll(encodeBatchRecord(1000, batches))).toEqual(expected)
  })

  it('reports truncation, trailing bytes, unknown kinds and versions as corruption', () => {
    const b = new BatchOps()
    b.put(enc('key'), enc('value'))
    b.del(enc('gone'))
    const bytes = encodeBatchRecord(5, [b])
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => decodeAll(bytes.subarray(0, cut))).toThrow(CorruptionError)
    }
    expect(() => decodeAll(Uint8Array.from([...bytes, 0]))).toThrow(/trailing/)
    const badKind = bytes.slice()
    badKind[3] = 9
    expect(() => decodeAll(badKind)).toThrow(/unknown kind 9/)
    const badVersion = bytes.slice()
    badVersion[0] = 4
    expect(() => decodeAll(badVersion)).toThrow(/unknown batch format 4/)
  })

  it('carries the value log’s durable end (format 3) when there is one', () => {
    const b = new BatchOps()
    b.put(enc('a'), enc('x'))
    const bytes = encodeBatchRecord(7, [b], { fileNumber: 12, end: 300 })
    expect(Buffer.from(bytes).toString('hex')).toBe('030701' + '0c' + 'ac02' + '0101610178')
    const claims: unknown[] = []
    decodeBatchRecord(bytes, 'w', 0, () => undefined, (c) => claims.push(c))
    expect(claims).toEqual([{ fileNumber: 12, end: 300 }])
    expect(decodeAll(bytes)).toEqual([[7, Kind.Value, '61', '78']])
  })

  it('round-trips relocation records (format 2): each entry keeps its own sequence number', () => {
    const entries = [
      { key: enc('b'), seq: 41, kind: Kind.ValuePointer, pointer: Uint8Array.of(7, 16, 40) },
      { key: enc('a'), seq: 9, kind: Kind.ValuePointerWithHeader, pointer: Uint8Array.of(0, 3, 7, 56, 33) },
    ]
    const bytes = encodeRelocationRecord(entries)
    expect(bytes[0]).toBe(2)
    expect(decodeAll(bytes)).toEqual([[41, Kind.ValuePointer, '62', '071028'], [9, Kind.ValuePointerWithHeader, '61', '0003073821']])
    for (let cut = 0; cut < bytes.length; cut++) expect(() => decodeAll(bytes.subarray(0, cut))).toThrow(CorruptionError)
  })
})
