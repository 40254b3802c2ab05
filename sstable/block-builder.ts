// Builds one block (data or index) of prefix-compressed entries followed by its restart array.
//
//   block   := entry* restart* numRestarts
//   entry   := shared varint | unshared varint | valueLength varint | key[shared:] | value
//   restart := u32 LE offset of an entry whose shared = 0
//   numRestarts := u32 LE (>= 1; an empty block holds one restart, offset 0)
//
// `key` is the internal key (user key || 8-byte trailer of base/internal-key.ts); `shared` is
// the length of the prefix it has in common with the previous entry's key. Every
// `restartInterval`-th entry stores its whole key, so a reader can binary-search the restarts
// and decode forward from one without the entries before it (LevelDB's block format); so does
// the first entry `restartBytes` or more past the last restart, when that comes sooner.

import { assert, assertionsEnabled } from '../base/assert.js'
import { giveBytes, takeBytes } from '../base/mapped-buffer.js'
import { TRAILER_SIZE, compareInternal, decodeInternalKey, writeTrailer } from '../base/internal-key.js'
import { varintLength, writeVarint } from '../base/varint.js'

export class BlockBuilder {
  private buf: Uint8Array
  private size = 0
  /** Restart offsets restarts[0, restartCount): reused from block to block (a new array per block was garbage per block). */
  private restarts = new Int32Array(64)
  private restartCount = 1
  private sinceRestart = 0
  private count = 0
  private lastKey = new Uint8Array(64)
  private lastKeyLength = 0
  private scratch = new Uint8Array(64)

  /** requires: restartInterval >= 1. */
  constructor(private readonly restartInterval: number, initialCapacity = 4096, private readonly restartBytes = Infinity) {
    assert(restartInterval >= 1, 'restartInterval >= 1')
    this.buf = takeBytes(Math.max(64, initialCapacity))
  }

  get entryCount(): number {
    return this.count
  }

  get isEmpty(): boolean {
    return this.count === 0
  }

  /** Size of the block if finished now. */
  get estimatedSize(): number {
    return this.size + 4 * this.restartCount + 4
  }

  /**
   * Appends an entry. requires: (userKey, seq, kind) sorts after the previous entry; the
   * caller (TableBuilder) checks it.
   */
  add(userKey: Uint8Array, seq: number, kind: number, value: Uint8Array): void {
    const keyLength = userKey.length + TRAILER_SIZE
    if (this.scratch.length < keyLength) this.scratch = new Uint8Array(keyLength * 2)
    const key = this.scratch
    key.set(userKey, 0)
    writeTrailer(key, userKey.length, seq, kind)
    if (assertionsEnabled) assert(this.count === 0 || this.compareToLast(key, keyLength) > 0, 'block entries in internal order')

    let shared = 0
    if (this.sinceRestart < this.restartInterval && this.size - this.restarts[this.restartCount - 1] < this.restartBytes) {
      const n = Math.min(keyLength, this.lastKeyLength)
      while (shared < n && key[shared] === this.lastKey[shared]) shared++
    } else {
      if (this.restartCount === this.restarts.length) {
        const grown = new Int32Array(this.restarts.length * 2)
        grown.set(this.restarts)
        this.restarts = grown
      }
      this.restarts[this.restartCount++] = this.size
      this.sinceRestart = 0
    }
    const unshared = keyLength - shared
    const need = varintLength(shared) + varintLength(unshared) + varintLength(value.length) + unshared + value.length
    this.reserve(need)
    let at = writeVarint(this.buf, this.size, shared)
    at = writeVarint(this.buf, at, unshared)
    at = writeVarint(this.buf, at, value.length)
    // A loop for the short deltas of most keys: subarray().set() allocates a view per entry.
    if (unshared <= 32) for (let i = 0; i < unshared; i++) this.buf[at + i] = key[shared + i]
    else this.buf.set(key.subarray(shared, keyLength), at)
    this.buf.set(value, at + unshared)
    this.size = at + unshared + value.length

    // The new key becomes the last key by swapping buffers: no copy.
    this.scratch = this.lastKey
    this.lastKey = key
    this.lastKeyLength = keyLength
    this.sinceRestart++
    this.count++
  }

  /** The last key added, as an internal key. Valid until the next add() or finish(). */
  lastInternalKey(): Uint8Array {
    return this.lastKey.subarray(0, this.lastKeyLength)
  }

  /** Appends the restart array and returns the block. Valid until the next add(). */
  finish(): Uint8Array {
    this.reserve(4 * this.restartCount + 4)
    let at = this.size
    for (let i = 0; i < this.restartCount; i++) at = putU32(this.buf, at, this.restarts[i])
    at = putU32(this.buf, at, this.restartCount)
    const out = this.buf.subarray(0, at)
    this.clear()
    return out
  }

  /** Empties the builder for the next block; its buffer stays. */
  private clear(): void {
    this.size = 0
    this.restarts[0] = 0
    this.restartCount = 1
    this.sinceRestart = 0
    this.count = 0
    this.lastKeyLength = 0
  }

  private reserve(n: number): void {
    if (this.size + n <= this.buf.length) return
    let cap = this.buf.length * 2
    while (cap < this.size + n) cap *= 2
    // An index block outgrows 128 KiB in every table of a few MiB: mapped and pooled bytes
    // (base/mapped-buffer.ts, BYTE_POOL), not malloc's.
    const next = takeBytes(cap)
    next.set(this.buf.subarray(0, this.size))
    giveBytes(this.buf)
    this.buf = next
  }

  /**
   * Gives this builder's buffer back to its thread's pool (base/mapped-buffer.ts) and leaves the
   * builder empty, usable again. requires: nothing reads the block finish() returned any more.
   */
  release(): void {
    giveBytes(this.buf)
    this.buf = new Uint8Array(64)
    this.clear()
  }

  private compareToLast(key: Uint8Array, keyLength: number): number {
    const a = decodeInternalKey(key.subarray(0, keyLength))
    const b = decodeInternalKey(this.lastKey.subarray(0, this.lastKeyLength))
    return compareInternal(a.userKey, a.seq, a.kind, b.userKey, b.seq, b.kind)
  }
}

/** Writes v as a u32 little-endian at buf[at] and returns at + 4. */
function putU32(buf: Uint8Array, at: number, v: number): number {
  buf[at] = v & 255
  buf[at + 1] = (v >>> 8) & 255
  buf[at + 2] = (v >>> 16) & 255
  buf[at + 3] = (v >>> 24) & 255
  return at + 4
}
