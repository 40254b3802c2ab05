// Version edits: the worked example of docs/format.md byte for byte, random round trips, and every
// truncation or unknown tag reported as corruption.

import { describe, expect, it } from 'vitest'
import { CorruptionError } from '../base/errors.js'
import { makeRng } from '../tests/support/rng.js'
import { type VersionEdit, VersionSet, decodeVersionEdit, emptyEdit, encodeVersionEdit } from './index.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const enc = (s: string) => new TextEncoder().encode(s)

describe('version edit codec', () => {
  it('encodes the worked example of docs/format.md', () => {
    const edit: VersionEdit = {
      ...emptyEdit(),
      logNumber: 11,
      addedTables: [{ level: 0, table: { fileNumber: 12, size: 1234, smallestKey: enc('a'), largestKey: enc('m'), minSeq: 1, maxSeq: 40, entryCount: 40 } }],
    }
    expect(hex(encodeVersionEdit(edit))).toBe('010b' + '05000cd209' + '0161016d' + '012828')
  })

  it('encodes edit format 3’s worked example: the flush above with its whole value-log file 13 (tag 12)', () => {
    const edit: VersionEdit = {
      ...emptyEdit(),
      logNumber: 11,
      addedTables: [{ level: 0, table: { fileNumber: 12, size: 1234, smallestKey: enc('a'), largestKey: enc('m'), minSeq: 1, maxSeq: 40, entryCount: 40 } }],
      addedWholeValueLogs: [13],
    }
    const bytes = encodeVersionEdit(edit)
    expect(hex(bytes)).toBe('010b' + '05000cd209' + '0161016d' + '012828' + '0c0d')
    expect(decodeVersionEdit(bytes, 'm', 0)).toEqual(edit)
  })

  it('a version set keeps whole value-log files apart in its snapshot, and forgets one tag 7 deletes', () => {
    const v = new VersionSet(() => undefined)
    v.apply({ ...emptyEdit(), addedValueLogs: [4] })
    v.apply({ ...emptyEdit(), addedWholeValueLogs: [9], valueLogDiscards: new Map([[9, 100]]) })
    expect([...v.valueLogs]).toEqual([[4, 0], [9, 100]])
    expect(v.nextFileNumber).toBe(10)
    const snap = decodeVersionEdit(encodeVersionEdit(v.snapshotEdit()), 'm', 0)
    expect(snap.addedValueLogs).toEqual([4])
    expect(snap.addedWholeValueLogs).toEqual([9])
    v.apply({ ...emptyEdit(), deletedValueLogs: [9] })
    expect([...v.wholeValueLogs]).toEqual([])
    expect(v.snapshotEdit().addedWholeValueLogs).toBeUndefined()
  })

  it('round-trips random edits', () => {
    const rng = makeRng(8)
    for (let i = 0; i < 200; i++) {
      const edit: VersionEdit = emptyEdit()
      if (rng.chance(0.5)) edit.logNumber = rng.int(2 ** 40)
      if (rng.chance(0.5)) edit.nextFileNumber = rng.int(1e6)
      if (rng.chance(0.5)) edit.lastSeq = rng.int(2 ** 45)
      if (rng.chance(0.3)) edit.tombstoneHorizon = rng.int(2 ** 45)
      for (let j = rng.int(4); j > 0; j--) edit.deletedTables.push({ level: rng.int(7), fileNumber: rng.int(1e6) })
      for (let j = rng.int(4); j > 0; j--) {
        edit.addedTables.push({
          level: rng.int(7),
          table: {
            fileNumber: rng.int(1e6), size: rng.int(2 ** 35), smallestKey: rng.bytes(1 + rng.int(30)),
            largestKey: rng.bytes(1 + rng.int(300)), minSeq: rng.int(1e9), maxSeq: rng.int(2 ** 45), entryCount: rng.int(1e7),
          },
        })
      }
      expect(decodeVersionEdit(encodeVersionEdit(edit), 'm', 0)).toEqual(edit)
    }
  })

  it('reports every truncation and an unknown tag as corruption naming the record', () => {
    const edit: VersionEdit = {
      ...emptyEdit(),
      lastSeq: 99,
      addedTables: [{ level: 1, table: { fileNumber: 7, size: 300, smallestKey: enc('abc'), largestKey: enc('xyz'), minSeq: 5, maxSeq: 9, entryCount: 3 } }],
    }
    const bytes = encodeVersionEdit(edit)
    for (let cut = 1; cut < bytes.length; cut++) {
      // A cut that ends exactly between fields decodes as a shorter edit; any other must throw.
      try {
        const partial = decodeVersionEdit(bytes.subarray(0, cut), 'MANIFEST-000001', 40)
        expect(partial.addedTables).toHaveLength(0)
      } catch (err) {
        expect(err).toBeInstanceOf(CorruptionError)
        expect(err).toMatchObject({ file: 'MANIFEST-000001', offset: 40 })
      }
    }
    expect(() => decodeVersionEdit(Uint8Array.of(99, 1), 'MANIFEST-000001', 0)).toThrow(/unknown tag 99/)
  })
})
