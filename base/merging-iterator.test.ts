// MergingIterator against a model: random children (sorted arrays, some sharing keys and even
// whole entries with other children), random walks of seeks, steps and direction changes, each
// position compared with the merged sorted array (ties by child index, forwards and backwards).

import { describe, expect, it } from 'vitest'
import { MAX_SEQ, compareBytes, compareInternal } from './internal-key.js'
import type { InternalIterator } from './internal-iterator.js'
import { MergingIterator } from './merging-iterator.js'
import { makeRng } from '../tests/support/rng.js'

interface Entry {
  key: Uint8Array
  seq: number
  kind: number
  value: Uint8Array
  /** The child it came from (the model's tie-break). */
  child: number
}

const cmp = (a: Entry, b: Entry) => compareInternal(a.key, a.seq, a.kind, b.key, b.seq, b.kind)

/**
 * A child over a sorted array. Like a block iterator, its userKey() is a view of one buffer it
 * rewrites in place at every move, so a merger that kept a view past the child's own moves, or
 * mixed up children, would read the wrong key.
 */
class ArrayIterator implements InternalIterator {
  private at = -1
  private readonly keyBuf = new Uint8Array(16)
  private keyView = this.keyBuf.subarray(0, 0)
  constructor(private readonly entries: Entry[]) {}
  private set(i: number): void {
    this.at = i >= 0 && i < this.entries.length ? i : -1
    if (this.at < 0) return
    const k = this.entries[this.at].key
    this.keyBuf.set(k)
    this.keyView = this.keyBuf.subarray(0, k.length)
  }
  seekGE(userKey: Uint8Array, seq = MAX_SEQ): void {
    this.set(this.entries.findIndex((e) => compareInternal(e.key, e.seq, e.kind, userKey, seq, 255) >= 0))
  }
  seekLT(userKey: Uint8Array): void {
    let i = this.entries.length - 1
    while (i >= 0 && compareBytes(this.entries[i].key, userKey) >= 0) i--
    this.set(i)
  }
  first(): void { this.set(0) }
  last(): void { this.set(this.entries.length - 1) }
  next(): void { this.set(this.at + 1) }
  prev(): void { this.set(this.at - 1) }
  valid(): boolean { return this.at >= 0 }
  userKey(): Uint8Array { return this.keyView }
  seq(): number { return this.entries[this.at].seq }
  kind(): number { return this.entries[this.at].kind }
  value(): Uint8Array { return this.entries[this.at].value }
  close(): void { this.at = -1 }
}

const key = (k: number) => Uint8Array.of(k >> 8, k & 255)

/** An entry; one (key, seq) has one kind, as in a database (seqs are unique per write). */
function newEntry(k: number, seq: number, child: number): Entry {
  return { key: key(k), seq, kind: 1 + ((k + seq) & 1), value: Uint8Array.of(child), child }
}

describe('MergingIterator', () => {
  it('walks the union of its children as the merged sorted array does, through seeks and direction changes', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const g = makeRng(seed)
      const r = (n: number) => g.int(n)
      const childCount = 1 + r(6)
      const children: Entry[][] = []
      const shared: Entry[] = []
      for (let c = 0; c < childCount; c++) {
        const mine = new Map<string, Entry>()
        for (let n = r(40); n > 0; n--) {
          // Now and then an entry another child holds too (same key, seq and kind: a relocated copy).
          const e: Entry = shared.length > 0 && r(6) === 0
            ? { ...shared[r(shared.length)], child: c, value: Uint8Array.of(c) }
            : newEntry(r(60), 1 + r(5), c)
          mine.set(`${e.key.join()}/${e.seq}/${e.kind}`, e)
          shared.push(e)
        }
        children.push([...mine.values()].sort(cmp))
      }
      const model = children.flat().sort((a, b) => cmp(a, b) || a.child - b.child)
      const merged = new MergingIterator(children.map((c) => new ArrayIterator(c)))
      const why = `seed ${seed}`
      let pos = -1
      const check = (step: string) => {
        const want = pos >= 0 && pos < model.length ? model[pos] : undefined
        expect(merged.valid(), `${why} ${step}`).toBe(want !== undefined)
        if (want === undefined) return
        expect([...merged.userKey()], `${why} ${step}`).toEqual([...want.key])
        expect([merged.seq(), merged.kind(), merged.value()[0]], `${why} ${step}`).toEqual([want.seq, want.kind, want.child])
      }
      for (let op = 0; op < 300; op++) {
        const k = r(64)
        const o = r(10)
        if (o === 0 || (pos < 0 || pos >= model.length) && o < 5) {
          const s = r(3) === 0 ? MAX_SEQ : 1 + r(6)
          merged.seekGE(key(k), s)
          pos = model.findIndex((e) => compareInternal(e.key, e.seq, e.kind, key(k), s, 255) >= 0)
          if (pos < 0) pos = model.length
          check(`seekGE(${k}, ${s})`)
        } else if (o === 1) {
          merged.seekLT(key(k))
          pos = model.length - 1
          while (pos >= 0 && compareBytes(model[pos].key, key(k)) >= 0) pos--
          check(`seekLT(${k})`)
        } else if (o === 2) {
          merged.first()
          pos = 0
          check('first')
        } else if (o === 3) {
          merged.last()
          pos = model.length - 1
          check('last')
        } else if (pos >= 0 && pos < model.length) {
          if (o < 7) {
            merged.next()
            pos++
            check('next')
          } else {
            merged.prev()
            pos--
            check('prev')
          }
        }
      }
      merged.close()
      expect(merged.valid()).toBe(false)
    }
  })
})
