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
import { compareInternal, decodeInternalKey } from '../base/internal-key.js'
import { giveBytes } from '../base/mapped-buffer.js'
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
  // Pooled: nothing decoded below points into it (keys are copied, handles decoded), so it goes
  // back once the entries are read (block-read.ts readBlockContents).
  const contents = readBlockContents(file, footer.index, true)
  const block = Block.parse(path, at, contents)
  const it = new BlockIter(path)
  it.reset(block, at)
  const starts: number[] = [0]
  const offsets: number[] = []
  const lengths: number[] = []
  const keyParts: Uint8Array[] = []
  let keyBytes = 0
  let expectOffset = HEADER_SIZE
  let prev: Uint8Array | undefined
  for (it.first(); it.valid(); it.next()) {
    const key = it.internalKey().slice()
    if (prev !== undefined && compareIndexKeys(prev, key) >= 0) {
      throw new CorruptionError(path, at, `index keys out of order at entry ${offsets.length}`)
    }
    const h = decodeHandle(it.value())
    if (h === undefined) throw new CorruptionError(path, at, `bad block handle in index entry ${offsets.length}`)
    if (h.offset !== expectOffset) {
      throw new CorruptionError(path, at, `index entry ${offsets.length} points at ${h.offset}, want ${expectOffset}`)
    }
    expectOffset = h.offset + h.length + BLOCK_TRAILER_SIZE
    keyParts.push(key)
    keyBytes += key.length
    starts.push(keyBytes)
    offsets.push(h.offset)
    lengths.push(h.length)
    prev = key
  }
  const metaStart = Math.min(
    footer.index.offset,
    footer.properties.offset,
    footer.filter.length === 0 ? Infinity : footer.filter.offset,
  )
  if (offsets.length > 0) checkHandle(path, { offset: offsets[offsets.length - 1], length: lengths[lengths.length - 1] }, metaStart, 'last data block')
  if (expectOffset !== metaStart) {
    throw new CorruptionError(path, at, `data blocks end at ${expectOffset} but meta blocks begin at ${metaStart}`)
  }
  if (offsets.length !== props.dataBlockCount) {
    throw new CorruptionError(path, at, `index has ${offsets.length} blocks, properties say ${props.dataBlockCount}`)
  }
  if ((props.entryCount === 0) !== (offsets.length === 0)) {
    throw new CorruptionError(path, at, `${props.entryCount} entries in ${offsets.length} blocks`)
  }
  giveBytes(contents)
  const keys = new Uint8Array(keyBytes)
  for (let i = 0; i < keyParts.length; i++) keys.set(keyParts[i], starts[i])
  // One offset more than blocks: where the last one's trailer ends (block lengths follow from it).
  offsets.push(expectOffset)
  return { keys, keyStart: Uint32Array.from(starts), offsets: Float64Array.from(offsets) }
}

function compareIndexKeys(a: Uint8Array, b: Uint8Array): number {
  const x = decodeInternalKey(a)
  const y = decodeInternalKey(b)
  return compareInternal(x.userKey, x.seq, x.kind, y.userKey, y.seq, y.kind)
}
