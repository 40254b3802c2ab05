// SkiplistIterator: the InternalIterator over a memtable's skiplist.
//
// It holds only a node offset, so it stays correct while the writer keeps inserting (new entries
// appear to it once it moves past their position) and across arena growth. It shows every version
// of every key; filtering by read sequence is the caller's job.

import { assert } from '../base/assert.js'
import type { InternalIterator } from '../base/internal-iterator.js'
import { KIND_FOR_SEEK, MAX_SEQ } from '../base/internal-key.js'
import type { Skiplist } from './skiplist.js'

export class SkiplistIterator implements InternalIterator {
  private readonly list: Skiplist
  /** Current node offset; 0 when exhausted or closed. */
  private node = 0

  constructor(list: Skiplist) {
    this.list = list
  }

  seekGE(userKey: Uint8Array, seq: number = MAX_SEQ): void {
    // KIND_FOR_SEEK makes every kind at `seq` itself sort at or after the search point.
    this.node = this.list.seekGE(userKey, seq * 256 + KIND_FOR_SEEK)
  }

  seekLT(userKey: Uint8Array): void {
    this.node = this.list.seekLT(userKey)
  }

  first(): void {
    this.node = this.list.first()
  }

  last(): void {
    this.node = this.list.last()
  }

  /** requires: valid(). */
  next(): void {
    assert(this.node !== 0, 'memtable iterator: next() while not valid')
    this.node = this.list.next(this.node)
  }

  /** requires: valid(). */
  prev(): void {
    assert(this.node !== 0, 'memtable iterator: prev() while not valid')
    this.node = this.list.prev(this.node)
  }

  valid(): boolean {
    return this.node !== 0
  }

  /** A view into the arena. valid: as long as the memtable is referenced (not just until next()). */
  userKey(): Uint8Array {
    assert(this.node !== 0, 'memtable iterator: userKey() while not valid')
    return this.list.userKey(this.node)
  }

  seq(): number {
    assert(this.node !== 0, 'memtable iterator: seq() while not valid')
    return Math.floor(this.list.trailer(this.node) / 256)
  }

  kind(): number {
    assert(this.node !== 0, 'memtable iterator: kind() while not valid')
    return this.list.trailer(this.node) % 256
  }

  /** A view into the arena. valid: as long as the memtable is referenced (not just until next()). */
  value(): Uint8Array {
    assert(this.node !== 0, 'memtable iterator: value() while not valid')
    return this.list.value(this.node)
  }

  /** Nothing to release: the arena belongs to the memtable. Leaves the iterator exhausted. */
  close(): void {
    this.node = 0
  }
}
