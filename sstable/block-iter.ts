// Reads one decoded block (format in block-builder.ts): Block checks the restart array once,
// BlockIter walks the entries in both directions.
//
// Every malformed byte (a restart out of range, an entry running past the restart array, a
// prefix longer than the previous key) is a CorruptionError naming the file and the block's
// offset; a block is only decoded after its checksum passed, so these mean a bug or a checksum
// collision, but they must never turn into wrong data.
//
// Reverse iteration: an entry's key can only be rebuilt by decoding forward from a restart, so
// prev() decodes the whole restart interval once into a small cache (offsets and keys) and then
// steps back through it, as Pebble's blockIter does.

import { CorruptionError } from '../base/errors.js'
import { readTrailer, trailerKind, trailerSeq } from '../base/internal-key.js'
import type { Lz4Decoder } from './lz4.js'
import type { Lz4ChunkDecoder } from './lz4-chunks.js'

/** A compressed block being decoded on demand (block-read.ts readBlockLazily). */
type LazyBlock = Lz4Decoder | Lz4ChunkDecoder

/**
 * Memory a decoded block costs beyond its bytes, charged to the block cache with them: the Block,
 * its Uint8Array and ArrayBuffer, V8's backing-store records and malloc's header (~350 bytes on
 * 64-bit Node 20, rounded down). Without it the cache's bytes understate its memory by a third
 * with 1 KiB blocks (and by a tenth with 4 KiB ones): smaller blocks then cost RSS the budget did
 * not see.
 */
export const BLOCK_OVERHEAD = 256

/**
 * What holds a cached block by its key (block-cache.ts's TableSlots), named here by its shape so
 * that this file, which the cache imports, does not import the cache back.
 */
export interface BlockSlots {
  readonly blocks: Array<Block | undefined>
}

/** The trailer that sorts first among all entries of one user key: (MAX_SEQ, 0xff). */
export const SEEK_FIRST_TRAILER = 2 ** 53 - 1

/**
 * A decoded block whose restart array has been checked. Its bytes are immutable while anyone
 * reads them; shared through the cache. The restart array is read in place from `data`
 * (restart(i)), not copied: a block in the cache then costs two JS objects (the block and its
 * bytes' view) rather than four, which matters most with small blocks (tens of thousands of them
 * in a 32 MiB cache).
 *
 * A block the cache owns (Block.owning) is reused whole, object, view and buffer, for a later
 * block once nobody can read it any more (block-cache.ts, takeBlock): random gets over more data
 * than the cache holds admit a block every few misses, and a new block object and view for each
 * lived just long enough to be promoted, then died in the old generation, growing both V8's young
 * generation (to its 32 MiB maximum) and its old one (by ~20 MiB before a full collection):
 * ~40 MiB of resident heap for a 32 MiB cache (bench/RESULTS.md, issue #14).
 */
export class Block {
  /**
   * Set once the block is handed to anyone who may keep a view into it past a point lookup (an
   * iterator, a plain get): the block cache then never reuses its bytes (block-cache.ts).
   */
  escaped = false
  /**
   * Iterators positioned on the block now (TableIterator with recycleBlocks): each keeps views
   * into it only until its next positioning call, so once none is left and the cache has let the
   * block go its buffer can be handed to the next block (block-cache.ts, BlockCache.released).
   */
  pins = 0
  // The block cache's bookkeeping (block-cache.ts), kept here so that a cached block needs no
  // node object of its own: its LRU neighbours, the table slots holding it and its key there.
  prev: Block | null = null
  next: Block | null = null
  owner: BlockSlots | null = null
  key = 0
  /**
   * Among the cache's spares (block-cache.ts, takeBlock): a field rather than a Set of them, whose
   * table V8 reallocated at nearly every add and delete (~3 MB/s of promoted garbage under random
   * gets).
   */
  spare = false
  /** Where the entries end and the restart array begins (set by check). */
  restartsOffset = 0
  /** Entries of the restart array, at least 1 (set by check). */
  restartCount = 0

  private constructor(
    /**
     * The block's bytes, from 0: exactly them (Block.parse), or the whole buffer of a block the
     * cache owns, of which the block is a prefix (its restart array ends at `restartsOffset + 4 *
     * restartCount + 4`).
     */
    readonly data: Uint8Array,
    /** Bytes `data`'s buffer really holds, when that is more than the block's length (a cache-owned buffer). */
    private readonly held: number,
  ) {}

  /**
   * Checks the restart array of `data`; `blockOffset` names the block in errors. `held`: the
   * bytes of the buffer under `data`, when the block owns all of it and it is larger.
   */
  static parse(file: string, blockOffset: number, data: Uint8Array, held = data.byteLength): Block {
    const block = new Block(data, held)
    block.check(file, blockOffset, data.length)
    return block
  }

  /**
   * A block over all of `buffer`, not checked yet: the caller writes a block's bytes at its
   * start and calls reload (block-cache.ts, takeBlock).
   */
  static owning(buffer: ArrayBuffer): Block {
    return new Block(new Uint8Array(buffer), buffer.byteLength)
  }

  /**
   * The block now holds the `length` bytes at the start of `data`: checks them as parse does.
   * requires: a block of Block.owning that nobody reads (not in the cache, not escaped, no pins),
   * with length <= data.length.
   */
  reload(file: string, blockOffset: number, length: number): void {
    this.escaped = false
    this.pins = 0
    this.check(file, blockOffset, length)
  }

  // Runs on every block-cache miss: no closure or DataView per call.
  private check(file: string, blockOffset: number, length: number): void {
    const data = this.data
    // Unusable until the check passes: a block that fails it must not read as a good one.
    this.restartCount = 0
    this.restartsOffset = 0
    if (length < 8) malformed(file, blockOffset, `${length} bytes is too short`)
    const n = readU32(data, length - 4)
    if (n < 1 || n > (length - 4) / 4) malformed(file, blockOffset, `restart count ${n} does not fit`)
    const restartsOffset = length - 4 - 4 * n
    let prev = -1
    for (let i = 0; i < n; i++) {
      const r = readU32(data, restartsOffset + 4 * i)
      if (i === 0 ? r !== 0 : r <= prev || r >= restartsOffset) {
        malformed(file, blockOffset, `restart ${i} at ${r} is out of order or range`)
      }
      prev = r
    }
    this.restartsOffset = restartsOffset
    this.restartCount = n
  }

  /** Restart i's entry offset. requires: 0 <= i < restartCount. */
  restart(i: number): number {
    return readU32(this.data, this.restartsOffset + 4 * i)
  }

  /** Bytes charged to the block cache: what the block's buffer holds, plus BLOCK_OVERHEAD. */
  get charge(): number {
    return this.held + BLOCK_OVERHEAD
  }

  /** Bytes the buffer under `data` holds (the block cache reuses a buffer of exactly these). */
  get bufferBytes(): number {
    return this.held
  }
}

function malformed(file: string, blockOffset: number, what: string): never {
  throw new CorruptionError(file, blockOffset, `malformed block: ${what}`)
}

/** The little-endian u32 at data[at]. */
function readU32(data: Uint8Array, at: number): number {
  return (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)) >>> 0
}

/** Compares internal key `buf[at, at + length)` (user key || trailer) with (user, trailer). */
export function compareKeyAt(buf: Uint8Array, at: number, length: number, user: Uint8Array, trailer: number): number {
  const ulen = length - 8
  const n = ulen < user.length ? ulen : user.length
  for (let i = 0; i < n; i++) {
    const d = buf[at + i] - user[i]
    if (d !== 0) return d
  }
  if (ulen !== user.length) return ulen - user.length
  // Newer (larger trailer) sorts first.
  return trailer - readTrailer(buf, at + ulen)
}

const CACHE_STRIDE = 5 // offset, next, keyStart, keyLength, valueOffset

export class BlockIter {
  private block: Block | undefined
  private data: Uint8Array = new Uint8Array(0)
  private limit = 0
  private blockOffset = 0
  /** Offset of the current entry, -1 when not positioned on one. */
  private cur = -1
  private nextOffset = 0
  private key: Uint8Array = new Uint8Array(64)
  private keyLength = 0
  // userKey() and internalKey() views of `key`, made again only when its length changes or `key`
  // is replaced (grown): a compaction's merge asks every input for its key at every step (one
  // view per call was ~1 GiB of garbage per compactRange of 1M entries). `key` changes in place,
  // so a view handed out reads the current key, as a fresh view of the same buffer would. Which
  // array a view was made of is kept beside it: comparing `.buffer`s was a runtime call per read
  // (V8 does not inline it here), 3-6% of an inline compactRange's CPU.
  private userKeyView: Uint8Array = this.key.subarray(0, 0)
  private userKeyViewOf: Uint8Array = this.key
  private internalKeyView: Uint8Array = this.key.subarray(0, 0)
  private internalKeyViewOf: Uint8Array = this.key
  private valueOffset = 0
  private valueLength = 0
  // The reverse cache: one restart interval's entries, CACHE_STRIDE numbers each.
  private cache: number[] = []
  private cacheKeys: Uint8Array = new Uint8Array(256)
  private cacheCount = 0
  /** Index of the current entry in the cache, -1 when the cache does not hold it. */
  private cachePos = -1
  // readHeader's results (fields, not an object per entry); varEnd is where a varint ended.
  private varEnd = 0
  private hShared = 0
  private hUnshared = 0
  private hValueLength = 0
  // compareEntry's second result: user-key bytes that matched the target.
  private matched = 0
  /** Set only during seekGEDecoding: the decoder of the block being walked. */
  private decoder: LazyBlock | undefined = undefined
  /** seekGEDecoding's walk met what it could not read as an entry (see there). */
  private scanOverrun = false

  constructor(private readonly file: string) {}

  /** Points the iterator at `block` (at `blockOffset` in the file), unpositioned. */
  reset(block: Block, blockOffset: number): void {
    this.block = block
    this.data = block.data
    this.limit = block.restartsOffset
    this.blockOffset = blockOffset
    this.cur = -1
    this.cachePos = -1
    this.cacheCount = 0
  }

  valid(): boolean {
    return this.cur >= 0
  }

  /** A view valid until the next positioning call. */
  userKey(): Uint8Array {
    const v = this.userKeyView
    if (v.length === this.keyLength - 8 && this.userKeyViewOf === this.key) return v
    this.userKeyViewOf = this.key
    return (this.userKeyView = this.key.subarray(0, this.keyLength - 8))
  }

  /** The whole internal key (user key || trailer). Valid until the next positioning call. */
  internalKey(): Uint8Array {
    const v = this.internalKeyView
    if (v.length === this.keyLength && this.internalKeyViewOf === this.key) return v
    this.internalKeyViewOf = this.key
    return (this.internalKeyView = this.key.subarray(0, this.keyLength))
  }

  userKeyEquals(userKey: Uint8Array): boolean {
    const n = this.keyLength - 8
    if (n !== userKey.length) return false
    for (let i = 0; i < n; i++) if (this.key[i] !== userKey[i]) return false
    return true
  }

  seq(): number {
    return trailerSeq(readTrailer(this.key, this.keyLength - 8))
  }

  kind(): number {
    return trailerKind(readTrailer(this.key, this.keyLength - 8))
  }

  /** A view into the block's bytes: never modify it. It keeps the whole block alive. */
  value(): Uint8Array {
    return this.data.subarray(this.valueOffset, this.valueOffset + this.valueLength)
  }

  first(): void {
    this.cachePos = -1
    if (this.limit === 0) return this.invalidate()
    this.keyLength = 0
    this.decodeAt(0)
  }

  last(): void {
    if (this.limit === 0) return this.invalidate()
    this.fillCache(this.block!.restartCount - 1, this.limit, undefined, 0)
    this.positionFromCache(this.cacheCount - 1)
  }

  next(): void {
    if (this.cur < 0) return
    if (this.cachePos >= 0 && this.cachePos + 1 < this.cacheCount) return this.positionFromCache(this.cachePos + 1)
    this.cachePos = -1
    if (this.nextOffset >= this.limit) return this.invalidate()
    this.decodeAt(this.nextOffset)
  }

  prev(): void {
    if (this.cur < 0) return
    if (this.cachePos > 0) return this.positionFromCache(this.cachePos - 1)
    if (this.cur === 0) return this.invalidate()
    const cur = this.cur
    const block = this.block!
    let lo = 0
    let hi = block.restartCount - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (block.restart(mid) < cur) lo = mid
      else hi = mid - 1
    }
    const end = this.fillCache(lo, cur, undefined, 0)
    if (end !== cur || this.cacheCount === 0) this.corrupt(`entries do not lead to offset ${cur}`)
    this.positionFromCache(this.cacheCount - 1)
  }

  /** First entry at or after (userKey, seq) in internal order. */
  seekGE(userKey: Uint8Array, seq: number): void {
    this.cachePos = -1
    if (this.limit === 0) return this.invalidate()
    const trailer = seq * 256 + 0xff
    const r = this.lastRestartBefore(userKey, trailer)
    this.scanFrom(r <= 0 ? 0 : this.block!.restart(r), userKey, trailer)
  }

  /**
   * seekGE in a block still being decoded (a point lookup's block that the cache will not keep:
   * TableReader.get): walks the entries from the block's start (a type 2 block's: from the start
   * of the chunk its key is in, Lz4ChunkDecoder.scanStartFor), decoding only as far as the entry
   * it stops at, so the rest of the block is never decoded. The block's stored bytes were
   * checksummed whole before `decoder` started. Only get()'s accessors (valid, userKeyEquals,
   * seq, kind, value) may follow, and the value is a view into the decoder's output.
   *
   * The restart array is not read: the walk meets its first restart, always offset 0 (four zero
   * bytes, no valid entry), exactly where the entries end. Any entry that does not read as valid
   * (that one, or a malformed block) sends the lookup to the whole-block path, which decodes and
   * checks everything (Block.parse) and seeks as seekGE does, throwing on what is really malformed.
   */
  seekGEDecoding(decoder: LazyBlock, blockOffset: number, userKey: Uint8Array, seq: number): void {
    const base = decoder.outputStart
    const length = decoder.length
    this.block = undefined
    this.data = decoder.output
    this.blockOffset = blockOffset
    this.cur = -1
    this.cachePos = -1
    this.cacheCount = 0
    // At least the restart count follows the entries.
    this.limit = base + length - 4
    this.decoder = decoder
    try {
      if (length >= 8) this.scanFrom(decoder.scanStartFor(userKey, seq * 256 + 0xff), userKey, seq * 256 + 0xff)
    } finally {
      this.decoder = undefined
    }
    if (this.scanOverrun || length < 8) {
      this.scanOverrun = false
      decoder.decodeTo(length)
      this.reset(Block.parse(this.file, blockOffset, decoder.output.subarray(base, base + length)), blockOffset)
      this.seekGE(userKey, seq)
    }
  }

  /**
   * Walks the entries from the one at `p` (a restart) to the first at or after (userKey,
   * trailer), and positions there; invalid when every entry sorts before. While a decoder is set
   * (seekGEDecoding), decodes each entry before reading it, and stops at the first that does not
   * read as an entry, setting scanOverrun instead of throwing.
   */
  private scanFrom(p: number, userKey: Uint8Array, trailer: number): void {
    const d = this.data
    const decoder = this.decoder
    // Keys are copied lazily (a full copy per skipped entry was most of a seek's cost): key[0,
    // prevShared) holds the previous entry's key up to its own shared prefix, and the rest of
    // that key is still in the block at prevDelta.
    let prevLength = 0
    let prevShared = 0
    let prevDelta = 0
    // How many leading bytes the previous entry's user key had in common with userKey: the
    // next entry repeats its first `shared` bytes, so the first min(shared, matched) of its
    // bytes are known to match and are not compared again.
    let matched = 0
    for (;;) {
      if (decoder === undefined) this.readHeader(p)
      else if (!this.decodeEntry(decoder, p)) {
        this.scanOverrun = true
        return this.invalidate()
      }
      const shared = this.hShared
      const keyStart = this.varEnd
      const keyLength = shared + this.hUnshared
      if (shared > prevLength) {
        if (decoder === undefined) this.corrupt(`bad entry at offset ${p}`)
        this.scanOverrun = true
        return this.invalidate()
      }
      if (this.key.length < keyLength) this.growKey(keyLength)
      const key = this.key
      for (let i = prevShared; i < shared; i++) key[i] = d[prevDelta + i - prevShared]
      if (this.compareEntry(shared, keyStart, keyLength, userKey, trailer, shared < matched ? shared : matched) >= 0) {
        for (let i = shared; i < keyLength; i++) key[i] = d[keyStart + i - shared]
        this.keyLength = keyLength
        this.valueOffset = keyStart + this.hUnshared
        this.valueLength = this.hValueLength
        this.cur = p
        this.nextOffset = this.valueOffset + this.valueLength
        return
      }
      matched = this.matched
      prevLength = keyLength
      prevShared = shared
      prevDelta = keyStart
      p = keyStart + this.hUnshared + this.hValueLength
      if (p >= this.limit) {
        // Past the last entry the lazy walk could not tell from the restart array: checked whole.
        if (decoder !== undefined) this.scanOverrun = true
        return this.invalidate()
      }
    }
  }

  /**
   * seekGEDecoding's readHeader: decodes the entry at `p` (header, key and value) and reads its
   * header; false when it does not read as an entry (no exception).
   */
  private decodeEntry(decoder: LazyBlock, p: number): boolean {
    const base = decoder.outputStart
    const headerEnd = p + 15 < this.limit ? p + 15 : this.limit
    if (base + decoder.decoded < headerEnd) decoder.decodeTo(headerEnd - base)
    if (!this.readHeaderUnchecked(p) || !this.entryFits()) return false
    const end = this.varEnd + this.hUnshared + this.hValueLength
    if (base + decoder.decoded < end) decoder.decodeTo(end - base)
    return true
  }

  /**
   * Compares the entry whose key is key[0, shared) followed by the block's bytes at keyStart
   * with (userKey, trailer), without copying it unless the user keys are equal. requires: its
   * first `known` bytes equal userKey's. Leaves in `matched` how many user-key bytes matched.
   */
  private compareEntry(shared: number, keyStart: number, keyLength: number, userKey: Uint8Array, trailer: number, known: number): number {
    const key = this.key
    const d = this.data
    const ulen = keyLength - 8
    const n = ulen < userKey.length ? ulen : userKey.length
    const m = shared < n ? shared : n
    let i = known < n ? known : n
    for (; i < m; i++) {
      const diff = key[i] - userKey[i]
      if (diff !== 0) {
        this.matched = i
        return diff
      }
    }
    const delta = keyStart - shared
    for (; i < n; i++) {
      const diff = d[delta + i] - userKey[i]
      if (diff !== 0) {
        this.matched = i
        return diff
      }
    }
    this.matched = n
    if (ulen !== userKey.length) return ulen - userKey.length
    for (let j = shared; j < keyLength; j++) key[j] = d[delta + j]
    return trailer - readTrailer(key, ulen)
  }

  /** Last entry whose user key is strictly less than `userKey`. */
  seekLT(userKey: Uint8Array): void {
    if (this.limit === 0) return this.invalidate()
    const r = this.lastRestartBefore(userKey, SEEK_FIRST_TRAILER)
    if (r < 0) return this.invalidate()
    const block = this.block!
    const end = r + 1 < block.restartCount ? block.restart(r + 1) : this.limit
    this.fillCache(r, end, userKey, SEEK_FIRST_TRAILER)
    if (this.cacheCount === 0) this.corrupt(`restart ${r} sorts before the target but its interval is empty`)
    this.positionFromCache(this.cacheCount - 1)
  }

  /** Index of the last restart whose key sorts before (userKey, trailer), -1 when none does. */
  private lastRestartBefore(userKey: Uint8Array, trailer: number): number {
    let lo = 0
    let hi = this.block!.restartCount - 1
    if (this.compareRestart(0, userKey, trailer) >= 0) return -1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.compareRestart(mid, userKey, trailer) < 0) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  // Compares the key stored whole at restart i with the target, without copying it.
  private compareRestart(i: number, userKey: Uint8Array, trailer: number): number {
    const p = this.block!.restart(i)
    this.readHeader(p)
    if (this.hShared !== 0) this.corrupt(`restart ${i} (offset ${p}) shares a prefix`)
    return compareKeyAt(this.data, this.varEnd, this.hUnshared, userKey, trailer)
  }

  /**
   * Decodes entries from restart r while their offset is below `end` (and, given a target,
   * while they sort before it) into the reverse cache. Returns the offset where it stopped.
   */
  private fillCache(r: number, end: number, userKey: Uint8Array | undefined, trailer: number): number {
    const cache = this.cache
    this.cacheCount = 0
    this.keyLength = 0
    let keyBytes = 0
    let p = this.block!.restart(r)
    while (p < end) {
      this.decodeAt(p)
      if (userKey !== undefined && compareKeyAt(this.key, 0, this.keyLength, userKey, trailer) >= 0) break
      if (keyBytes + this.keyLength > this.cacheKeys.length) {
        const grown = new Uint8Array(Math.max(this.cacheKeys.length * 2, keyBytes + this.keyLength))
        grown.set(this.cacheKeys.subarray(0, keyBytes))
        this.cacheKeys = grown
      }
      this.cacheKeys.set(this.key.subarray(0, this.keyLength), keyBytes)
      const at = this.cacheCount * CACHE_STRIDE
      cache[at] = p
      cache[at + 1] = this.nextOffset
      cache[at + 2] = keyBytes
      cache[at + 3] = this.keyLength
      cache[at + 4] = this.valueOffset
      keyBytes += this.keyLength
      this.cacheCount++
      p = this.nextOffset
    }
    return p
  }

  private positionFromCache(i: number): void {
    const at = i * CACHE_STRIDE
    const c = this.cache
    this.cur = c[at]
    this.nextOffset = c[at + 1]
    const keyStart = c[at + 2]
    const keyLength = c[at + 3]
    this.valueOffset = c[at + 4]
    this.valueLength = this.nextOffset - this.valueOffset
    if (this.key.length < keyLength) this.key = new Uint8Array(keyLength * 2)
    this.key.set(this.cacheKeys.subarray(keyStart, keyStart + keyLength))
    this.keyLength = keyLength
    this.cachePos = i
  }

  /**
   * Reads the entry header at `p` into hShared, hUnshared, hValueLength and varEnd (where the
   * key delta starts), checking that the entry ends before the restart array.
   */
  private readHeader(p: number): void {
    if (!this.readHeaderUnchecked(p)) this.corrupt(`bad varint at offset ${this.varEnd}`)
    if (!this.entryFits()) this.corrupt(`bad entry at offset ${p}`)
  }

  /** readHeader's reading: false on a bad varint (varEnd then says where). */
  private readHeaderUnchecked(p: number): boolean {
    const d = this.data
    if (p + 3 <= this.limit && (d[p] | d[p + 1] | d[p + 2]) < 0x80) {
      this.hShared = d[p]
      this.hUnshared = d[p + 1]
      this.hValueLength = d[p + 2]
      this.varEnd = p + 3
      return true
    }
    this.varEnd = p
    this.hShared = this.readVar(this.varEnd)
    if (this.hShared < 0) return false
    this.hUnshared = this.readVar(this.varEnd)
    if (this.hUnshared < 0) return false
    this.hValueLength = this.readVar(this.varEnd)
    return this.hValueLength >= 0
  }

  /** Whether the header just read describes an entry with a key that ends before the restart array. */
  private entryFits(): boolean {
    return this.hShared + this.hUnshared >= 8 && this.varEnd + this.hUnshared + this.hValueLength <= this.limit
  }

  /** Decodes the entry at `p` on top of the current key (its shared prefix). */
  private decodeAt(p: number): void {
    this.readHeader(p)
    const shared = this.hShared
    const unshared = this.hUnshared
    const keyStart = this.varEnd
    const keyLength = shared + unshared
    const valueOffset = keyStart + unshared
    if (shared > this.keyLength) this.corrupt(`bad entry at offset ${p}`)
    if (this.key.length < keyLength) this.growKey(keyLength)
    const key = this.key
    const d = this.data
    // A plain loop beats subarray().set() (an allocation) for the short deltas of most keys.
    if (unshared <= 64) {
      for (let i = 0; i < unshared; i++) key[shared + i] = d[keyStart + i]
    } else {
      key.set(d.subarray(keyStart, valueOffset), shared)
    }
    this.keyLength = keyLength
    this.valueOffset = valueOffset
    this.valueLength = this.hValueLength
    this.cur = p
    this.nextOffset = valueOffset + this.hValueLength
  }

  private growKey(need: number): void {
    const grown = new Uint8Array(need * 2)
    grown.set(this.key)
    this.key = grown
  }

  /** Reads a varint at `p` below the restart array; its end goes to varEnd. -1 when it is bad (varEnd then is where it stopped). */
  private readVar(p: number): number {
    const d = this.data
    let result = 0
    let mul = 1
    for (let i = 0; i < 8 && p < this.limit; i++) {
      const b = d[p++]
      result += (b & 0x7f) * mul
      if (b < 0x80) {
        this.varEnd = p
        return result
      }
      mul *= 128
    }
    this.varEnd = p
    return -1
  }

  private invalidate(): void {
    this.cur = -1
    this.cachePos = -1
  }

  private corrupt(what: string): never {
    this.invalidate()
    throw new CorruptionError(this.file, this.blockOffset, `malformed block: ${what}`)
  }
}
