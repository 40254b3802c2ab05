// Opens a table and serves point lookups and iterators from it, synchronously.
//
// Open reads and checks the header, footer, properties, filter and index; the filter and the
// index (decoded into a packed key buffer and typed arrays) stay pinned in memory for the life
// of the reader. Data blocks are read on demand, one read() each, checked, decompressed, parsed
// and put in the shared BlockCache. A block whose checksum fails is never decoded: the reader
// throws CorruptionError(path, block offset, ...) instead.
//
// Not safe to use after close(). Values returned are views into cached blocks (see get()).

import { ClosedError, CorruptionError } from '../base/errors.js'
import type { FileSystem, ReadableFile } from '../base/fs.js'
import type { InternalIterator, LookupResult } from '../base/internal-iterator.js'
import { compareInternal, decodeInternalKey } from '../base/internal-key.js'
import type { BlockCache } from './block-cache.js'
import { Block, BlockIter, compareKeyAt } from './block-iter.js'
import { TableBloomFilter } from './bloom.js'
import { readBlockContents } from './block-read.js'
import {
  BLOCK_TRAILER_SIZE, FOOTER_SIZE, HEADER_SIZE, type BlockHandle, type Footer, type TableProperties,
  checkHandle, decodeFooter, decodeHandle, decodeHeader, decodeProperties,
} from './format.js'
import { TableIterator } from './table-iter.js'
import { verifyTable } from './verify.js'

/**
 * What open() read and checked, as plain data that can cross to another thread: the compaction
 * worker opens each table it writes and hands this over, so the engine's thread need not read and
 * parse the index and filter again (tens of ms for the table of a 64 MiB memtable).
 */
export interface OpenedTable {
  footer: Footer
  properties: TableProperties
  index: { keys: Uint8Array; keyStart: Uint32Array; offsets: Float64Array; lengths: Float64Array }
  /** The filter block's contents, or undefined when the table has none. */
  filter: Uint8Array | undefined
}

export class TableReader {
  readonly properties: TableProperties
  /** The format version from the footer. */
  readonly version: number
  /** The decoded footer (for verify and describe). */
  readonly footer: Footer
  private closed = false
  private readonly getIter: BlockIter
  // The pinned index: key i is indexKeys[keyStart[i], keyStart[i + 1]), an internal key that
  // sorts at or after every key of data block i and before every key of block i + 1.
  private readonly indexKeys: Uint8Array
  private readonly keyStart: Uint32Array
  private readonly blockOffsets: Float64Array
  private readonly blockLengths: Float64Array

  private constructor(
    readonly path: string,
    /** The table's file number: its key in the block cache. */
    readonly id: number,
    private readonly file: ReadableFile,
    private readonly cache: BlockCache,
    private readonly filter: TableBloomFilter | undefined,
    footer: Footer,
    properties: TableProperties,
    index: { keys: Uint8Array; keyStart: Uint32Array; offsets: Float64Array; lengths: Float64Array },
  ) {
    this.footer = footer
    this.version = footer.version
    this.properties = properties
    this.indexKeys = index.keys
    this.keyStart = index.keyStart
    this.blockOffsets = index.offsets
    this.blockLengths = index.lengths
    this.getIter = new BlockIter(path)
  }

  /**
   * Opens a table: reads footer, index, filter and properties (throws CorruptionError naming
   * the file on any bad byte). `id` is the table's file number (cache key).
   */
  static open(fs: FileSystem, path: string, id: number, cache: BlockCache): TableReader {
    const file = fs.openRead(path)
    try {
      const size = file.size
      if (size < HEADER_SIZE + FOOTER_SIZE) {
        throw new CorruptionError(path, 0, `file of ${size} bytes is too short for a table`)
      }
      decodeHeader(path, file.read(0, HEADER_SIZE))
      const footer = decodeFooter(path, file.read(size - FOOTER_SIZE, FOOTER_SIZE), size)
      const stored = decodeProperties(path, footer.properties.offset, readBlockContents(file, footer.properties))
      const { version: _version, ...props } = stored
      const properties: TableProperties = { ...props, fileSize: size }
      const filter = footer.filter.length === 0
        ? undefined
        : TableBloomFilter.decode(path, footer.filter.offset, readBlockContents(file, footer.filter))
      const index = decodeIndex(file, footer, properties)
      return new TableReader(path, id, file, cache, filter, footer, properties, index)
    } catch (err) {
      file.close()
      throw err
    }
  }

  /** The decoded parts, for TableReader.fromOpened() in another thread. */
  exportOpened(): OpenedTable {
    return {
      footer: this.footer, properties: this.properties, filter: this.filter?.encode(),
      index: { keys: this.indexKeys, keyStart: this.keyStart, offsets: this.blockOffsets, lengths: this.blockLengths },
    }
  }

  /**
   * A reader built from parts a reader of the same file decoded and checked (exportOpened()), with
   * no read but the file's size. requires: `opened` describes this very file.
   */
  static fromOpened(fs: FileSystem, path: string, id: number, cache: BlockCache, opened: OpenedTable): TableReader {
    const file = fs.openRead(path)
    try {
      if (file.size !== opened.properties.fileSize) {
        throw new CorruptionError(path, 0, `file of ${file.size} bytes, ${opened.properties.fileSize} when it was opened`)
      }
      const filter = opened.filter && TableBloomFilter.decode(path, opened.footer.filter.offset, opened.filter)
      return new TableReader(path, id, file, cache, filter, opened.footer, opened.properties, opened.index)
    } catch (err) {
      file.close()
      throw err
    }
  }

  /** false only when the key is certainly absent (bloom filter). */
  mayContain(userKey: Uint8Array): boolean {
    return this.filter === undefined || this.filter.mayContain(userKey)
  }

  /**
   * Newest entry of userKey with seq <= readSeq (checks the filter first), or undefined.
   * The value is a view into a cached block: never modify it; it stays readable while held.
   */
  get(userKey: Uint8Array, readSeq: number): LookupResult | undefined {
    if (this.closed) throw new ClosedError(`table ${this.path} is closed`)
    if (this.filter !== undefined && !this.filter.mayContain(userKey)) return undefined
    const it = this.getIter
    const n = this.blockCount
    for (let i = this.findBlock(userKey, readSeq * 256 + 0xff); i < n; i++) {
      it.reset(this.loadBlock(i), this.blockOffsets[i])
      it.seekGE(userKey, readSeq)
      if (it.valid()) return it.userKeyEquals(userKey) ? { seq: it.seq(), kind: it.kind(), value: it.value() } : undefined
    }
    return undefined
  }

  /** A two-level iterator (index → data blocks) implementing InternalIterator, all directions. */
  iterator(): InternalIterator {
    if (this.closed) throw new ClosedError(`table ${this.path} is closed`)
    return new TableIterator(this)
  }

  /** Reads and checks every block's checksum and decodes every entry; throws CorruptionError. */
  verify(): void {
    if (this.closed) throw new ClosedError(`table ${this.path} is closed`)
    verifyTable(this, this.file, this.filter)
  }

  /** Closes the file. Cached blocks stay until BlockCache.dropTable(id) (when the file is deleted). */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.file.close()
  }

  // ---- for the iterator, verify and describe ----

  get blockCount(): number {
    return this.blockOffsets.length
  }

  blockHandle(i: number): BlockHandle {
    return { offset: this.blockOffsets[i], length: this.blockLengths[i] }
  }

  /** Index key i (an internal key). A view valid for the reader's life. */
  indexKey(i: number): Uint8Array {
    return this.indexKeys.subarray(this.keyStart[i], this.keyStart[i + 1])
  }

  /** The first data block that can hold (userKey, trailer) or later keys; blockCount if none. */
  findBlock(userKey: Uint8Array, trailer: number): number {
    const keys = this.indexKeys
    const starts = this.keyStart
    let lo = 0
    let hi = this.blockOffsets.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareKeyAt(keys, starts[mid], starts[mid + 1] - starts[mid], userKey, trailer) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Data block i, from the cache or the file (then cached). */
  loadBlock(i: number): Block {
    const offset = this.blockOffsets[i]
    const cached = this.cache.get(this.id, offset)
    if (cached !== undefined) return cached
    if (this.closed) throw new ClosedError(`table ${this.path} is closed`)
    const block = Block.parse(this.path, offset, readBlockContents(this.file, this.blockHandle(i)))
    this.cache.set(this.id, offset, block)
    return block
  }

  blockOffset(i: number): number {
    return this.blockOffsets[i]
  }
}

/**
 * Decodes the index block into packed arrays, checking that its keys increase and that its
 * handles tile the data region exactly: block 0 right after the header, each block right after
 * the previous one's trailer, the last one ending where the first meta block begins.
 */
function decodeIndex(file: ReadableFile, footer: Footer, props: TableProperties) {
  const path = file.path
  const at = footer.index.offset
  const block = Block.parse(path, at, readBlockContents(file, footer.index))
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
  const keys = new Uint8Array(keyBytes)
  for (let i = 0; i < keyParts.length; i++) keys.set(keyParts[i], starts[i])
  return {
    keys,
    keyStart: Uint32Array.from(starts),
    offsets: Float64Array.from(offsets),
    lengths: Float64Array.from(lengths),
  }
}

function compareIndexKeys(a: Uint8Array, b: Uint8Array): number {
  const x = decodeInternalKey(a)
  const y = decodeInternalKey(b)
  return compareInternal(x.userKey, x.seq, x.kind, y.userKey, y.seq, y.kind)
}
