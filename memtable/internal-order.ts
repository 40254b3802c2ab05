// internalOrder(): the permutation that puts a batch of entries (EntryColumns) into the order a
// memtable holds them in, for Memtable.addColumns, which recovery uses to replay a WAL without a
// skiplist search per entry: user key ascending bytewise, then seq descending, then kind
// descending (the trailer seq * 256 + kind, descending), then the later entry of the batch first.
// The last rule only matters for an entry repeated exactly (value-log GC relocates an entry under
// its own sequence number): add() puts a repeat before the entries equal to it, so the later one
// is what a lookup finds, and this order gives the same list as add() in arrival order.
//
// An LSD radix sort over the keys' first 18 bytes (nine 16-bit digits, zero-padded; a digit that
// is the same in every key, as zero-padded decimal keys share their leading bytes, costs one
// counting pass and no move), then a comparison sort of each run that ties on all 18 bytes (longer
// keys with a shared prefix, or versions of one key). The digits are read once into a flat array,
// so the passes never touch the keys' bytes again. 400,000 16-byte keys: ~25 ms, against ~180 ms
// for Array.prototype.sort with Buffer.compare.
// Pure: reads its input, returns a new array.

import { type EntryColumns, SPAN } from './entry-columns.js'

const DIGITS = 9
const RADIX = 65536

/** The order of the entries of `c` (see the top of this file). */
export function internalOrder(c: EntryColumns): Uint32Array {
  const count = c.count
  let order = new Uint32Array(count)
  for (let i = 0; i < count; i++) order[i] = i
  if (count < 2) return order
  const { src, spans } = c
  let spare = new Uint32Array(count)
  // Digit-major (digit d of entry e at d * count + e): a pass reads one column of 2 bytes per
  // entry, small enough to stay in cache while the pass reads it in random order.
  const digits = new Uint16Array(count * DIGITS)
  for (let i = 0; i < count; i++) {
    const s = spans[i * SPAN]
    const n = spans[i * SPAN + 1]
    if (n >= DIGITS * 2) {
      for (let d = 0; d < DIGITS; d++) digits[d * count + i] = (src[s + 2 * d] << 8) | src[s + 2 * d + 1]
    } else {
      for (let d = 0; d < DIGITS; d++) {
        digits[d * count + i] = ((2 * d < n ? src[s + 2 * d] : 0) << 8) | (2 * d + 1 < n ? src[s + 2 * d + 1] : 0)
      }
    }
  }
  const counts = new Uint32Array(RADIX)
  // Least significant digit first: bytes 16-17, then 14-15, ..., then 0-1. Each pass is stable, so
  // entries that tie on all digits stay in arrival order.
  for (let d = DIGITS - 1; d >= 0; d--) {
    const column = d * count
    counts.fill(0)
    for (let i = 0; i < count; i++) counts[digits[column + i]]++
    if (counts[digits[column]] === count) continue // every key has this digit: the order stands
    let sum = 0
    for (let v = 0; v < RADIX; v++) {
      const k = counts[v]
      counts[v] = sum
      sum += k
    }
    for (let i = 0; i < count; i++) {
      const e = order[i]
      spare[counts[digits[column + e]]++] = e
    }
    const t = order
    order = spare
    spare = t
  }
  // Runs that tie on the 18 bytes' digits: ordered by the whole key, then by the rest of the rule.
  const trailers = c.trailers
  const compare = (a: number, b: number): number =>
    compareKeys(src, spans[a * SPAN], spans[a * SPAN + 1], spans[b * SPAN], spans[b * SPAN + 1]) || trailers[b] - trailers[a] || b - a
  for (let start = 0; start < count;) {
    const first = order[start]
    let end = start + 1
    while (end < count && sameDigits(digits, count, first, order[end])) end++
    if (end - start > 1) {
      const run = Array.from(order.subarray(start, end)).sort(compare)
      order.set(run, start)
    }
    start = end
  }
  return order
}

/** Whether entries a and b have the same nine digits (laid out digit-major, `count` a column). */
function sameDigits(digits: Uint16Array, count: number, a: number, b: number): boolean {
  for (let d = 0; d < DIGITS; d++) if (digits[d * count + a] !== digits[d * count + b]) return false
  return true
}

/** Bytewise order of src[a, a + an) against src[b, b + bn). */
function compareKeys(src: Uint8Array, a: number, an: number, b: number, bn: number): number {
  const n = an < bn ? an : bn
  for (let i = 0; i < n; i++) {
    const d = src[a + i] - src[b + i]
    if (d !== 0) return d
  }
  return an - bn
}
