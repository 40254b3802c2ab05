// Reads one block from a table file: the stored bytes and trailer in one read, the checksum
// checked before anything else looks at them, then decompression. A scan reads ahead instead
// (ReadAhead, below): one read brings in the blocks that follow, each checked and decoded alone.
//
// A block is read into one scratch buffer shared by every table of this thread and decompressed
// out of it at once, into the same buffer past the stored bytes, so a block-cache miss allocates
// only the block it returns. This is safe because everything between the read and the end of
// decompression is synchronous: nothing else can read into the scratch buffer meanwhile. What
// leaves this file never points into it unless asked for by name: readBlockContents' scratchView
// (a table's index block, decoded before any other read), and a transient read
// (readBlockLazily) returns a view into a second buffer of this thread, valid only until the
// next transient read, for point lookups that copy out what they need at once (a miss then
// allocates nothing: engine/memory-budget.ts says why that matters). A point lookup also decodes
// only as much of the block as it needs (its entry is often halfway through; in a type 2 block,
// lz4-chunks.ts, it starts at the chunk its entry is in).

import { CorruptionError } from '../base/errors.js'
import type { ReadableFile } from '../base/fs.js'
import { POOLED_MIN, giveBytes, takeBytes } from '../base/mapped-buffer.js'
import { BLOCK_TRAILER_SIZE, Compression, checkBlockTrailer, type BlockHandle } from './format.js'
import { Lz4Decoder, lz4DecodeInto, lz4DecodedLength, lz4DecompressBlock } from './lz4.js'
import { Lz4ChunkDecoder, lz4ChunksDecodeInto, lz4ChunksDecompressBlock } from './lz4-chunks.js'

/** What readBlockLazily hands a point lookup for a compressed block: a decoder that has decoded nothing yet. */
export type LazyBlock = Lz4Decoder | Lz4ChunkDecoder

// Stored bytes, then the decoded block.
let scratch = new Uint8Array(64 * 1024)
// readBlockLazily's: stored bytes, then the decoded block (or its first part) the caller reads.
let transient = new Uint8Array(64 * 1024)
// The compression type of the block readIn last checked.
let readType = 0
// Larger blocks (big inline values) are read into arrays of their own, so that one huge block
// does not leave a huge scratch buffer behind for the life of the thread.
const SCRATCH_MAX = 1024 * 1024

/**
 * The block's contents, decompressed, in an array of its own (the caller may keep it). Throws
 * CorruptionError(file, h.offset, ...) on bad bytes. `scratchView`: an uncompressed block may
 * come as a view into this thread's scratch buffer instead, for a caller that has decoded all it
 * needs from it before its next block read on this thread: a table's index block (~100-220 KiB
 * at the default table size), read and dropped at every open, was the compaction worker's
 * commonest garbage of that size (its V8 lets up to 64 MiB of dead arrays pile up before it
 * collects them).
 */
export function readBlockContents(file: ReadableFile, h: BlockHandle, scratchView = false): Uint8Array {
  const size = h.length + BLOCK_TRAILER_SIZE
  if (file.readInto === undefined || size > SCRATCH_MAX) return decodeBlockContents(file.path, h, file.read(h.offset, size), false)
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2))
  const at = readIn(file, h, scratch)
  if (at === 0) return scratchView ? scratch.subarray(0, h.length) : scratch.slice(0, h.length)
  if (at < 0) return decompress(readType, file.path, h.offset, scratch.subarray(0, h.length))
  const decode = readType === Compression.Lz4 ? lz4DecodeInto : lz4ChunksDecodeInto
  return scratch.slice(at, decode(file.path, h.offset, scratch, 0, h.length, scratch, at) + at)
}

/** A compressed block's stored bytes (type 1 or 2), decoded into an array of their own. */
function decompress(type: number, path: string, offset: number, stored: Uint8Array): Uint8Array {
  return type === Compression.Lz4 ? lz4DecompressBlock(path, offset, stored) : lz4ChunksDecompressBlock(path, offset, stored)
}

/** readBlockLazily's decoder (one per thread, as the transient buffer it decodes into). */
const lazyDecoder = new Lz4Decoder()
const lazyChunkDecoder = new Lz4ChunkDecoder()

/**
 * Block h for a point lookup that may need only part of it, in a buffer of this thread that the
 * next readBlockLazily overwrites (requires: the caller is done with it, or has copied what it
 * needs, before then). The stored bytes are read and their checksum checked as always; an lz4
 * block comes back as a decoder started on them that has decoded nothing yet (it decodes into the
 * same buffer, past the stored bytes, on demand: BlockIter.seekGEDecoding), any other block as
 * its contents.
 */
export function readBlockLazily(file: ReadableFile, h: BlockHandle): Uint8Array | LazyBlock {
  const size = h.length + BLOCK_TRAILER_SIZE
  if (file.readInto === undefined || size > SCRATCH_MAX) return decodeBlockContents(file.path, h, file.read(h.offset, size), false)
  if (transient.length < size) transient = new Uint8Array(Math.max(size, transient.length * 2))
  const at = readIn(file, h, transient)
  if (at === 0) return transient.subarray(0, h.length)
  if (at < 0) return decompress(readType, file.path, h.offset, transient.subarray(0, h.length))
  const d = readType === Compression.Lz4 ? lazyDecoder : lazyChunkDecoder
  return d.start(file.path, h.offset, transient, 0, h.length, transient, at)
}

/**
 * Reads block h's stored bytes and trailer into buf[0, size) (growing `buf`'s holder is the
 * caller's: buf has room for them) and checks them. Returns 0 for an uncompressed block, else
 * where in `buf` the decoded block can go (past the stored bytes; buf is grown for it, keeping
 * them), or -1 when it would not fit SCRATCH_MAX and must get an array of its own.
 */
function readIn(file: ReadableFile, h: BlockHandle, buf: Uint8Array): number {
  const size = h.length + BLOCK_TRAILER_SIZE
  const n = file.readInto!(h.offset, size, buf)
  // No view of what was read: the check reads buf[0, n) (one view fewer per block read).
  const type = checkBlockTrailer(file.path, h.offset, buf, h.length, n)
  readType = type
  if (type === Compression.None) return 0
  if (type !== Compression.Lz4 && type !== Compression.Lz4Chunks) throw new CorruptionError(file.path, h.offset, `unknown compression type ${type}`)
  const want = lz4DecodedLength(file.path, h.offset, buf, 0, h.length)
  if (size + want > SCRATCH_MAX) return -1
  if (buf.length < size + want) grow(buf, size + want, size)
  return size
}

/** Replaces the scratch buffer `old` with one of at least `need` bytes, keeping its first `keep`. */
function grow(old: Uint8Array, need: number, keep: number): void {
  const fresh = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(need, old.length * 2)))
  fresh.set(old.subarray(0, keep))
  if (old === scratch) scratch = fresh
  else transient = fresh
}

/**
 * The contents of a block from its stored bytes and trailer (`raw`, read by the caller), checked
 * and decompressed. `copy`: raw is a buffer the caller reuses, so an uncompressed block is copied
 * out of it (a compressed one always decodes into an array of its own).
 */
export function decodeBlockContents(path: string, h: BlockHandle, raw: Uint8Array, copy: boolean): Uint8Array {
  const type = checkBlockTrailer(path, h.offset, raw, h.length)
  if (type === Compression.Lz4 || type === Compression.Lz4Chunks) return decompress(type, path, h.offset, raw.subarray(0, h.length))
  if (type === Compression.None) return copy ? raw.slice(0, h.length) : raw.subarray(0, h.length)
  throw new CorruptionError(path, h.offset, `unknown compression type ${type}`)
}

/**
 * Windows of closed scans under POOLED_MIN, for the next ones: at most WINDOW_POOL_BYTES in all.
 * Windows of POOLED_MIN or more are the thread's pooled mapped bytes (base/mapped-buffer.ts,
 * BYTE_POOL): a compaction reads 128 and 256 KiB windows in every input table, and as malloc's
 * they were most of what the worker's glibc arena kept after freeing them.
 */
const windowPool: Uint8Array[] = []
let windowPoolBytes = 0
const WINDOW_POOL_BYTES = 2 * 1024 * 1024

function takeWindow(size: number): Uint8Array {
  if (size >= POOLED_MIN) {
    // The whole buffer: a window of an odd size near a table's end gets its size class's room.
    return new Uint8Array(takeBytes(size, false).buffer)
  }
  for (let i = windowPool.length - 1; i >= 0; i--) {
    const w = windowPool[i]
    if (w.length >= size) {
      windowPool[i] = windowPool[windowPool.length - 1]
      windowPool.pop()
      windowPoolBytes -= w.length
      return w
    }
  }
  return new Uint8Array(size)
}

function returnWindow(w: Uint8Array): void {
  if (w.length >= POOLED_MIN) return giveBytes(w)
  if (w.length === 0 || windowPoolBytes + w.length > WINDOW_POOL_BYTES) return
  windowPool.push(w)
  windowPoolBytes += w.length
}

/** Read-ahead starts at this many bytes per read and doubles with every refill, up to READ_AHEAD_MAX. */
export const READ_AHEAD_MIN = 16 * 1024
export const READ_AHEAD_MAX = 256 * 1024

/**
 * One scan's read-ahead over one table (RocksDB's iterator readahead): a window of the file read
 * in one call, from which the blocks that follow are served without a read each. Every block
 * taken from it is checked and decoded as if read alone. The window grows from READ_AHEAD_MIN
 * to READ_AHEAD_MAX as the scan goes on, so a short scan reads little more than it needs.
 */
export class ReadAhead {
  private buf: Uint8Array = new Uint8Array(0)
  /** Where a transient read-ahead decodes blocks (see the constructor). */
  private out: Uint8Array = new Uint8Array(0)
  /** The file offset of buf[0]; the window is [start, start + filled). */
  private start = 0
  private filled = 0
  private next = READ_AHEAD_MIN

  /**
   * `transient`: each block read() returns is a view into this read-ahead's own buffers, valid
   * only until its next read(): for a compaction's input, which copies what it keeps before it
   * moves on, so that merging tables allocates nothing per block (the blocks are not cached either).
   */
  constructor(readonly transient = false) {}

  /** Whether buf came from the window pool (and goes back to it at release()). */
  private pooled = false

  /**
   * The scan is over (its iterator closed): the window goes back to this thread's pool, for the
   * next scan. A non-transient read-ahead's blocks are copies, never views into the window, so
   * they stay valid. A short scan (ycsb-e: seek, then 50 entries) used to allocate a 16 KiB window
   * for each table it stepped across, garbage at its end: the malloc heap grew by ~30 MiB.
   * A transient read-ahead's blocks are views into it, valid only until its next read(): its
   * reader (a compaction input, which reads forward and copies what it keeps) reads none of them
   * once its table iterator is closed, so its window of POOLED_MIN or more goes back too (smaller
   * ones are left to the collector, as before).
   */
  release(): void {
    if (this.pooled && (!this.transient || this.buf.length >= POOLED_MIN)) returnWindow(this.buf)
    this.pooled = false
    this.buf = new Uint8Array(0)
    this.filled = 0
  }

  /**
   * Block `h`'s contents, from the window, or after reading a new window that starts at it and
   * ends by `limit` (the end of the table's data blocks). Throws CorruptionError on bad bytes.
   */
  read(file: ReadableFile, h: BlockHandle, limit: number): Uint8Array {
    const size = h.length + BLOCK_TRAILER_SIZE
    if (!(h.offset >= this.start && h.offset + size <= this.start + this.filled)) {
      const want = Math.max(size, Math.min(this.next, limit - h.offset))
      this.next = Math.min(READ_AHEAD_MAX, this.next * 2)
      if (file.readInto !== undefined) {
        if (this.buf.length < want) {
          const size = Math.max(want, Math.min(READ_AHEAD_MAX, this.buf.length * 2))
          // A transient window's blocks are valid only until this read(): it may go back at once.
          if (this.pooled) returnWindow(this.buf)
          this.buf = takeWindow(size)
          this.pooled = this.buf.length <= READ_AHEAD_MAX
        }
        this.filled = file.readInto(h.offset, want, this.buf)
      } else {
        if (this.pooled) returnWindow(this.buf)
        this.pooled = false
        this.buf = file.read(h.offset, want)
        this.filled = this.buf.length
      }
      this.start = h.offset
    }
    const at = h.offset - this.start
    // Past a short read (a cut file) the block is shorter than its handle: checkBlockTrailer says so.
    const raw = this.buf.subarray(at, Math.min(at + size, this.filled))
    if (!this.transient) return decodeBlockContents(file.path, h, raw, true)
    const type = checkBlockTrailer(file.path, h.offset, raw, h.length)
    if (type === Compression.None) return raw.subarray(0, h.length)
    if (type !== Compression.Lz4 && type !== Compression.Lz4Chunks) throw new CorruptionError(file.path, h.offset, `unknown compression type ${type}`)
    const want = lz4DecodedLength(file.path, h.offset, raw, 0, h.length)
    if (want > SCRATCH_MAX) return decompress(type, file.path, h.offset, raw.subarray(0, h.length))
    if (this.out.length < want) this.out = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(want, 2 * this.out.length, 8192)))
    const decode = type === Compression.Lz4 ? lz4DecodeInto : lz4ChunksDecodeInto
    return this.out.subarray(0, decode(file.path, h.offset, raw, 0, h.length, this.out, 0))
  }
}
