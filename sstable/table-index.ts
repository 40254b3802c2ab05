// The pinned index of an open table: decoded once at open from the index block into packed
// arrays (separator keys and block offsets; a block's length is the distance to the next offset),
// and the search for the block that can hold a key.
//
// The search runs on every point lookup and seek, so it avoids comparing key bytes where it can.
// The index keys of a table often share a long prefix (decimal keys share their leading zeros),
// which a bytewise compare walks again at every step of a binary search. So the index also keeps
// the prefix common to its user keys, and per key a `word`: the 6 user-key bytes after that
// prefix as a big-endian number (exact in a double), zero past the key's end. A search checks
// the target against the prefix once, then compares words; only equal words (rare) compare the
// full keys. Words order like the keys they come from: where two words differ, either both keys
// have a byte there (and the smaller byte wins) or the shorter key ended, and a key that is a
// prefix of another sorts first; zero padding can only make words equal, never reverse them.

import { CorruptionError } from '../base/errors.js'
import type { ReadableFile } from '../base/fs.js'
import { compareInternal } from '../base/internal-key.js'
import { Block, BlockIter, compareKeyAt } from './block-iter.js'
import { readBlockContents } from './block-read.js'
import { BLOCK_TRAILER_SIZE, HEADER_SIZE, type Footer, type TableProperties, checkHandle, decodeHandle } from './format.js'

/** Bytes per word: 6 make a number below 2^48, exact in a double. */
const WORD_BYTES = 6

export class TableIndex {
  /** User-key bytes every index key but the last starts with (a view of the first key). */
  private readonly prefix: Uint8Array
  /** The word of each index key but the last. */
  private readonly words: Float64Array

  /**
   * requires: keys[keyStart[i], keyStart[i + 1]) is index key i of `count` (an internal key,
   * >= 8 bytes), keys strictly increasing.
   */
  constructor(
    private readonly keys: Uint8Array,
    private readonly keyStart: Uint32Array,
    readonly count: number,
  ) {
    // The last key is left out of the prefix and the words: the table builder shortens it to a
    // successor of the last user key ("k0…9" becomes "l"), which would leave no common prefix.
    const m = Math.max(0, count - 1)
    let p = 0
    if (m > 0) {
      // Sorted keys: the prefix common to all of them is the one the first and the last share.
      const first = keyStart[0]
      const last = keyStart[m - 1]
      const most = Math.min(this.userKeyLength(0), this.userKeyLength(m - 1))
      while (p < most && keys[first + p] === keys[last + p]) p++
    }
    this.prefix = keys.subarray(0, p)
    this.words = new Float64Array(m)
    for (let i = 0; i < m; i++) this.words[i] = wordAt(keys, keyStart[i] + p, this.userKeyLength(i) - p)
  }

  /** The first block whose index key is at or after (userKey, trailer); count if none. */
  find(userKey: Uint8Array, trailer: number): number {
    const words = this.words
    const m = words.length
    const lo = this.findAmongWords(userKey, trailer)
    if (lo < m || this.count === 0) return lo
    // After every key but the last: the last decides.
    return this.compareKey(m, userKey, trailer) < 0 ? m + 1 : m
  }

  /** find() over the keys that have words: their first at or after the target, or m. */
  private findAmongWords(userKey: Uint8Array, trailer: number): number {
    const prefix = this.prefix
    const words = this.words
    const p = prefix.length
    const common = p < userKey.length ? p : userKey.length
    for (let i = 0; i < common; i++) {
      if (userKey[i] !== prefix[i]) return userKey[i] < prefix[i] ? 0 : words.length
    }
    // Shorter than the prefix and a prefix of it: before every key that has the prefix.
    if (userKey.length < p) return 0
    const target = wordAt(userKey, p, userKey.length - p)
    let lo = 0
    let hi = words.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const w = words[mid]
      if (w !== target ? w < target : this.compareKey(mid, userKey, trailer) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Index key i compared with (userKey, trailer). */
  private compareKey(i: number, userKey: Uint8Array, trailer: number): number {
    const at = this.keyStart[i]
    return compareKeyAt(this.keys, at, this.keyStart[i + 1] - at, userKey, trailer)
  }

  private userKeyLength(i: number): number {
    return this.keyStart[i + 1] - this.keyStart[i] - 8
  }
}

/** Bytes buf[at, at + min(length, WORD_BYTES)) as a big-endian number, zero-padded past `length`. */
function wordAt(buf: Uint8Array, at: number, length: number): number {
  let w = 0
  for (let i = 0; i < WORD_BYTES; i++) w = w * 256 + (i < length ? buf[at + i] : 0)
  return w
}

/**
 * Decodes the index block, checking that its keys increase and that its handles tile the data
 * region exactly: block 0 right after the header, each block right after the previous one's
 * trailer, the last one ending where the first meta block begins.
 */
export function decodeIndex(
  file: ReadableFile,
  footer: Footer,
  props: TableProperties,
): { keys: Uint8Array; keyStart: Uint32Array; offsets: Float64Array } {
  const path = file.path
  const at = footer.index.offset
  // A view into the thread's scratch buffer when it can be: nothing decoded below points into it
  // (keys are copied, handles decoded) and nothing below reads another block.
  const contents = readBlockContents(file, footer.index, true)
  const block = Block.parse(path, at, contents)
  const it = new BlockIter(path)
  it.reset(block, at)
  // Typed arrays filled in place, not a slice and three array slots per entry: those lived to the
  // end of the decode, so a worker's V8 promoted them and they sat in its old space until a full
  // collection (with 2 KiB blocks, 35 MiB at the end of a compactRange of 1M x 100 B).
  const count = props.dataBlockCount
  // Checked before it sizes anything: every data block and its trailer lie before the index.
  if (!Number.isSafeInteger(count) || count < 0 || count * BLOCK_TRAILER_SIZE > at) {
    throw new CorruptionError(path, at, `properties say ${count} data blocks, more than fit before the index`)
  }
  const starts = new Uint32Array(count + 1)
  // One offset more than blocks: where the last one's trailer ends (block lengths follow from it).
  const offsets = new Float64Array(count + 1)
  // Sized exactly by a first pass over the keys (their lengths only): an array grown by doubling
  // and sliced at the end made ~3x the index's bytes of garbage per open, and the compaction
  // worker opens every table it reads and writes (its V8 lets ~64 MiB of dead arrays pile up
  // between collections, all of it resident).
  let total = 0
  let seen = 0
  for (it.first(); it.valid() && seen <= count; it.next(), seen++) total += it.internalKey().length
  // The pass below decodes the same keys (and throws past `count` of them), so they fit.
  const keys = new Uint8Array(total)
  let n = 0
  let keyBytes = 0
  let lastLength = 0
  let prevSeq = 0
  let prevKind = 0
  let expectOffset = HEADER_SIZE
  for (it.first(); it.valid(); it.next()) {
    if (n === count) throw new CorruptionError(path, at, `index has more than the ${count} blocks the properties say`)
    const key = it.internalKey()
    if (key.length < 8) throw new CorruptionError(path, at, `index entry ${n} has a key of ${key.length} bytes`)
    const user = it.userKey()
    const seq = it.seq()
    const kind = it.kind()
    if (n > 0 && compareInternal(keys.subarray(starts[n - 1], keyBytes - 8), prevSeq, prevKind, user, seq, kind) >= 0) {
      throw new CorruptionError(path, at, `index keys out of order at entry ${n}`)
    }
    const h = decodeHandle(it.value())
    if (h === undefined) throw new CorruptionError(path, at, `bad block handle in index entry ${n}`)
    if (h.offset !== expectOffset) {
      throw new CorruptionError(path, at, `index entry ${n} points at ${h.offset}, want ${expectOffset}`)
    }
    expectOffset = h.offset + h.length + BLOCK_TRAILER_SIZE
    keys.set(key, keyBytes)
    starts[n] = keyBytes
    keyBytes += key.length
    offsets[n] = h.offset
    lastLength = h.length
    prevSeq = seq
    prevKind = kind
    n++
  }
  starts[n] = keyBytes
  const metaStart = Math.min(
    footer.index.offset,
    footer.properties.offset,
    footer.filter.length === 0 ? Infinity : footer.filter.offset,
  )
  if (n > 0) checkHandle(path, { offset: offsets[n - 1], length: lastLength }, metaStart, 'last data block')
  if (expectOffset !== metaStart) {
    throw new CorruptionError(path, at, `data blocks end at ${expectOffset} but meta blocks begin at ${metaStart}`)
  }
  if (n !== count) {
    throw new CorruptionError(path, at, `index has ${n} blocks, properties say ${count}`)
  }
  if ((props.entryCount === 0) !== (n === 0)) {
    throw new CorruptionError(path, at, `${props.entryCount} entries in ${n} blocks`)
  }
  offsets[n] = expectOffset
  // Exact size (the first pass): the index is pinned for the table's life and counted in the
  // memory budget.
  return { keys, keyStart: starts, offsets }
}

