// Reading past damage: a forward iterator over one table that skips every data block whose
// checksum (or decoding) fails instead of throwing, and a chain of them for a level. What repair
// (engine/repair.ts) rebuilds a table from and what a salvage backup (engine/backup.ts) reads.
//
// A block is read and checked whole before any of its entries is decoded (sstable/), so a
// damaged block yields nothing and a good one everything: the entries lost are exactly those of
// the skipped blocks. After a skip the iterator seeks just past the damaged block's index key,
// which is at or after every key of that block and before every key of the next.
// Forward only (first/next): seekGE, seekLT, last and prev throw. Never use it for reads that must
// see all the data; it exists to save what can be saved.

import { CorruptionError } from '../base/errors.js'
import { MAX_SEQ, decodeInternalKey } from '../base/internal-key.js'
import type { InternalIterator } from '../base/internal-iterator.js'
import type { TableReader } from '../sstable/index.js'

/** One data block that could not be read. */
export interface SkippedBlock {
  file: string
  /** The block's offset in the table file. */
  offset: number
  message: string
}

function forwardOnly(): never {
  throw new Error('a salvaging iterator only moves forward (first, next)')
}

export class SalvagingTableIterator implements InternalIterator {
  private readonly it: InternalIterator
  /** Entries yielded so far. */
  entries = 0
  /** The last block skipped: a skip must move forward, or the iterator ends (a misleading index). */
  private lastSkipped = -1
  private ended = false

  constructor(private readonly reader: TableReader, private readonly onSkip: (block: SkippedBlock) => void) {
    this.it = reader.iterator()
  }

  first(): void {
    this.ended = false
    this.lastSkipped = -1
    this.guard(() => this.it.first())
  }

  next(): void {
    if (!this.valid()) return
    this.guard(() => this.it.next())
  }

  /** Runs a positioning call; on a damaged block, reports it and resumes after it. */
  private guard(move: () => void): void {
    for (;;) {
      try {
        move()
        if (this.it.valid()) this.entries++
        return
      } catch (err) {
        if (!(err instanceof CorruptionError)) throw err
        const block = this.blockAt(err.offset)
        if (block <= this.lastSkipped) {
          this.ended = true
          return
        }
        this.lastSkipped = block
        this.onSkip({ file: this.reader.path, offset: this.reader.blockOffset(block), message: err.message })
        if (block + 1 >= this.reader.blockCount) {
          this.ended = true
          return
        }
        move = () => this.seekPastIndexKey(block)
      }
    }
  }

  /** The data block holding file offset `offset` (the last one starting at or before it). */
  private blockAt(offset: number): number {
    let lo = 0
    let hi = this.reader.blockCount - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.reader.blockOffset(mid) <= offset) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /** Positions on the first entry after block i (one seq below its index key, or the next user key). */
  private seekPastIndexKey(i: number): void {
    const { userKey, seq } = decodeInternalKey(this.reader.indexKey(i))
    if (seq > 0) this.it.seekGE(userKey, seq - 1)
    else this.it.seekGE(Uint8Array.from([...userKey, 0]), MAX_SEQ)
  }

  valid(): boolean {
    return !this.ended && this.it.valid()
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
    this.it.close()
  }

  seekGE(): void {
    forwardOnly()
  }

  seekLT(): void {
    forwardOnly()
  }

  last(): void {
    forwardOnly()
  }

  prev(): void {
    forwardOnly()
  }
}

/** Non-overlapping iterators in key order (one level's tables), read one after the other. */
export class ChainedIterator implements InternalIterator {
  private at = 0

  constructor(private readonly parts: InternalIterator[]) {}

  first(): void {
    this.at = 0
    if (this.parts.length > 0) this.parts[0].first()
    this.skipEmpty()
  }

  next(): void {
    if (!this.valid()) return
    this.parts[this.at].next()
    this.skipEmpty()
  }

  private skipEmpty(): void {
    while (this.at < this.parts.length && !this.parts[this.at].valid()) {
      if (++this.at < this.parts.length) this.parts[this.at].first()
    }
  }

  valid(): boolean {
    return this.at < this.parts.length && this.parts[this.at].valid()
  }

  userKey(): Uint8Array {
    return this.parts[this.at].userKey()
  }

  seq(): number {
    return this.parts[this.at].seq()
  }

  kind(): number {
    return this.parts[this.at].kind()
  }

  value(): Uint8Array {
    return this.parts[this.at].value()
  }

  close(): void {
    for (const p of this.parts) p.close()
  }

  seekGE(): void {
    forwardOnly()
  }

  seekLT(): void {
    forwardOnly()
  }

  last(): void {
    forwardOnly()
  }

  prev(): void {
    forwardOnly()
  }
}
