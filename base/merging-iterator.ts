// MergingIterator: one InternalIterator over several, yielding the union in internal-key order.
// Used by reads (memtables + tables) and by compaction (its input tables).
//
// Children are few (memtables, L0 tables, one iterator per level), so the smallest or largest
// child is found by a linear scan rather than a heap. When the direction changes, every other
// child is repositioned around the current entry, as LevelDB's merger does.
//
// Equal entries (the same key and seq: a copy value-log GC relocated, and its original) are
// ordered by child index, earlier children (newer sources) first, in both directions: the
// merged sequence backwards is exactly the forward one reversed.

import { compareInternal } from './internal-key.js'
import type { InternalIterator } from './internal-iterator.js'

export class MergingIterator implements InternalIterator {
  private readonly children: InternalIterator[]
  private current: InternalIterator | undefined = undefined
  /** The index of `current` in children (-1: none). */
  private currentIndex = -1
  private forward = true
  // Each child's position as last read: its key (a view, valid while the child does not move),
  // seq and kind, and whether it is on an entry. Only the child that moved is read again after a
  // step, so a merge of k children makes three calls per entry instead of 3k: a compaction
  // merges every entry through here, and the calls (through several iterator classes) cost more
  // than the comparisons.
  private readonly keys: Array<Uint8Array | undefined>
  private readonly seqs: Float64Array
  private readonly kinds: Int32Array

  constructor(children: InternalIterator[]) {
    this.children = children
    this.keys = children.map(() => undefined)
    this.seqs = new Float64Array(children.length)
    this.kinds = new Int32Array(children.length)
  }

  private static compare(a: InternalIterator, b: InternalIterator): number {
    return compareInternal(a.userKey(), a.seq(), a.kind(), b.userKey(), b.seq(), b.kind())
  }

  /** Reads child i's position into keys/seqs/kinds (after it moved). */
  private load(i: number): void {
    const c = this.children[i]
    if (!c.valid()) {
      this.keys[i] = undefined
      return
    }
    this.keys[i] = c.userKey()
    this.seqs[i] = c.seq()
    this.kinds[i] = c.kind()
  }

  private loadAll(): void {
    for (let i = 0; i < this.children.length; i++) this.load(i)
  }

  private findSmallest(): void {
    this.setCurrent(this.findBest(false))
  }

  private findLargest(): void {
    this.setCurrent(this.findBest(true))
  }

  private setCurrent(i: number): void {
    this.currentIndex = i
    this.current = i < 0 ? undefined : this.children[i]
  }

  private findBest(largest: boolean): number {
    let best = -1
    let bestKey: Uint8Array | undefined
    let bestSeq = 0
    let bestKind = 0
    const keys = this.keys
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      if (key === undefined) continue
      const seq = this.seqs[i]
      const kind = this.kinds[i]
      if (bestKey !== undefined) {
        const cmp = compareInternal(key, seq, kind, bestKey, bestSeq, bestKind)
        // Ties go to the earlier child forwards and to the later one backwards (see the top).
        if (largest ? cmp < 0 : cmp >= 0) continue
      }
      best = i
      bestKey = key
      bestSeq = seq
      bestKind = kind
    }
    return best
  }

  seekGE(userKey: Uint8Array, seq?: number): void {
    for (const c of this.children) c.seekGE(userKey, seq)
    this.loadAll()
    this.forward = true
    this.findSmallest()
  }

  seekLT(userKey: Uint8Array): void {
    for (const c of this.children) c.seekLT(userKey)
    this.loadAll()
    this.forward = false
    this.findLargest()
  }

  first(): void {
    for (const c of this.children) c.first()
    this.loadAll()
    this.forward = true
    this.findSmallest()
  }

  last(): void {
    for (const c of this.children) c.last()
    this.loadAll()
    this.forward = false
    this.findLargest()
  }

  next(): void {
    const cur = this.current!
    if (!this.forward) {
      // Others sit before the current entry: move each to the first entry after it. An equal
      // entry of a later child comes after the current one; of an earlier child, before it.
      const key = cur.userKey()
      const seq = cur.seq()
      const at = this.currentIndex
      this.children.forEach((c, i) => {
        if (c === cur) return
        c.seekGE(key, seq)
        if (i < at && c.valid() && MergingIterator.compare(c, cur) === 0) c.next()
        this.load(i)
      })
      this.forward = true
    }
    cur.next()
    this.load(this.currentIndex)
    this.findSmallest()
  }

  prev(): void {
    const cur = this.current!
    if (this.forward) {
      // Others sit after the current entry: move each to the last entry before it. An equal
      // entry of an earlier child comes before the current one, so it stays.
      const key = cur.userKey()
      const seq = cur.seq()
      const at = this.currentIndex
      this.children.forEach((c, i) => {
        if (c === cur) return
        c.seekGE(key, seq)
        if (!c.valid()) c.last()
        else if (!(i < at && MergingIterator.compare(c, cur) === 0)) c.prev()
        this.load(i)
      })
      this.forward = false
    }
    cur.prev()
    this.load(this.currentIndex)
    this.findLargest()
  }

  valid(): boolean {
    return this.current !== undefined
  }

  userKey(): Uint8Array {
    return this.current!.userKey()
  }

  seq(): number {
    return this.current!.seq()
  }

  kind(): number {
    return this.current!.kind()
  }

  value(): Uint8Array {
    return this.current!.value()
  }

  close(): void {
    for (const c of this.children) c.close()
    this.setCurrent(-1)
    this.keys.fill(undefined)
  }
}
