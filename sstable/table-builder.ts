// Writes one table, front to back, in a single pass: header, data blocks as they fill, then the
// filter, index and properties blocks and the footer (layout in format.ts). Blocks are gathered
// in one output buffer and appended WRITE_BUFFER_BYTES at a time; nothing but that buffer, the
// current block, the index and one hash pair per distinct user key is held in memory.
//
// The index entry of a block is written when the next block's first key arrives, so its
// separator can be shortened against that key (separator.ts).
//
// The buffers that outgrow 128 KiB in a table of a few MiB (key hashes, the index block, the
// filter block, the output buffer) are pooled mapped bytes (base/mapped-buffer.ts, BYTE_POOL),
// given back when finish() has written them: never malloc's, whose heaps keep what they free.

import { InvalidArgumentError } from '../base/errors.js'
import type { WritableFile } from '../base/fs.js'
import { giveBytes, takeBytes } from '../base/mapped-buffer.js'
import { Kind, MAX_SEQ, compareBytesTo } from '../base/internal-key.js'
import { BlockBuilder } from './block-builder.js'
import { TableBloomFilter, hashUserKey } from './bloom.js'
import {
  BLOCK_TRAILER_SIZE, Compression, type BlockHandle, type TableProperties,
  encodeBlockTrailer, encodeFooter, encodeHandle, encodeHeader, encodeProperties, filterVersionOf,
} from './format.js'
import { lz4CompressBound, lz4CompressInto } from './lz4.js'
import { CHUNK_BYTES, lz4ChunksBound, lz4CompressChunksInto } from './lz4-chunks.js'
import { resolveTableWriterOptions, type ResolvedTableWriterOptions, type TableWriterOptions } from './options.js'
import { separator, successor, type SeparatorKey } from './separator.js'

const NO_HANDLE: BlockHandle = { offset: 0, length: 0 }

/**
 * Blocks are appended to the file once this many bytes of them are buffered (LevelDB's table
 * files go through a 64 KiB buffer too). One pwrite per block cost 4.4% of the CPU of a
 * 1M x 100 B fill plus compactRange at 4 KiB blocks and 6.9% at 1 KiB (perf, 2026-12-07). The
 * file is synced and published only after finish(), which appends what is left, so a crash
 * mid-table loses nothing that was acknowledged.
 */
export const WRITE_BUFFER_BYTES = 64 * 1024

export class TableBuilder {
  private readonly options: ResolvedTableWriterOptions
  private readonly data: BlockBuilder
  private readonly index = new BlockBuilder(1)
  private offset = 0
  /** The last flushed block, whose index entry waits for the next key. */
  private pending: BlockHandle | undefined
  /** Blocks not yet appended are out[0, outLength); `offset` counts them. */
  private out = new Uint8Array(0)
  private outLength = 0
  private handleScratch = new Uint8Array(20)
  private finished = false

  private lastUser = new Uint8Array(64)
  private lastUserLength = 0
  private lastSeq = 0
  private lastKind = 0

  /** Two 32-bit hashes per distinct user key, for the filter built at finish(). */
  private hashes = new Uint32Array(1024)
  private keyCount = 0

  private count = 0
  private tombstones = 0
  private minSeq = MAX_SEQ
  private maxSeq = 0
  private rawKeyBytes = 0
  private rawValueBytes = 0
  private dataBlocks = 0
  private smallestKey = new Uint8Array(0)

  /** requires: `file` is empty (just created). */
  constructor(private readonly file: WritableFile, options?: TableWriterOptions) {
    this.options = resolveTableWriterOptions(options)
    if (file.size !== 0) throw new InvalidArgumentError(`table file ${file.path} is not empty (${file.size} bytes)`)
    // A restart also once CHUNK_BYTES have passed since the last: a chunk (lz4-chunks.ts) can
    // only start at one, and with 100-byte values 16 entries would make 2 KiB chunks (with larger
    // values even more).
    const chunks = this.options.formatVersion >= 2
    this.data = new BlockBuilder(this.options.restartInterval, Math.min(this.options.blockSize, 1 << 16) + 1024, chunks ? CHUNK_BYTES : Infinity)
    this.write(encodeHeader(this.options.formatVersion))
  }

  /** Bytes written so far plus the pending block: used to cut output tables at a target size. */
  get estimatedSize(): number {
    return this.offset + this.data.estimatedSize
  }

  get entryCount(): number {
    return this.count
  }

  /**
   * Adds an entry; `value` is copied (empty for a tombstone). requires: entries strictly
   * increasing in internal order (compareInternal), which is checked: InvalidArgumentError.
   */
  add(userKey: Uint8Array, seq: number, kind: number, value: Uint8Array): void {
    if (this.finished) throw new InvalidArgumentError('TableBuilder.add after finish')
    if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) throw new InvalidArgumentError(`bad sequence number ${seq}`)
    if (!Number.isInteger(kind) || kind < 0 || kind > 0xfe) throw new InvalidArgumentError(`bad kind ${kind}`)
    const cmp = this.count === 0 ? 1 : this.compareUserToLast(userKey)
    if (cmp < 0 || (cmp === 0 && (seq > this.lastSeq || (seq === this.lastSeq && kind >= this.lastKind)))) {
      throw new InvalidArgumentError(`table entries out of order: seq ${seq} kind ${kind} after seq ${this.lastSeq} kind ${this.lastKind}`)
    }
    if (this.pending !== undefined) {
      this.addIndexEntry(separator(this.lastUser.subarray(0, this.lastUserLength), this.lastSeq, this.lastKind, userKey))
    }
    if (cmp !== 0) this.addKeyHash(userKey)
    if (this.count === 0) this.smallestKey = userKey.slice()

    this.data.add(userKey, seq, kind, value)

    if (this.lastUser.length < userKey.length) this.lastUser = new Uint8Array(userKey.length * 2)
    this.lastUser.set(userKey)
    this.lastUserLength = userKey.length
    this.lastSeq = seq
    this.lastKind = kind
    this.count++
    if (kind === Kind.Delete) this.tombstones++
    if (seq < this.minSeq) this.minSeq = seq
    if (seq > this.maxSeq) this.maxSeq = seq
    this.rawKeyBytes += userKey.length
    this.rawValueBytes += value.length

    if (this.data.estimatedSize >= this.options.blockSize) this.flushDataBlock()
  }

  /** Writes the last block, filter, index, properties and footer. Does not sync or close the file. */
  finish(): TableProperties {
    if (this.finished) throw new InvalidArgumentError('TableBuilder.finish called twice')
    this.finished = true
    if (!this.data.isEmpty) this.flushDataBlock()
    if (this.pending !== undefined) {
      this.addIndexEntry(successor(this.lastUser.subarray(0, this.lastUserLength), this.lastSeq, this.lastKind))
    }
    let filter = NO_HANDLE
    if (this.options.bloomBitsPerKey > 0) {
      const bitsPerKey = this.options.bloomBitsPerKey
      const version = filterVersionOf(this.options.formatVersion)
      const block = takeBytes(TableBloomFilter.blockSizeFor(this.keyCount, bitsPerKey, version))
      const f = TableBloomFilter.inBlock(block, this.keyCount, bitsPerKey, version)
      for (let i = 0; i < this.keyCount; i++) f.addHashes(this.hashes[2 * i], this.hashes[2 * i + 1])
      filter = this.writeBlock(block, false)
      giveBytes(block)
    }
    giveBytes(this.hashes)
    this.hashes = new Uint32Array(0)
    const index = this.writeBlock(this.index.finish(), false)
    this.index.release()
    this.data.release()
    const empty = this.count === 0
    const stored = {
      version: this.options.formatVersion,
      smallestKey: this.smallestKey,
      largestKey: this.lastUser.slice(0, this.lastUserLength),
      entryCount: this.count,
      tombstoneCount: this.tombstones,
      minSeq: empty ? 0 : this.minSeq,
      maxSeq: this.maxSeq,
      rawKeyBytes: this.rawKeyBytes,
      rawValueBytes: this.rawValueBytes,
      dataBlockCount: this.dataBlocks,
    }
    const properties = this.writeBlock(encodeProperties(stored), false)
    this.write(encodeFooter({ index, filter, properties, version: this.options.formatVersion }))
    this.flushOut()
    giveBytes(this.out)
    this.out = new Uint8Array(0)
    const { version: _version, ...rest } = stored
    return { ...rest, fileSize: this.offset }
  }

  private compareUserToLast(userKey: Uint8Array): number {
    return compareBytesTo(userKey, this.lastUser, this.lastUserLength)
  }

  private addKeyHash(userKey: Uint8Array): void {
    if (2 * this.keyCount + 2 > this.hashes.length) {
      const bytes = takeBytes(this.hashes.byteLength * 2)
      const grown = new Uint32Array(bytes.buffer, 0, this.hashes.length * 2)
      grown.set(this.hashes)
      giveBytes(this.hashes)
      this.hashes = grown
    }
    hashUserKey(userKey, this.hashes, 2 * this.keyCount)
    this.keyCount++
  }

  private addIndexEntry(key: SeparatorKey): void {
    const h = this.pending!
    const end = encodeHandle(h, this.handleScratch, 0)
    this.index.add(key.userKey, key.seq, key.kind, this.handleScratch.subarray(0, end))
    this.pending = undefined
  }

  private flushDataBlock(): void {
    this.pending = this.writeBlock(this.data.finish(), this.options.compression === 'lz4')
    this.dataBlocks++
  }

  /**
   * Puts `raw` (compressed when asked and worth it: data blocks only, as lz4 chunks) and its
   * trailer in the output buffer, appending the buffer once it holds WRITE_BUFFER_BYTES.
   */
  private writeBlock(raw: Uint8Array, compress: boolean): BlockHandle {
    // Room for either form and the trailer: the block is compressed straight into `out`.
    const restarts = compress ? (raw[raw.length - 4] | (raw[raw.length - 3] << 8) | (raw[raw.length - 2] << 16) | (raw[raw.length - 1] << 24)) >>> 0 : 0
    this.reserveOut(Math.max(lz4CompressBound(raw.length), lz4ChunksBound(raw.length, restarts)) + BLOCK_TRAILER_SIZE)
    const at = this.outLength
    let length = 0
    let type: number = Compression.None
    if (compress) {
      const chunks = this.options.formatVersion >= 2
      length = chunks ? lz4CompressChunksInto(raw, this.out, at) : lz4CompressInto(raw, this.out, at)
      // Keep compression only when it saves at least 1/8: decompressing costs on every read.
      if (raw.length - length >= raw.length / 8) type = chunks ? Compression.Lz4Chunks : Compression.Lz4
    }
    if (type === Compression.None) {
      this.out.set(raw, at)
      length = raw.length
    }
    encodeBlockTrailer(this.out.subarray(at, at + length), type, this.out, at + length)
    const handle = { offset: this.offset, length }
    this.outLength = at + length + BLOCK_TRAILER_SIZE
    this.offset += length + BLOCK_TRAILER_SIZE
    if (this.outLength >= WRITE_BUFFER_BYTES) this.flushOut()
    return handle
  }

  private write(bytes: Uint8Array): void {
    this.reserveOut(bytes.length)
    this.out.set(bytes, this.outLength)
    this.outLength += bytes.length
    this.offset += bytes.length
  }

  /** Makes room for `n` more bytes in `out`, appending what it holds first when they would not fit. */
  private reserveOut(n: number): void {
    if (this.outLength + n <= this.out.length) return
    this.flushOut()
    if (n <= this.out.length) return
    giveBytes(this.out)
    this.out = takeBytes(Math.max(2 * WRITE_BUFFER_BYTES, 2 * n))
  }

  /** Appends the buffered blocks to the file. */
  private flushOut(): void {
    if (this.outLength === 0) return
    this.file.append(this.out.subarray(0, this.outLength))
    this.outLength = 0
  }
}
