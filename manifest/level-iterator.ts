// LevelIterator: one InternalIterator over the tables of a level >= 1, which are sorted and do not
// overlap, opening one table iterator at a time.

import { compareBytes } from '../base/internal-key.js'
import type { InternalIterator } from '../base/internal-iterator.js'
import type { FileMetadata } from './version.js'

export class LevelIterator implements InternalIterator {
  private readonly files: readonly FileMetadata[]
  private index = -1
  private iter: InternalIterator | undefined = undefined

  private readonly transientBlocks: boolean
  private readonly recycleBlocks: boolean

  /**
   * requires: every file has its reader open, and the files stay referenced while this is used.
   * `transientBlocks`, `recycleBlocks`: the table iterators' (sstable/table-iter.ts), for
   * compaction inputs and for db.iterator().
   */
  constructor(files: readonly FileMetadata[], options?: { transientBlocks?: boolean; recycleBlocks?: boolean }) {
    this.files = files
    this.transientBlocks = options?.transientBlocks === true
    this.recycleBlocks = options?.recycleBlocks === true
  }

  private open(index: number): InternalIterator | undefined {
    if (this.index === index && this.iter) return this.iter
    this.iter?.close()
    this.iter = undefined
    this.index = index
    if (index < 0 || index >= this.files.length) return undefined
    this.iter = this.files[index].reader!.iterator({ transientBlocks: this.transientBlocks, recycleBlocks: this.recycleBlocks })
    return this.iter
  }

  private forwardToValid(): void {
    while (this.iter && !this.iter.valid()) {
      const it = this.open(this.index + 1)
      it?.first()
    }
  }

  private backwardToValid(): void {
    while (this.iter && !this.iter.valid()) {
      const it = this.open(this.index - 1)
      it?.last()
    }
  }

  seekGE(userKey: Uint8Array, seq?: number): void {
    let lo = 0
    let hi = this.files.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareBytes(this.files[mid].largestKey, userKey) < 0) lo = mid + 1
      else hi = mid
    }
    this.open(lo)?.seekGE(userKey, seq)
    this.forwardToValid()
  }

  seekLT(userKey: Uint8Array): void {
    let lo = 0
    let hi = this.files.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareBytes(this.files[mid].smallestKey, userKey) < 0) lo = mid + 1
      else hi = mid
    }
    this.open(lo - 1)?.seekLT(userKey)
    this.backwardToValid()
  }

  first(): void {
    this.open(0)?.first()
    this.forwardToValid()
  }

  last(): void {
    this.open(this.files.length - 1)?.last()
    this.backwardToValid()
  }

  next(): void {
    this.iter!.next()
    this.forwardToValid()
  }

  prev(): void {
    this.iter!.prev()
    this.backwardToValid()
  }

  valid(): boolean {
    return this.iter !== undefined && this.iter.valid()
  }

  userKey(): Uint8Array {
    return this.iter!.userKey()
  }

  seq(): number {
    return this.iter!.seq()
  }

  kind(): number {
    return this.iter!.kind()
  }

  value(): Uint8Array {
    return this.iter!.value()
  }

  close(): void {
    this.iter?.close()
    this.iter = undefined
    this.index = -1
  }
}
