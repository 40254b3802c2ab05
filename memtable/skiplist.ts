// Skiplist: the memtable's ordered index, laid out inside one Arena (after Badger's skl/skl.go).
//
// Order is internal order (base/internal-key.ts): user key ascending bytewise, then the trailer
// (seq * 256 + kind) descending, so the newest version of a key comes first.
//
// Concurrency and lifetime (compare LevelDB's db/skiplist.h):
// (1) One writer. Only the engine's write queue calls insert(); JavaScript runs it to completion, so
//     a reader never sees a half-linked node.
// (2) Readers (iterators, lookups) may interleave with inserts between their own calls. They hold
//     node offsets, never views of the arena, and re-read the arena's views on each call, so they
//     stay correct when inserts add nodes next to them or grow (reallocate) the arena.
// (3) Nodes are never deleted or changed after insert() returns, except for their links. The arena
//     is dropped as a whole with the memtable; byte views handed out stay valid as long as they are
//     referenced, because an old buffer outlives growth while something points into it.
//
// Node layout, at a byte offset n that is 8-aligned (w = n / 4, all integers native-endian):
//
//   f64[n/8]     trailer: seq * 256 + kind (below 2^53, exact)
//   u32[w + 2]   key prefix: the key's first 4 bytes, big-endian, zero-padded (decides most compares
//                without touching the key bytes)
//   u32[w + 3]   key length
//   u32[w + 4]   value length
//   u32[w + 5]   height h (1..MAX_HEIGHT)
//   u32[w + 6]   prev: the level-0 predecessor (HEAD for the first node), so prev() is O(1)
//   u32[w + 7 + l], l < h   next at level l (0 = nil)
//   then key bytes, then value bytes, padded to 8.
//
// The head node sits at a fixed offset with MAX_HEIGHT links and no key.

import { assert, assertionsEnabled } from '../base/assert.js'
import { Arena } from './arena.js'

/** Tall enough for 4^16 entries at P = 1/4; the head's tower costs 64 bytes once. */
export const MAX_HEIGHT = 16
/** Chance of adding one more level: LevelDB's 1/4 keeps towers short (1.33 links per node). */
const P = 0.25

const HEADER_BYTES = 28
const W_PREFIX = 2
const W_KEY_LEN = 3
const W_VALUE_LEN = 4
const W_HEIGHT = 5
const W_PREV = 6
const W_NEXT = 7

export class Skiplist {
  readonly arena: Arena
  /** Offset of the head node. A node offset of 0 means nil. */
  readonly head: number
  /** Highest tower in use: searches start here rather than at MAX_HEIGHT. */
  private height = 1
  private readonly rng: () => number
  /** Scratch for insert(): the node after which the new node goes, per level. */
  private readonly splice = new Uint32Array(MAX_HEIGHT)
  /** The last node of each level, so appending in key order skips the search. */
  private readonly lasts = new Uint32Array(MAX_HEIGHT)

  constructor(initialArenaSize: number | undefined, rng: () => number) {
    this.arena = new Arena(initialArenaSize)
    this.rng = rng
    this.head = this.arena.alloc(HEADER_BYTES + 4 * MAX_HEIGHT)
    this.arena.u32[(this.head >>> 2) + W_HEIGHT] = MAX_HEIGHT
    this.lasts.fill(this.head)
  }

  /**
   * Inserts a node for (key, trailer) holding a copy of key and value.
   * requires: no node with the same key and trailer exists.
   */
  insert(key: Uint8Array, trailer: number, value: Uint8Array): void {
    const h = this.randomHeight()
    const keyLen = key.length
    const n = this.arena.alloc(HEADER_BYTES + 4 * h + keyLen + value.length)
    // alloc may have grown the arena: take the views only now.
    const { u8, u32, f64 } = this.arena
    const w = n >>> 2
    const prefix = keyPrefix(key)
    f64[n >>> 3] = trailer
    u32[w + W_PREFIX] = prefix
    u32[w + W_KEY_LEN] = keyLen
    u32[w + W_VALUE_LEN] = value.length
    u32[w + W_HEIGHT] = h
    const keyOffset = n + HEADER_BYTES + 4 * h
    u8.set(key, keyOffset)
    u8.set(value, keyOffset + keyLen)

    if (h > this.height) this.height = h
    const splice = this.splice
    const lasts = this.lasts
    const tail = lasts[0]
    if (tail === this.head || this.compareNode(tail, key, prefix, trailer) < 0) {
      // Appending after the current last entry (sequential keys, or recovery replay of sorted data).
      for (let l = 0; l < h; l++) splice[l] = lasts[l]
    } else {
      this.findSplice(key, prefix, trailer)
    }

    for (let l = 0; l < h; l++) {
      const before = splice[l]
      const after = u32[(before >>> 2) + W_NEXT + l]
      u32[w + W_NEXT + l] = after
      u32[(before >>> 2) + W_NEXT + l] = n
      if (after === 0) lasts[l] = n
    }
    u32[w + W_PREV] = splice[0]
    const after0 = u32[w + W_NEXT]
    if (after0 !== 0) u32[(after0 >>> 2) + W_PREV] = n
  }

  /** Fills splice[0..height) with the last node before (key, trailer) on each level. */
  private findSplice(key: Uint8Array, prefix: number, trailer: number): void {
    const splice = this.splice
    let x = this.head
    for (let l = this.height - 1; l >= 0; l--) {
      for (;;) {
        const nx = this.arena.u32[(x >>> 2) + W_NEXT + l]
        if (nx === 0) break
        const c = this.compareNode(nx, key, prefix, trailer)
        assert(c !== 0, 'skiplist: duplicate (key, seq, kind) inserted')
        if (c > 0) break
        x = nx
      }
      splice[l] = x
    }
  }

  /** The first node at or after (key, trailer) in internal order, or 0. */
  seekGE(key: Uint8Array, trailer: number): number {
    const prefix = keyPrefix(key)
    let x = this.head
    let nx = 0
    for (let l = this.height - 1; l >= 0; l--) {
      for (;;) {
        nx = this.arena.u32[(x >>> 2) + W_NEXT + l]
        if (nx === 0) break
        if (this.compareNode(nx, key, prefix, trailer) >= 0) break
        x = nx
      }
    }
    return nx
  }

  /** The last node whose user key is strictly less than `key`, or 0. */
  seekLT(key: Uint8Array): number {
    const prefix = keyPrefix(key)
    let x = this.head
    for (let l = this.height - 1; l >= 0; l--) {
      for (;;) {
        const nx = this.arena.u32[(x >>> 2) + W_NEXT + l]
        // An infinite trailer sorts before every version of `key`, so equal user keys stop here.
        if (nx === 0 || this.compareNode(nx, key, prefix, Infinity) > 0) break
        x = nx
      }
    }
    return x === this.head ? 0 : x
  }

  first(): number {
    return this.arena.u32[(this.head >>> 2) + W_NEXT]
  }

  last(): number {
    const tail = this.lasts[0]
    return tail === this.head ? 0 : tail
  }

  next(n: number): number {
    return this.arena.u32[(n >>> 2) + W_NEXT]
  }

  prev(n: number): number {
    const p = this.arena.u32[(n >>> 2) + W_PREV]
    return p === this.head ? 0 : p
  }

  trailer(n: number): number {
    return this.arena.f64[n >>> 3]
  }

  /** The node's user key. valid: as long as the memtable is referenced (see rule 3 above). */
  userKey(n: number): Uint8Array {
    const u32 = this.arena.u32
    const w = n >>> 2
    const start = n + HEADER_BYTES + 4 * u32[w + W_HEIGHT]
    return this.arena.u8.subarray(start, start + u32[w + W_KEY_LEN])
  }

  /** The node's value. valid: as long as the memtable is referenced (see rule 3 above). */
  value(n: number): Uint8Array {
    const u32 = this.arena.u32
    const w = n >>> 2
    const start = n + HEADER_BYTES + 4 * u32[w + W_HEIGHT] + u32[w + W_KEY_LEN]
    return this.arena.u8.subarray(start, start + u32[w + W_VALUE_LEN])
  }

  /** Whether node n's user key equals `key`. */
  keyEquals(n: number, key: Uint8Array): boolean {
    const { u8, u32 } = this.arena
    const w = n >>> 2
    const len = u32[w + W_KEY_LEN]
    if (len !== key.length || u32[w + W_PREFIX] !== keyPrefix(key)) return false
    const start = n + HEADER_BYTES + 4 * u32[w + W_HEIGHT]
    for (let i = 4; i < len; i++) if (u8[start + i] !== key[i]) return false
    return true
  }

  /**
   * Order of node n against the search point (key, trailer): negative when the node comes first.
   * `prefix` is keyPrefix(key), computed once per search.
   */
  private compareNode(n: number, key: Uint8Array, prefix: number, trailer: number): number {
    const { u8, u32 } = this.arena
    const w = n >>> 2
    const nodePrefix = u32[w + W_PREFIX]
    if (nodePrefix !== prefix) return nodePrefix < prefix ? -1 : 1
    // Equal prefixes mean the first min(4, shorter length) bytes are equal; compare the rest.
    const nodeLen = u32[w + W_KEY_LEN]
    const keyLen = key.length
    const m = nodeLen < keyLen ? nodeLen : keyLen
    const start = n + HEADER_BYTES + 4 * u32[w + W_HEIGHT]
    for (let i = 4; i < m; i++) {
      const d = u8[start + i] - key[i]
      if (d !== 0) return d
    }
    if (nodeLen !== keyLen) return nodeLen - keyLen
    const t = this.arena.f64[n >>> 3]
    return t === trailer ? 0 : t > trailer ? -1 : 1
  }

  private randomHeight(): number {
    let h = 1
    while (h < MAX_HEIGHT && this.rng() < P) h++
    return h
  }

  /** Checks the links of the whole list (tests only: O(n * height)). */
  checkInvariants(): void {
    if (!assertionsEnabled) return
    const u32 = this.arena.u32
    for (let l = 0; l < MAX_HEIGHT; l++) {
      let x = u32[(this.head >>> 2) + W_NEXT + l]
      let last = this.head
      while (x !== 0) {
        assert(u32[(x >>> 2) + W_HEIGHT] > l, 'skiplist: node linked above its height')
        if (last !== this.head) {
          const c = this.compareNode(x, this.userKey(last), keyPrefix(this.userKey(last)), this.trailer(last))
          assert(c > 0, `skiplist: level ${l} out of order`)
        }
        if (l === 0) assert(u32[(x >>> 2) + W_PREV] === last, 'skiplist: prev link broken')
        last = x
        x = u32[(x >>> 2) + W_NEXT + l]
      }
      assert(this.lasts[l] === last, `skiplist: last node of level ${l} is stale`)
      if (l >= this.height) assert(last === this.head, 'skiplist: level above height in use')
    }
  }
}

/** The first 4 bytes of `key` as a big-endian uint32, zero-padded: orders like the bytes do. */
function keyPrefix(key: Uint8Array): number {
  const n = key.length
  if (n >= 4) return ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0
  let p = 0
  for (let i = 0; i < 4; i++) p = (p << 8) | (i < n ? key[i] : 0)
  return p >>> 0
}
