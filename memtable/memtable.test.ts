// Model-based tests: random adds compared with a plain sorted array of entries, through get,
// full scans both ways, seeks with mixed next/prev, and iterators that outlive further adds.
// Every failure names its seed; rerun one with MEMTABLE_SEED=<seed>.

import { describe, expect, it } from 'vitest'
import type { InternalIterator } from '../base/internal-iterator.js'
import { compareBytes, compareInternal, KIND_FOR_SEEK, MAX_SEQ } from '../base/internal-key.js'
import { Memtable } from './index.js'
import { mulberry32 as seededRng } from '../base/random.js'

interface Entry {
  key: Uint8Array
  seq: number
  kind: number
  value: Uint8Array
}

function compareEntries(a: Entry, b: Entry): number {
  return compareInternal(a.key, a.seq, a.kind, b.key, b.seq, b.kind)
}

/** Index of the first model entry at or after (key, seq) in internal order. */
function modelSeekGE(model: Entry[], key: Uint8Array, seq: number): number {
  let lo = 0
  let hi = model.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const e = model[mid]
    if (compareInternal(e.key, e.seq, e.kind, key, seq, KIND_FOR_SEEK) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Index of the last model entry whose user key is < key (-1 when none). */
function modelSeekLT(model: Entry[], key: Uint8Array): number {
  return modelSeekGE(model, key, MAX_SEQ) - 1
}

function modelGet(model: Entry[], key: Uint8Array, readSeq: number): Entry | undefined {
  const i = modelSeekGE(model, key, readSeq)
  return i < model.length && compareBytes(model[i].key, key) === 0 ? model[i] : undefined
}

/** Asserts the iterator sits on model[i], or is exhausted when i is out of range. */
function expectAt(it: InternalIterator, model: Entry[], i: number, what: string): void {
  // Compare by hand and call expect() only on a mismatch: expect() per field dominates run time.
  if (i < 0 || i >= model.length) {
    if (it.valid()) expect.fail(`${what}: expected exhausted, at ${hex(it.userKey())}#${it.seq()}`)
    return
  }
  const e = model[i]
  if (!it.valid()) expect.fail(`${what}: expected entry ${i} of ${model.length}, got exhausted`)
  if (
    compareBytes(it.userKey(), e.key) !== 0 ||
    it.seq() !== e.seq ||
    it.kind() !== e.kind ||
    compareBytes(it.value(), e.value) !== 0
  ) {
    expect(
      `${hex(it.userKey())}#${it.seq()}/${it.kind()}=${hex(it.value())}`,
      `${what}: entry ${i} of ${model.length}`,
    ).toBe(`${hex(e.key)}#${e.seq}/${e.kind}=${hex(e.value)}`)
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}

class Generator {
  readonly rand: () => number
  private readonly seqs: number[]
  private next = 0

  constructor(
    seed: number, maxEntries: number, private readonly alphabet: number, private readonly maxKeyLen: number,
    /** Bytes of '0' every key starts with (then 1..maxKeyLen random bytes). */
    private readonly commonPrefix = 0,
    /** Chance that a key ignores commonPrefix (bytes '/', '0' or '1', sorting either side of it). */
    private readonly stray = 0,
  ) {
    this.rand = seededRng(seed)
    // Unique sequence numbers in random order, some near MAX_SEQ, so seq order != insert order.
    const seqs = Array.from({ length: maxEntries }, (_, i) => (i % 7 === 0 ? MAX_SEQ - i : i + 1))
    for (let i = seqs.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      ;[seqs[i], seqs[j]] = [seqs[j], seqs[i]]
    }
    this.seqs = seqs
  }

  int(n: number): number {
    return Math.floor(this.rand() * n)
  }

  /** Small alphabet and short lengths so user keys collide and versions pile up. */
  key(): Uint8Array {
    if (this.stray > 0 && this.rand() < this.stray) {
      const k = new Uint8Array(1 + this.int(this.commonPrefix + 3))
      for (let i = 0; i < k.length; i++) k[i] = 0x2f + this.int(3)
      return k
    }
    const len = 1 + this.int(this.maxKeyLen)
    const k = new Uint8Array(this.commonPrefix + len).fill(0x30, 0, this.commonPrefix)
    for (let i = this.commonPrefix; i < k.length; i++) k[i] = 0x61 + this.int(this.alphabet)
    // Now and then a byte 0x00 or 0xff, to exercise the zero-padded prefix.
    if (this.int(10) === 0) k[this.commonPrefix + this.int(len)] = this.int(2) === 0 ? 0 : 0xff
    return k
  }

  entry(): Entry {
    const value = new Uint8Array(this.int(4) === 0 ? this.int(300) : this.int(12))
    for (let i = 0; i < value.length; i++) value[i] = this.int(256)
    return { key: this.key(), seq: this.seqs[this.next++], kind: this.int(3), value }
  }

  readSeq(): number {
    const r = this.int(4)
    return r === 0 ? MAX_SEQ : r === 1 ? this.int(10) : this.seqs[this.int(this.next)] ?? 0
  }
}

function seeds(n: number): number[] {
  if (process.env.MEMTABLE_SEED) return [Number(process.env.MEMTABLE_SEED)]
  const fixed = Array.from({ length: n - 1 }, (_, i) => i + 1)
  return [...fixed, Date.now() % 1_000_000_007]
}

function withSeed(seed: number, fn: () => void): void {
  try {
    fn()
  } catch (err) {
    if (err instanceof Error) err.message = `[MEMTABLE_SEED=${seed}] ${err.message}`
    throw err
  }
}

function insertSorted(model: Entry[], e: Entry): void {
  let lo = 0
  let hi = model.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareEntries(model[mid], e) < 0) lo = mid + 1
    else hi = mid
  }
  model.splice(lo, 0, e)
}

function checkScans(mt: Memtable, model: Entry[]): void {
  const it = mt.iterator()
  it.first()
  for (let i = 0; i < model.length; i++) {
    expectAt(it, model, i, `forward scan at ${i}`)
    it.next()
  }
  expect(it.valid(), 'forward scan: exhausted at end').toBe(false)
  it.last()
  for (let i = model.length - 1; i >= 0; i--) {
    expectAt(it, model, i, `backward scan at ${i}`)
    it.prev()
  }
  expect(it.valid(), 'backward scan: exhausted at start').toBe(false)
  it.close()
}

function checkGets(mt: Memtable, model: Entry[], g: Generator, n: number): void {
  for (let j = 0; j < n; j++) {
    const key = g.int(3) === 0 ? g.key() : model[g.int(model.length)]?.key ?? g.key()
    const readSeq = g.readSeq()
    const want = modelGet(model, key, readSeq)
    const got = mt.get(key, readSeq)
    const what = `get(${hex(key)}, ${readSeq})`
    const same =
      want === undefined
        ? got === undefined
        : got !== undefined && got.seq === want.seq && got.kind === want.kind && compareBytes(got.value, want.value) === 0
    if (!same) {
      const show = (r: { seq: number; kind: number; value: Uint8Array } | undefined) =>
        r === undefined ? 'undefined' : `#${r.seq}/${r.kind}=${hex(r.value)}`
      expect(show(got), what).toBe(show(want))
    }
  }
}

function checkSeeks(mt: Memtable, model: Entry[], g: Generator, n: number): void {
  const it = mt.iterator()
  for (let j = 0; j < n; j++) {
    const key = g.int(2) === 0 ? g.key() : model[g.int(model.length)]?.key ?? g.key()
    let i: number
    let what: string
    const op = g.int(3)
    if (op === 0) {
      const seq = g.readSeq()
      it.seekGE(key, seq)
      i = modelSeekGE(model, key, seq)
      what = `seekGE(${hex(key)}, ${seq})`
    } else if (op === 1) {
      it.seekGE(key)
      i = modelSeekGE(model, key, MAX_SEQ)
      what = `seekGE(${hex(key)})`
    } else {
      it.seekLT(key)
      i = modelSeekLT(model, key)
      what = `seekLT(${hex(key)})`
    }
    expectAt(it, model, i, what)
    for (let step = 0; step < 8 && it.valid(); step++) {
      if (g.int(2) === 0) {
        it.next()
        i++
        what += '.next'
      } else {
        it.prev()
        i--
        what += '.prev'
      }
      expectAt(it, model, i, what)
    }
  }
}

function runModel(
  seed: number,
  opts: { entries: number; alphabet: number; maxKeyLen: number; arena?: number; shared?: boolean; commonPrefix?: number; stray?: number },
): Memtable {
  const g = new Generator(seed, opts.entries, opts.alphabet, opts.maxKeyLen, opts.commonPrefix, opts.stray)
  const mt = new Memtable({ initialArenaSize: opts.arena, rng: seededRng(seed ^ 0x5eed), shared: opts.shared })
  const model: Entry[] = []
  let minSeq = Infinity
  let maxSeq = -Infinity
  for (let n = 0; n < opts.entries; n++) {
    const e = g.entry()
    mt.add(e.key, e.seq, e.kind, e.value)
    insertSorted(model, e)
    minSeq = Math.min(minSeq, e.seq)
    maxSeq = Math.max(maxSeq, e.seq)
    if (g.int(50) === 0) {
      checkGets(mt, model, g, 20)
      checkSeeks(mt, model, g, 5)
    }
  }
  expect(mt.count).toBe(model.length)
  expect(mt.minSeq).toBe(minSeq)
  expect(mt.maxSeq).toBe(maxSeq)
  mt.checkInvariants()
  checkScans(mt, model)
  checkGets(mt, model, g, 500)
  checkSeeks(mt, model, g, 300)
  // Frozen and reopened over the same bytes (as the flush worker does), it reads the same.
  const reopened = Memtable.open(mt.freeze())
  expect([reopened.count, reopened.minSeq, reopened.maxSeq]).toEqual([mt.count, mt.minSeq, mt.maxSeq])
  checkScans(reopened, model)
  checkGets(reopened, model, g, 200)
  checkSeeks(reopened, model, g, 100)
  return mt
}

describe('memtable against a sorted-array model', () => {
  it('tiny alphabet: many versions of few keys', () => {
    for (const seed of seeds(6)) withSeed(seed, () => runModel(seed, { entries: 3000, alphabet: 2, maxKeyLen: 3 }))
  })

  it('keys sharing a long prefix (as zero-padded decimal keys do), compared a word at a time', () => {
    // 9 or 10 shared bytes: the 4-byte link prefixes always tie, whole words agree, and the first
    // difference falls at every position within a word; lengths vary so one key is often a prefix of another.
    for (const seed of seeds(4)) {
      withSeed(seed, () => runModel(seed, { entries: 4000, alphabet: 3, maxKeyLen: 9, commonPrefix: 9 + (seed % 2) }))
    }
  })

  it('keys that stop sharing the prefix after many entries, and searches for keys that never shared it', () => {
    // The list takes its link prefixes after the bytes all its keys share; a stray key shrinks
    // that and every prefix is written again, and a search key that shares less searches without them.
    for (const seed of seeds(4)) {
      withSeed(seed, () => runModel(seed, { entries: 4000, alphabet: 3, maxKeyLen: 9, commonPrefix: 10, stray: 1 / 500 }))
    }
  })

  it('wider keys, from a 64-byte arena that grows many times', () => {
    for (const seed of seeds(4)) {
      withSeed(seed, () => runModel(seed, { entries: 5000, alphabet: 6, maxKeyLen: 12, arena: 64 }))
    }
  })

  it('a shared arena grows as SharedArrayBuffers; frozen, it reopens over the same bytes', () => {
    for (const seed of seeds(3)) {
      withSeed(seed, () => {
        const mt = runModel(seed, { entries: 3000, alphabet: 4, maxKeyLen: 8, arena: 64, shared: true })
        const frozen = mt.freeze()
        expect(frozen.buffer).toBeInstanceOf(SharedArrayBuffer)
        expect(mt.arenaCapacity).toBeGreaterThan(64)
        // A reopened memtable only reads.
        expect(() => Memtable.open(frozen).add(new Uint8Array([1]), 1e6, 1, new Uint8Array(0))).toThrow(/frozen/)
      })
    }
  })

  it('an empty memtable freezes and reopens empty', () => {
    const reopened = Memtable.open(new Memtable({ shared: true }).freeze())
    const it = reopened.iterator()
    it.first()
    expect(it.valid()).toBe(false)
    it.last()
    expect(it.valid()).toBe(false)
    expect(reopened.count).toBe(0)
  })

  it('iterators created before further adds (and arena growth) stay correct', () => {
    for (const seed of seeds(6)) {
      withSeed(seed, () => {
        const g = new Generator(seed, 4000, 3, 4)
        const mt = new Memtable({ initialArenaSize: 128, rng: seededRng(seed) })
        const model: Entry[] = []
        for (let n = 0; n < 50; n++) {
          const e = g.entry()
          mt.add(e.key, e.seq, e.kind, e.value)
          insertSorted(model, e)
        }
        // Iterators hold a position (an entry); the model tracks it by identity across adds.
        const its: { it: InternalIterator; at: Entry | undefined }[] = []
        for (let k = 0; k < 6; k++) {
          const it = mt.iterator()
          if (k === 0) it.first()
          else if (k === 1) it.last()
          else it.seekGE(model[g.int(model.length)].key)
          its.push({ it, at: it.valid() ? model.find(e => e.seq === it.seq()) : undefined })
        }
        for (let round = 0; round < 60; round++) {
          const adds = 1 + g.int(60)
          for (let n = 0; n < adds; n++) {
            const e = g.entry()
            mt.add(e.key, e.seq, e.kind, e.value)
            insertSorted(model, e)
          }
          for (const slot of its) {
            if (slot.at === undefined) {
              slot.it.seekGE(g.key(), g.readSeq())
              slot.at = slot.it.valid() ? model.find(e => e.seq === slot.it.seq()) : undefined
              continue
            }
            let i = model.indexOf(slot.at)
            expectAt(slot.it, model, i, `round ${round}: still on its entry`)
            const moves = 1 + g.int(4)
            for (let m = 0; m < moves && slot.it.valid(); m++) {
              if (g.int(2) === 0) {
                slot.it.next()
                i++
              } else {
                slot.it.prev()
                i--
              }
              expectAt(slot.it, model, i, `round ${round}: after move ${m}`)
            }
            slot.at = model[i]
          }
        }
        mt.checkInvariants()
        checkScans(mt, model)
      })
    }
  })

  it('adds in ascending order (the append fast path) and descending order', () => {
    for (const seed of seeds(3)) {
      withSeed(seed, () => {
        for (const dir of [1, -1]) {
          const mt = new Memtable({ initialArenaSize: 256, rng: seededRng(seed) })
          const model: Entry[] = []
          const n = 2000
          for (let j = 0; j < n; j++) {
            const i = dir === 1 ? j : n - 1 - j
            const key = new TextEncoder().encode(`key${String(Math.floor(i / 3)).padStart(5, '0')}`)
            // Three versions per key: within a key, ascending internal order means descending seq.
            const seq = dir === 1 ? 10_000 - j : j + 1
            const e = { key, seq, kind: 1, value: new Uint8Array([i & 0xff]) }
            mt.add(e.key, e.seq, e.kind, e.value)
            model.push(e)
          }
          model.sort(compareEntries)
          mt.checkInvariants()
          checkScans(mt, model)
          checkSeeks(mt, model, new Generator(seed, 1, 3, 4), 200)
        }
      })
    }
  })
})
