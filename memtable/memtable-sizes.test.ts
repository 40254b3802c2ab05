// Edge sizes and accounting: huge values, 1-byte, long and empty keys, entries larger than the
// arena, views that outlive growth, byteSize/count/seq bounds, and injected tower heights.

import { describe, expect, it } from 'vitest'
import { Kind, MAX_SEQ } from '../base/internal-key.js'
import { Memtable } from './index.js'
import { mulberry32 as seededRng } from '../base/random.js'

function filled(n: number, seed: number): Uint8Array {
  const rand = seededRng(seed)
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0
  return b
}

const bytes = (s: string) => new TextEncoder().encode(s)

/** Arena bytes of one entry with a tower of height h: 24-byte header, links, key, value, 8-aligned. */
function entryBytes(h: number, keyLen: number, valueLen: number): number {
  return Math.ceil((24 + 8 * h + keyLen + valueLen) / 8) * 8
}

describe('memtable sizes', () => {
  it('holds 1 MB values from a 1 KiB arena, and entries larger than the whole arena', () => {
    const mt = new Memtable({ initialArenaSize: 1024, rng: seededRng(7) })
    const values = [0, 1, 2, 3].map(i => filled(1 << 20, i + 1))
    values.forEach((v, i) => mt.add(bytes(`big${i}`), 10 + i, Kind.Value, v))
    mt.add(bytes('small'), 20, Kind.Value, bytes('x'))
    for (let i = 0; i < values.length; i++) {
      const got = mt.get(bytes(`big${i}`), MAX_SEQ)
      expect(got?.seq).toBe(10 + i)
      expect(Buffer.compare(got!.value, values[i])).toBe(0)
    }
    expect(mt.byteSize).toBeGreaterThanOrEqual(4 * (1 << 20))
    expect(mt.arenaCapacity).toBeGreaterThanOrEqual(mt.byteSize)
    mt.checkInvariants()
  })

  it('keeps values returned earlier intact across arena growth', () => {
    const mt = new Memtable({ initialArenaSize: 64, rng: seededRng(3) })
    const kept: { value: Uint8Array; want: Uint8Array }[] = []
    for (let i = 0; i < 500; i++) {
      const want = filled(1 + (i % 40), i)
      mt.add(bytes(`k${i}`), i + 1, Kind.Value, want)
      kept.push({ value: mt.get(bytes(`k${i}`), MAX_SEQ)!.value, want })
    }
    expect(mt.arenaCapacity).toBeGreaterThan(64 * 256)
    for (const { value, want } of kept) expect(Buffer.compare(value, want)).toBe(0)
  })

  it('orders 1-byte, long and empty keys, and keys differing only after 4 zero bytes', () => {
    const mt = new Memtable({ rng: seededRng(11) })
    const long = filled(100_000, 5)
    const longer = new Uint8Array(100_001)
    longer.set(long)
    const keys = [
      new Uint8Array(0),
      new Uint8Array([0]),
      new Uint8Array([0, 0, 0, 0]),
      new Uint8Array([0, 0, 0, 0, 0]),
      new Uint8Array([0, 0, 0, 0, 1]),
      new Uint8Array([1]),
      new Uint8Array([0xff]),
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]),
      long,
      longer,
    ]
    const sorted = [...keys].sort(Buffer.compare)
    // Insert in a scrambled order; two versions each.
    const order = [7, 2, 9, 0, 5, 3, 8, 1, 6, 4]
    let seq = 1
    for (const i of order) {
      mt.add(keys[i], seq++, Kind.Value, new Uint8Array([i, 1]))
      mt.add(keys[i], seq++, Kind.Delete, new Uint8Array(0))
    }
    mt.checkInvariants()
    const it = mt.iterator()
    it.first()
    for (const k of sorted) {
      expect(it.valid()).toBe(true)
      expect(Buffer.compare(it.userKey(), k)).toBe(0)
      expect(it.kind()).toBe(Kind.Delete)
      it.next()
      expect(Buffer.compare(it.userKey(), k)).toBe(0)
      expect(it.kind()).toBe(Kind.Value)
      const readSeq = it.seq()
      it.next()
      // Reading just below the tombstone finds the value.
      expect(mt.get(k, readSeq)?.value[0]).toBe(keys.indexOf(k))
    }
    expect(it.valid()).toBe(false)
    it.seekLT(new Uint8Array(0))
    expect(it.valid()).toBe(false)
    it.seekLT(new Uint8Array([0]))
    expect(it.valid() && it.userKey().length).toBe(0)
    it.seekGE(longer)
    expect(Buffer.compare(it.userKey(), longer)).toBe(0)
    expect(mt.get(new Uint8Array(0), MAX_SEQ)?.kind).toBe(Kind.Delete)
    expect(mt.get(new Uint8Array([0, 0]), MAX_SEQ)).toBeUndefined()
  })
})

describe('memtable accounting', () => {
  it('is empty and iterable when nothing was added', () => {
    const mt = new Memtable()
    expect([mt.count, mt.byteSize, mt.minSeq, mt.maxSeq]).toEqual([0, 0, 0, 0])
    expect(mt.get(bytes('a'), MAX_SEQ)).toBeUndefined()
    const it = mt.iterator()
    for (const move of [() => it.first(), () => it.last(), () => it.seekGE(bytes('a')), () => it.seekLT(bytes('z'))]) {
      move()
      expect(it.valid()).toBe(false)
    }
    it.close()
    it.close()
  })

  it('counts bytes exactly for known tower heights', () => {
    // rng() >= 1/2 always: every tower has height 1. rng() = 0: every tower is MAX_HEIGHT (24).
    const flat = new Memtable({ rng: () => 0.9 })
    const tall = new Memtable({ rng: () => 0 })
    let flatBytes = 0
    let tallBytes = 0
    for (let i = 0; i < 100; i++) {
      const key = bytes(`key-${i}`)
      const value = new Uint8Array(i)
      flat.add(key, i + 1, Kind.Value, value)
      tall.add(key, i + 1, Kind.Value, value)
      flatBytes += entryBytes(1, key.length, i)
      tallBytes += entryBytes(24, key.length, i)
    }
    expect(flat.byteSize).toBe(flatBytes)
    expect(tall.byteSize).toBe(tallBytes)
    flat.checkInvariants()
    tall.checkInvariants()
  })

  it('gives the same layout for the same seed', () => {
    const sizes = [1, 1, 2].map(seed => {
      const mt = new Memtable({ rng: seededRng(seed) })
      for (let i = 0; i < 200; i++) mt.add(bytes(`k${i}`), i + 1, Kind.Value, new Uint8Array(0))
      return mt.byteSize
    })
    expect(sizes[0]).toBe(sizes[1])
    expect(sizes[0]).not.toBe(sizes[2])
  })

  it('tracks count and the seq bounds, up to MAX_SEQ', () => {
    const mt = new Memtable()
    mt.add(bytes('b'), 500, Kind.Value, bytes('1'))
    mt.add(bytes('a'), MAX_SEQ, Kind.ValuePointer, bytes('2'))
    mt.add(bytes('c'), 3, Kind.Delete, new Uint8Array(0))
    expect([mt.count, mt.minSeq, mt.maxSeq]).toEqual([3, 3, MAX_SEQ])
    const got = mt.get(bytes('a'), MAX_SEQ)
    expect([got?.seq, got?.kind]).toEqual([MAX_SEQ, Kind.ValuePointer])
    expect(mt.get(bytes('a'), MAX_SEQ - 1)).toBeUndefined()
  })
})
