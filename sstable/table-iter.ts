// The table's two-level iterator: a position in the pinned index picks a data block, a
// BlockIter walks inside it, and running off either end of a block moves to the neighbour.
//
// Keys and values are views valid until the next positioning call (values point into cached
// blocks and stay readable longer, but callers must not rely on it).

import type { InternalIterator } from '../base/internal-iterator.js'
import { MAX_SEQ } from '../base/internal-key.js'
import { type Block, BlockIter, SEEK_FIRST_TRAILER } from './block-iter.js'
import { ReadAhead } from './block-read.js'

/** What the iterator needs of an open table (TableReader is one); kept narrow so this file does not import the reader. */
export interface BlockSource {
  readonly path: string
  readonly blockCount: number
  /** The first data block whose index key is at or past (userKey, trailer). */
  findBlock(userKey: Uint8Array, trailer: number): number
  /**
   * `ahead`: a scan's read-ahead, which reads the blocks after i along with it (not cached when
   * transient). `pin`: the block is pinned (Block.pins) until releaseBlock, not escaped.
   */
  loadBlock(i: number, ahead?: ReadAhead, pin?: boolean): Block
  releaseBlock(block: Block): void
  blockOffset(i: number): number
}

export class TableIterator implements InternalIterator {
  private readonly it: BlockIter
  /** Index of the data block `it` is on; -1 before the first positioning call. */
  private block = -1
  private closed = false
  /**
   * Made once the iterator steps forward into the next block (a scan, not a seek): from then on
   * blocks that miss the cache are read several at a time (block-read.ts).
   */
  private ahead: ReadAhead | undefined
  /** With recycleBlocks: the block `it` is on, pinned (released at the next load and at close). */
  private pinned: Block | undefined

  /**
   * `transientBlocks`: blocks are read through one transient ReadAhead (block-read.ts) and not
   * cached, so a key or value view dies at the next positioning call, as this file's contract
   * already says; for compaction inputs, which copy what they keep.
   * `recycleBlocks`: cached blocks are pinned while the iterator is on them instead of escaped
   * for good (Block.pins), so the cache reuses their buffers once it has let them go and the
   * iterator has moved on; for a caller that keeps no view past the next positioning call
   * (db.iterator(): engine/db-iterator.ts copies every key and value it hands out).
   */
  constructor(private readonly reader: BlockSource, transientBlocks = false, private readonly recycleBlocks = false) {
    this.it = new BlockIter(reader.path)
    if (transientBlocks) this.ahead = new ReadAhead(true)
  }

  seekGE(userKey: Uint8Array, seq: number = MAX_SEQ): void {
    const i = this.reader.findBlock(userKey, seq * 256 + 0xff)
    if (!this.load(i, this.transientAhead())) return
    this.it.seekGE(userKey, seq)
    this.skipForward()
  }

  seekLT(userKey: Uint8Array): void {
    // Every key below userKey lies in the first block whose index key reaches it, or earlier.
    const i = Math.min(this.reader.findBlock(userKey, SEEK_FIRST_TRAILER), this.reader.blockCount - 1)
    if (!this.load(i, this.transientAhead())) return
    this.it.seekLT(userKey)
    this.skipBackward()
  }

  first(): void {
    if (!this.load(0, this.transientAhead())) return
    this.it.first()
    this.skipForward()
  }

  last(): void {
    if (!this.load(this.reader.blockCount - 1, this.transientAhead())) return
    this.it.last()
    this.skipBackward()
  }

  next(): void {
    if (!this.valid()) return
    this.it.next()
    this.skipForward()
  }

  prev(): void {
    if (!this.valid()) return
    this.it.prev()
    this.skipBackward()
  }

  valid(): boolean {
    return this.block >= 0 && this.it.valid()
  }

  userKey(): Uint8Array {
    return this.it.userKey()
  }

  seq(): number {
    return this.it.seq()
  }

  kind(): number {
    return this.it.kind()
  }

  value(): Uint8Array {
    return this.it.value()
  }

  close(): void {
    this.closed = true
    this.block = -1
    this.unpin()
    this.ahead?.release()
    this.ahead = undefined
  }

  /** The read-ahead every load must go through when it is transient (its blocks live in it). */
  private transientAhead(): ReadAhead | undefined {
    return this.ahead?.transient === true ? this.ahead : undefined
  }

  /** Puts `it` on data block i; false (and unpositioned) when i is out of range or closed. */
  private load(i: number, ahead?: ReadAhead): boolean {
    if (this.closed || i < 0 || i >= this.reader.blockCount) {
      this.block = -1
      this.unpin()
      return false
    }
    if (i !== this.block) {
      this.block = -1 // stays unpositioned if the load throws
      const pin = this.recycleBlocks && ahead?.transient !== true
      const block = this.reader.loadBlock(i, ahead, pin)
      this.unpin()
      if (pin) this.pinned = block
      this.it.reset(block, this.reader.blockOffset(i))
      this.block = i
    }
    return true
  }

  private unpin(): void {
    if (this.pinned === undefined) return
    this.reader.releaseBlock(this.pinned)
    this.pinned = undefined
  }

  private skipForward(): void {
    while (!this.it.valid()) {
      if (this.block + 1 >= this.reader.blockCount) return void this.load(this.block + 1)
      this.ahead ??= new ReadAhead()
      if (!this.load(this.block + 1, this.ahead)) return
      this.it.first()
    }
  }

  private skipBackward(): void {
    while (!this.it.valid()) {
      if (!this.load(this.block - 1, this.transientAhead())) return
      this.it.last()
    }
  }
}
