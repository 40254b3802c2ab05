// Opens a table and serves point lookups and iterators from it, synchronously.
//
// Open reads and checks the header, footer, properties, filter and index; the filter and the
// index (decoded into a packed key buffer and typed arrays) stay pinned in memory for the life
// of the reader (table-index.ts). Data blocks are read on demand, one read each, checked,
// decompressed, parsed and offered to the shared BlockCache. A block whose checksum fails is
// never decoded: the reader throws CorruptionError(path, block offset, ...) instead.
//
// Not safe to use after close(). Values returned are views into decoded blocks (see get()).

import { ClosedError, CorruptionError } from '../base/errors.js'
import type { FileSystem, ReadableFile } from '../base/fs.js'
import type { InternalIterator, LookupResult } from '../base/internal-iterator.js'
import type { BlockCache, TableSlots } from './block-cache.js'
import { BLOCK_OVERHEAD, Block, BlockIter } from './block-iter.js'
import { TableBloomFilter } from './bloom.js'
import { type ReadAhead, readBlockContents, readBlockLazily } from './block-read.js'
import {
  BLOCK_TRAILER_SIZE, FOOTER_SIZE, HEADER_SIZE, type BlockHandle, type Footer, type TableProperties,
  decodeFooter, decodeHeader, decodeProperties, filterVersionOf,
} from './format.js'
import { TableIndex, decodeIndex } from './table-index.js'
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
  /**
   * The index: key i is keys[keyStart[i], keyStart[i + 1]); data block i starts at offsets[i],
   * and its trailer ends at offsets[i + 1] (one more offset than blocks: the last is where the
   * data blocks end).
   */
  index: { keys: Uint8Array; keyStart: Uint32Array; offsets: Float64Array }
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
  // Block i's offset, and (at i + 1) where its trailer ends: the lengths are not stored, since
  // every block ends where the next one starts (decodeIndex checks that they tile the data).
  private readonly blockOffsets: Float64Array
  /** This table's blocks in the block cache, by block number. */
  private readonly slots: TableSlots
  /** Finds the block for a key in the index above (table-index.ts). */
  private readonly search: TableIndex

  private constructor(
    readonly path: string,
    /** The table's file number: its key in the block cache. */
    readonly id: number,
    private readonly file: ReadableFile,
    private readonly cache: BlockCache,
    private readonly filter: TableBloomFilter | undefined,
    footer: Footer,
    properties: TableProperties,
    index: OpenedTable['index'],
  ) {
    this.footer = footer
    this.version = footer.version
    this.properties = properties
    this.indexKeys = index.keys
    this.keyStart = index.keyStart
    this.blockOffsets = index.offsets
    const count = index.offsets.length - 1
    this.search = new TableIndex(index.keys, index.keyStart, count)
    this.slots = cache.slots(id, count)
    this.getIter = new BlockIter(path)
  }

  /**
   * Opens a table: reads footer, index, filter and properties (throws CorruptionError naming
   * the file on any bad byte). `id` is the table's file number (cache key). `filter: false`: the
   * filter block is neither read nor checked and get() probes no filter (same answers): for a
   * compaction's inputs, which are only merged (their outputs get filters of their own), so that
   * a job does not read and drop a ~150 KiB filter per input table in the worker.
   */
  static open(fs: FileSystem, path: string, id: number, cache: BlockCache, options?: { filter?: boolean }): TableReader {
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
      const filter = footer.filter.length === 0 || options?.filter === false
        ? undefined
        : TableBloomFilter.decode(path, footer.filter.offset, readBlockContents(file, footer.filter), filterVersionOf(footer.version))
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
      footer: this.footer, properties: this.properties, filter: this.filter?.encoded(),
      index: { keys: this.indexKeys, keyStart: this.keyStart, offsets: this.blockOffsets },
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
      const filter = opened.filter && TableBloomFilter.decode(path, opened.footer.filter.offset, opened.filter, filterVersionOf(opened.footer.version))
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
   * The value is a view into the decoded block (cached or not): never modify it; it stays
   * readable while held, except with `transient`: then a block the cache does not keep is
   * decoded into a buffer of this thread that the next transient get (of any table) overwrites,
   * so the caller must be done with the value before then (a miss then allocates nothing).
   */
  get(userKey: Uint8Array, readSeq: number, transient = false): LookupResult | undefined {
    if (this.closed) throw new ClosedError(`table ${this.path} is closed`)
    if (this.filter !== undefined && !this.filter.mayContain(userKey)) return undefined
    return this.lookupPastFilter(userKey, readSeq, transient)
  }

  /**
   * get() of a key whose hash pair (base/hash.ts murmur3Pair) is (h1, h2): a lookup that probes
   * many tables' filters hashes its key once (engine/read-path.ts). requires: (h1, h2) is that pair.
   */
  getHashed(userKey: Uint8Array, readSeq: number, h1: number, h2: number, transient = false): LookupResult | undefined {
    if (this.closed) throw new ClosedError(`table ${this.path} is closed`)
    if (this.filter !== undefined && !this.filter.mayContainHashes(h1, h2)) return undefined
    return this.lookupPastFilter(userKey, readSeq, transient)
  }

  /** get() past the filter. */
  private lookupPastFilter(userKey: Uint8Array, readSeq: number, transient: boolean): LookupResult | undefined {
    const it = this.getIter
    const n = this.blockCount
    for (let i = this.findBlock(userKey, readSeq * 256 + 0xff); i < n; i++) {
      if (transient) this.seekTransient(i, userKey, readSeq)
      else {
        it.reset(this.loadBlock(i), this.blockOffsets[i])
        it.seekGE(userKey, readSeq)
      }
      if (it.valid()) return it.userKeyEquals(userKey) ? { seq: it.seq(), kind: it.kind(), value: it.value() } : undefined
    }
    return undefined
  }

  /**
   * A two-level iterator (index → data blocks) implementing InternalIterator, all directions.
   * `transientBlocks`, `recycleBlocks`: see TableIterator (compaction inputs; db.iterator()).
   */
  iterator(options?: { transientBlocks?: boolean; recycleBlocks?: boolean }): InternalIterator {
    if (this.closed) throw new ClosedError(`table ${this.path} is closed`)
    return new TableIterator(this, options?.transientBlocks === true, options?.recycleBlocks === true)
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

  /**
   * Bytes this reader keeps in memory for its whole life: the index and the bloom filter (the
   * engine's memory budget counts them; engine/memory-budget.ts).
   */
  get pinnedBytes(): number {
    const index = this.indexKeys.byteLength + this.keyStart.byteLength + this.blockOffsets.byteLength
    // The index search keeps one 8-byte word per index key, the cache slots one pointer per block.
    return index + this.blockCount * 16 + (this.filter === undefined ? 0 : this.filter.bits / 8)
  }

  // ---- for the iterator, verify and describe ----

  get blockCount(): number {
    return this.blockOffsets.length - 1
  }

  blockHandle(i: number): BlockHandle {
    const offset = this.blockOffsets[i]
    return { offset, length: this.blockOffsets[i + 1] - offset - BLOCK_TRAILER_SIZE }
  }

  /** Index key i (an internal key). A view valid for the reader's life. */
  indexKey(i: number): Uint8Array {
    return this.indexKeys.subarray(this.keyStart[i], this.keyStart[i + 1])
  }

  /** The first data block that can hold (userKey, trailer) or later keys; blockCount if none. */
  findBlock(userKey: Uint8Array, trailer: number): number {
    return this.search.find(userKey, trailer)
  }

  /**
   * Data block i, from the cache or the file (then offered to the cache). A scan passes its
   * ReadAhead, which reads the blocks after i with it.
   */
  loadBlock(i: number, ahead?: ReadAhead, pin = false): Block {
    const offset = this.blockOffsets[i]
    const cached = this.cache.lookup(this.slots, i)
    if (cached !== undefined) {
      // Its reader may keep views into it: the cache must never reuse its bytes (until released).
      if (pin) cached.pins++
      else cached.escaped = true
      return cached
    }
    if (this.closed) throw new ClosedError(`table ${this.path} is closed`)
    const contents = ahead === undefined
      ? readBlockContents(this.file, this.blockHandle(i))
      : ahead.read(this.file, this.blockHandle(i), this.dataEnd)
    // A transient read-ahead's block is overwritten by its next read: never cached.
    const n = contents.byteLength
    if (ahead?.transient === true || !this.cache.admits(n + BLOCK_OVERHEAD)) {
      const block = Block.parse(this.path, offset, contents)
      block.escaped = true
      return block
    }
    // Kept: in a block the cache let go (takeBlock), so that a scan's blocks taken in reuse the
    // ones they push out instead of leaving them for a full collection. The copy is one block
    // per block kept (one in ADMIT_EVERY misses once the cache is full).
    const block = this.cache.takeBlock(n, true)
    block.data.set(contents)
    block.reload(this.path, offset, n)
    if (pin) block.pins++
    else block.escaped = true
    this.cache.put(this.slots, i, block)
    return block
  }

  /** An iterator that loaded `block` with pin (loadBlock) is done with it. */
  releaseBlock(block: Block): void {
    if (block.pins === 0) return
    if (--block.pins === 0) this.cache.released(block)
  }

  /**
   * getIter.seekGE(userKey, readSeq) in data block i, for get(…, transient): a block the cache
   * will not keep is decoded into the transient buffer only as far as the seek needs
   * (BlockIter.seekGEDecoding); one it keeps is decoded whole into a buffer the cache hands out
   * (BlockCache.takeBlock), and stays unescaped (Block.escaped) until an iterator or a plain get
   * takes it.
   */
  private seekTransient(i: number, userKey: Uint8Array, readSeq: number): void {
    const it = this.getIter
    const offset = this.blockOffsets[i]
    const cached = this.cache.lookup(this.slots, i)
    if (cached !== undefined) {
      it.reset(cached, offset)
      return it.seekGE(userKey, readSeq)
    }
    if (this.closed) throw new ClosedError(`table ${this.path} is closed`)
    const read = readBlockLazily(this.file, this.blockHandle(i))
    const n = read instanceof Uint8Array ? read.byteLength : read.length
    if (!this.cache.admits(n + BLOCK_OVERHEAD)) {
      if (!(read instanceof Uint8Array)) return it.seekGEDecoding(read, offset, userKey, readSeq)
      it.reset(Block.parse(this.path, offset, read), offset)
      return it.seekGE(userKey, readSeq)
    }
    let contents: Uint8Array
    if (read instanceof Uint8Array) contents = read
    else {
      read.decodeTo(n)
      contents = read.output.subarray(read.outputStart, read.outputStart + n)
    }
    const block = this.cache.takeBlock(n, true)
    block.data.set(contents)
    block.reload(this.path, offset, n)
    this.cache.put(this.slots, i, block)
    it.reset(block, offset)
    it.seekGE(userKey, readSeq)
  }

  blockOffset(i: number): number {
    return this.blockOffsets[i]
  }

  /** Where the last data block's trailer ends: read-ahead never reads past it. */
  private get dataEnd(): number {
    return this.blockOffsets[this.blockOffsets.length - 1]
  }
}
