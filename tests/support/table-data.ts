// Seeded random table contents and the sorted-array model the sstable tests and benchmarks
// compare against. Test support only: nothing in the table code imports it.

import type { WritableFile } from '../../base/fs.js'
import { type Rng, makeRng } from './rng.js'
import { Kind, MAX_SEQ, compareInternal } from '../../base/internal-key.js'
import { TableBuilder, type TableProperties, type TableWriterOptions } from '../../sstable/index.js'

export type { Rng }

/** The same seed gives the same sequence. */
export const seededRandom = makeRng

export interface Entry {
  userKey: Uint8Array
  seq: number
  kind: number
  value: Uint8Array
}

export function compareEntries(a: Entry, b: Entry): number {
  return compareInternal(a.userKey, a.seq, a.kind, b.userKey, b.seq, b.kind)
}

/** A random user key: 1-byte, short with shared prefixes, or long (up to 300 bytes). */
export function randomUserKey(rng: Rng): Uint8Array {
  const r = rng()
  if (r < 0.05) return rng.bytes(1)
  if (r < 0.85) {
    const prefix = ['user:', 'user:00', 'order/', 'x'][rng.int(4)]
    return new Uint8Array([...Buffer.from(prefix), ...rng.bytes(1 + rng.int(12))])
  }
  return rng.bytes(20 + rng.int(280))
}

function randomValue(rng: Rng): Uint8Array {
  const r = rng()
  if (r < 0.1) return new Uint8Array(0)
  if (r < 0.15) return rng.bytes(2000 + rng.int(5000)) // larger than small blocks
  const n = 1 + rng.int(120)
  // Half compressible (a repeated byte pattern), half random.
  if (rng.chance(0.5)) return rng.bytes(n)
  const out = new Uint8Array(n)
  const b = rng.int(256)
  for (let i = 0; i < n; i++) out[i] = (b + (i % 7)) & 0xff
  return out
}

/**
 * `keyCount` distinct user keys, each with 1..4 versions (seqs distinct per key, kinds mixed,
 * ~20% tombstones with empty values), sorted in internal order.
 */
export function randomEntries(rng: Rng, keyCount: number): Entry[] {
  const keys = new Map<string, Uint8Array>()
  while (keys.size < keyCount) {
    const k = randomUserKey(rng)
    keys.set(Buffer.from(k).toString('hex'), k)
  }
  const out: Entry[] = []
  for (const userKey of keys.values()) {
    const versions = 1 + (rng.chance(0.3) ? rng.int(4) : 0)
    const seqs = new Set<number>()
    while (seqs.size < versions) seqs.add(1 + rng.int(100_000))
    for (const seq of seqs) {
      const r = rng()
      const kind = r < 0.2 ? Kind.Delete : r < 0.9 ? Kind.Value : Kind.ValuePointer
      out.push({ userKey, seq, kind, value: kind === Kind.Delete ? new Uint8Array(0) : randomValue(rng) })
    }
  }
  return out.sort(compareEntries)
}

export function buildTable(file: WritableFile, entries: readonly Entry[], options?: TableWriterOptions): TableProperties {
  const b = new TableBuilder(file, options)
  for (const e of entries) b.add(e.userKey, e.seq, e.kind, e.value)
  return b.finish()
}

// ---- the model: answers by scanning the sorted array ----

/** Index of the first entry at or after (userKey, seq, 0xff); entries.length if none. */
export function modelSeekGE(entries: readonly Entry[], userKey: Uint8Array, seq: number): number {
  let lo = 0
  let hi = entries.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const e = entries[mid]
    if (compareInternal(e.userKey, e.seq, e.kind, userKey, seq, 0xff) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Index of the last entry whose user key is below `userKey`; -1 if none. */
export function modelSeekLT(entries: readonly Entry[], userKey: Uint8Array): number {
  return modelSeekGE(entries, userKey, MAX_SEQ) - 1
}

export function modelGet(entries: readonly Entry[], userKey: Uint8Array, readSeq: number): Entry | undefined {
  const i = modelSeekGE(entries, userKey, readSeq)
  const e = entries[i]
  return e !== undefined && Buffer.compare(e.userKey, userKey) === 0 ? e : undefined
}

/** What the iterator tests need of an iterator: BlockIter and TableIterator both fit. */
export interface EntryCursor {
  valid(): boolean
  userKey(): Uint8Array
  seq(): number
  kind(): number
  value(): Uint8Array
  next(): void
  prev(): void
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Undefined when `it` sits on entries[i] (or is invalid and i is out of range), else why not. */
export function mismatchAt(it: EntryCursor, entries: readonly Entry[], i: number): string | undefined {
  const want = entries[i]
  if (want === undefined) return it.valid() ? `want exhausted at ${i}, got key ${hexOf(it.userKey())}@${it.seq()}` : undefined
  if (!it.valid()) return `want entry ${i} (${hexOf(want.userKey)}@${want.seq}), got exhausted`
  const got = `${hexOf(it.userKey())}@${it.seq()}#${it.kind()}=${hexOf(it.value())}`
  const exp = `${hexOf(want.userKey)}@${want.seq}#${want.kind}=${hexOf(want.value)}`
  return got === exp ? undefined : `entry ${i}: want ${exp.slice(0, 200)}, got ${got.slice(0, 200)}`
}

/** From entries[i], takes `steps` random next/prev steps checking each; stops when exhausted. */
export function randomWalk(it: EntryCursor, entries: readonly Entry[], i: number, rng: Rng, steps: number): string | undefined {
  let bad = mismatchAt(it, entries, i)
  for (let s = 0; s < steps && bad === undefined && i >= 0 && i < entries.length; s++) {
    if (rng.chance(0.5)) {
      it.next()
      i++
    } else {
      it.prev()
      i--
    }
    bad = mismatchAt(it, entries, i)
  }
  return bad
}
