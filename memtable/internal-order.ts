// internalOrder(): the permutation that puts a batch of entries (EntryColumns) into the order a
// memtable holds them in, for Memtable.addColumns, which recovery uses to replay a WAL without a
// skiplist search per entry: user key ascending bytewise, then seq descending, then kind
// descending (the trailer seq * 256 + kind, descending), then the later entry of the batch first.
// The last rule only matters for an entry repeated exactly (value-log GC relocates an entry under
// its own sequence number): add() puts a repeat before the entries equal to it, so the later one
// is what a lookup finds, and this order gives the same list as add() in arrival order.
//
// An LSD radix sort over 16-bit digits of the keys' first 18 bytes (zero-padded), only as many
// digits as it takes to tell nearly all keys apart (a digit that is the same in every key, as
// zero-padded decimal keys share their leading bytes, is skipped; random keys need two), then a
// comparison sort of each run that ties on those digits (longer keys with a shared prefix, or
// versions of one key). The digits are read once into a flat array, so the passes never touch
// the keys' bytes again. 400,000 16-byte keys: ~25 ms, against ~180 ms for Array.prototype.sort
// with Buffer.compare.
// Pure: reads its input, returns a new array.

import { type EntryColumns, SPAN } from './entry-columns.js'

const DIGITS = 9
const RADIX = 65536
/** Sort by digits until they could tell apart this many times the entries (few ties remain). */
const TIE_FACTOR = 256

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
  // The digits to sort by: from the most significant one that varies, until the product of the
  // numbers of distinct values they take is TIE_FACTOR times the entry count. Random keys need two
  // (32 bits) rather than all nine, zero-padded decimal ones all that vary. Later digits only
  // break ties, which the comparison sort below breaks anyway: few are left.
  const used: number[] = []
  let product = 1
  for (let d = 0; d < DIGITS && product < TIE_FACTOR * count; d++) {
    const column = d * count
    counts.fill(0)
    for (let i = 0; i < count; i++) counts[digits[column + i]]++
    let distinct = 0
    for (let v = 0; v < RADIX; v++) if (counts[v] !== 0) distinct++
    if (distinct === 1) continue // every key has this digit: it orders nothing
    used.push(d)
    product *= distinct
  }
  // Least significant of them first. Each pass is stable, so entries that tie on all of them stay
  // in arrival order.
  for (let u = used.length - 1; u >= 0; u--) {
    const column = used[u] * count
    counts.fill(0)
    for (let i = 0; i < count; i++) counts[digits[column + i]]++
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
  // Runs that tie on the digits sorted by: ordered by the whole key, then by the rest of the rule.
  const trailers = c.trailers
  const compare = (a: number, b: number): number =>
    compareKeys(src, spans[a * SPAN], spans[a * SPAN + 1], spans[b * SPAN], spans[b * SPAN + 1]) || trailers[b] - trailers[a] || b - a
  const columns = Uint32Array.from(used, (d) => d * count)
  for (let start = 0; start < count;) {
    const first = order[start]
    let end = start + 1
    while (end < count && sameDigits(digits, columns, first, order[end])) end++
    if (end - start === 2) {
      if (compare(order[start], order[start + 1]) > 0) {
        const t = order[start]
        order[start] = order[start + 1]
        order[start + 1] = t
      }
    } else if (end - start > 2) {
      const run = Array.from(order.subarray(start, end)).sort(compare)
      order.set(run, start)
    }
    start = end
  }
  return order
}

/** Whether entries a and b have the same digits in the `columns` (offsets of digit columns). */
function sameDigits(digits: Uint16Array, columns: Uint32Array, a: number, b: number): boolean {
  for (let u = 0; u < columns.length; u++) if (digits[columns[u] + a] !== digits[columns[u] + b]) return false
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
