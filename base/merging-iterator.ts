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
  private forward = true

  constructor(children: InternalIterator[]) {
    this.children = children
  }

  private static compare(a: InternalIterator, b: InternalIterator): number {
    return compareInternal(a.userKey(), a.seq(), a.kind(), b.userKey(), b.seq(), b.kind())
  }

  private findSmallest(): void {
    this.current = this.findBest(false)
  }

  private findLargest(): void {
    this.current = this.findBest(true)
  }

  // The best child's key, seq and kind are read once per scan rather than at every comparison:
  // a compaction merges every entry through here, and each read of a key may cost a view.
  private findBest(largest: boolean): InternalIterator | undefined {
    let best: InternalIterator | undefined
    let bestKey: Uint8Array | undefined
    let bestSeq = 0
    let bestKind = 0
    for (const c of this.children) {
      if (!c.valid()) continue
      const key = c.userKey()
      const seq = c.seq()
      const kind = c.kind()
      if (bestKey !== undefined) {
        const cmp = compareInternal(key, seq, kind, bestKey, bestSeq, bestKind)
        // Ties go to the earlier child forwards and to the later one backwards (see the top).
        if (largest ? cmp < 0 : cmp >= 0) continue
      }
      best = c
      bestKey = key
      bestSeq = seq
      bestKind = kind
    }
    return best
  }

  seekGE(userKey: Uint8Array, seq?: number): void {
    for (const c of this.children) c.seekGE(userKey, seq)
    this.forward = true
    this.findSmallest()
  }

  seekLT(userKey: Uint8Array): void {
    for (const c of this.children) c.seekLT(userKey)
    this.forward = false
    this.findLargest()
  }

  first(): void {
    for (const c of this.children) c.first()
    this.forward = true
    this.findSmallest()
  }

  last(): void {
    for (const c of this.children) c.last()
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
      const at = this.children.indexOf(cur)
      this.children.forEach((c, i) => {
        if (c === cur) return
        c.seekGE(key, seq)
        if (i < at && c.valid() && MergingIterator.compare(c, cur) === 0) c.next()
      })
      this.forward = true
    }
    cur.next()
    this.findSmallest()
  }

  prev(): void {
    const cur = this.current!
    if (this.forward) {
      // Others sit after the current entry: move each to the last entry before it. An equal
      // entry of an earlier child comes before the current one, so it stays.
      const key = cur.userKey()
      const seq = cur.seq()
      const at = this.children.indexOf(cur)
      this.children.forEach((c, i) => {
        if (c === cur) return
        c.seekGE(key, seq)
        if (!c.valid()) c.last()
        else if (!(i < at && MergingIterator.compare(c, cur) === 0)) c.prev()
      })
      this.forward = false
    }
    cur.prev()
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
    this.current = undefined
  }
}
