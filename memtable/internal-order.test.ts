// internalOrder() against a plain comparison sort, on keys that stress the radix sort's edges:
// short and empty-padded keys, keys longer than its 18 bytes that tie on them, shared leading
// bytes, several versions of one key, the same seq under two kinds, and exact repeats. Then a
// model test of Memtable.addColumns (the bulk build recovery uses) against add() of each entry in
// arrival order: the same iteration both ways, the same lookups at many read sequences, the same
// seeks, counts and seq bounds, also after freeze() and Memtable.open(). Each failure names its
// seed; rerun one with MEMTABLE_SEED=<seed>.

import { describe, expect, it } from 'vitest'
import { compareBytes, MAX_SEQ } from '../base/internal-key.js'
import { mulberry32 } from '../base/random.js'
import { EntryColumns } from './entry-columns.js'
import { Memtable } from './memtable.js'
import { internalOrder } from './internal-order.js'

interface Entry { key: Uint8Array; seq: number; kind: number; value: Uint8Array }

function randomEntries(seed: number, count: number): Entry[] {
  const rng = mulberry32(seed)
  const int = (n: number): number => Math.floor(rng() * n)
  const pool: Uint8Array[] = []
  const out: Entry[] = []
  // Distinct seqs in random order (some near MAX_SEQ), so seq order is not arrival order.
  const seqs = Array.from({ length: count }, (_, i) => (i % 5 === 0 ? MAX_SEQ - i : i + 1))
  for (let i = seqs.length - 1; i > 0; i--) {
    const j = int(i + 1)
    ;[seqs[i], seqs[j]] = [seqs[j], seqs[i]]
  }
  for (let i = 0; i < count; i++) {
    let key: Uint8Array
    if (pool.length > 0 && rng() < 0.3) {
      key = pool[int(pool.length)] // another version of a key
    } else {
      const len = int(26)
      key = new Uint8Array(len)
      const shared = rng() < 0.5 ? Math.min(len, 18) : 0 // a common 18-byte prefix, or none
      for (let j = 0; j < len; j++) key[j] = j < shared ? 0x30 : rng() < 0.3 ? 0 : int(256)
      pool.push(key)
    }
    const value = new Uint8Array(int(4) === 0 ? int(200) : int(12))
    for (let j = 0; j < value.length; j++) value[j] = int(256)
    out.push({ key, seq: seqs[i], kind: int(5), value })
  }
  return out
}

/** The entries as columns over one buffer, with junk between the pieces (offsets must be honoured). */
function columns(entries: Entry[], seed: number): EntryColumns {
  const rng = mulberry32(seed)
  const parts: number[] = []
  const where: { k: number; v: number }[] = []
  const put = (b: Uint8Array): number => {
    const gap = Math.floor(rng() * 3)
    for (let i = 0; i < gap; i++) parts.push(0xee)
    const at = parts.length
    for (const x of b) parts.push(x)
    return at
  }
  for (const e of entries) where.push({ k: put(e.key), v: put(e.value) })
  const src = Uint8Array.from(parts)
  const c = new EntryColumns(4) // small, so push() grows it
  c.reset(src)
  entries.forEach((e, i) => c.push(e.seq, e.kind, where[i].k, where[i].k + e.key.length, where[i].v, where[i].v + e.value.length))
  return c
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

function dump(m: Memtable): string[] {
  const out: string[] = []
  const it = m.iterator()
  for (it.first(); it.valid(); it.next()) out.push(`${hex(it.userKey())}:${it.seq()}:${it.kind()}:${hex(it.value())}`)
  return out
}

function dumpBackwards(m: Memtable): string[] {
  const out: string[] = []
  const it = m.iterator()
  for (it.last(); it.valid(); it.prev()) out.push(`${hex(it.userKey())}:${it.seq()}:${it.kind()}:${hex(it.value())}`)
  return out
}

function seeds(n: number): number[] {
  if (process.env.MEMTABLE_SEED) return [Number(process.env.MEMTABLE_SEED)]
  return [...Array.from({ length: n - 1 }, (_, i) => i + 1), Date.now() % 1_000_000_007]
}

function withSeed(seed: number, fn: () => void): void {
  try {
    fn()
  } catch (err) {
    if (err instanceof Error) err.message = `[MEMTABLE_SEED=${seed}] ${err.message}`
    throw err
  }
}

/** Memtables as recovery builds them: a key filter (so get() goes through it), unshared arena. */
const options = (seed: number) => ({ rng: mulberry32(seed), keyFilterBits: 4096, initialArenaSize: 4096 })

/** Every answer a reader can get from `m`, for entries drawn from `entries`. */
function answers(m: Memtable, entries: Entry[], seed: number): string[] {
  const rng = mulberry32(seed ^ 0x5bd1e995)
  const out: string[] = []
  const probes = entries.map((e) => e.key)
  probes.push(new Uint8Array(0), Uint8Array.of(0xff, 0xff), Uint8Array.of(0x30, 0x30, 0x31))
  const readSeqs = [0, 1, MAX_SEQ, ...entries.slice(0, 20).flatMap((e) => [e.seq, e.seq - 1])]
  for (const key of probes) {
    for (const q of [readSeqs[Math.floor(rng() * readSeqs.length)], MAX_SEQ, 0]) {
      const r = m.get(key, q)
      out.push(`get ${hex(key)}@${q}: ${r === undefined ? '-' : `${r.seq}/${r.kind}=${hex(r.value)}`}`)
    }
    const it = m.iterator()
    it.seekGE(key, readSeqs[Math.floor(rng() * readSeqs.length)])
    out.push(`seekGE ${hex(key)}: ${it.valid() ? `${hex(it.userKey())}:${it.seq()}` : '-'}`)
    it.seekLT(key)
    out.push(`seekLT ${hex(key)}: ${it.valid() ? `${hex(it.userKey())}:${it.seq()}` : '-'}`)
  }
  out.push(`count ${m.count} seqs ${m.minSeq}..${m.maxSeq}`)
  return out
}

describe('internalOrder', () => {
  it('orders entries by (key ascending, seq descending, kind descending, later first), as a comparison sort does', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const entries = randomEntries(seed, 1 + seed * 37)
      // Repeats: the same seq under another kind, and an exact repeat of an entry.
      if (entries.length > 4) {
        entries.push({ ...entries[1], kind: (entries[1].kind + 1) % 5 })
        entries.push({ ...entries[2] })
      }
      const expected = entries.map((_, i) => i).sort((a, b) => compareBytes(entries[a].key, entries[b].key) ||
        entries[b].seq - entries[a].seq || entries[b].kind - entries[a].kind || b - a)
      expect(Array.from(internalOrder(columns(entries, seed))), `seed ${seed}`).toEqual(expected)
    }
  })
})

describe('Memtable.addColumns', () => {
  it('builds the memtable add() builds from the same entries in arrival order', () => {
    for (const seed of seeds(25)) {
      withSeed(seed, () => {
        const entries = randomEntries(seed, 1 + (seed % 13) * 150)
        const one = new Memtable(options(seed))
        for (const e of entries) one.add(e.key, e.seq, e.kind, e.value)
        const bulk = new Memtable(options(seed + 1))
        bulk.addColumns(columns(entries, seed))
        bulk.checkInvariants()
        expect(dump(bulk)).toEqual(dump(one))
        expect(dumpBackwards(bulk)).toEqual(dumpBackwards(one))
        expect(answers(bulk, entries, seed)).toEqual(answers(one, entries, seed))
        // The flush worker reads a frozen memtable over its arena's bytes: the same list there.
        const reopened = Memtable.open(bulk.freeze())
        expect(dump(reopened)).toEqual(dump(one))
        expect(answers(reopened, entries, seed)).toEqual(answers(one, entries, seed))
      })
    }
  })

  it('adds to a memtable that already holds entries, and takes more adds after a bulk build', () => {
    for (const seed of seeds(10)) {
      withSeed(seed, () => {
        const entries = randomEntries(seed, 600)
        const [a, b, c] = [entries.slice(0, 200), entries.slice(200, 400), entries.slice(400)]
        const one = new Memtable(options(seed))
        for (const e of entries) one.add(e.key, e.seq, e.kind, e.value)
        const mixed = new Memtable(options(seed + 1))
        mixed.addColumns(columns(a, seed)) // empty: the bulk build
        mixed.addColumns(columns(b, seed + 2)) // not empty: one at a time
        for (const e of c) mixed.add(e.key, e.seq, e.kind, e.value) // the write path after a replay
        mixed.checkInvariants()
        expect(dump(mixed)).toEqual(dump(one))
        expect(dumpBackwards(mixed)).toEqual(dumpBackwards(one))
        expect(answers(mixed, entries, seed)).toEqual(answers(one, entries, seed))
      })
    }
  })

  it('counts the bytes add() would for the same towers, grows the arena, and ignores an empty batch', () => {
    const entries = randomEntries(7, 3000)
    const bulk = new Memtable({ rng: () => 0.9, initialArenaSize: 64 }) // every tower one level: sizes are fixed
    bulk.addColumns(new EntryColumns())
    expect(bulk.count).toBe(0)
    bulk.addColumns(columns(entries, 7))
    const one = new Memtable({ rng: () => 0.9, initialArenaSize: 64 })
    for (const e of entries) one.add(e.key, e.seq, e.kind, e.value)
    expect(bulk.byteSize).toBe(one.byteSize)
    expect(bulk.count).toBe(entries.length)
    expect(dump(bulk)).toEqual(dump(one))
  })
})
