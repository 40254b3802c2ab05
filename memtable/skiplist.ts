// Skiplist: the memtable's ordered index, laid out inside one Arena (after Badger's skl/skl.go).
//
// Order is internal order (base/internal-key.ts): user key ascending bytewise, then the trailer
// (seq * 256 + kind) descending, so the newest version of a key comes first.
//
// Concurrency and lifetime (compare LevelDB's db/skiplist.h):
// (1) One writer. Only the engine's write queue calls insert() (and recovery appendSorted(), before
//     anything reads the list); JavaScript runs each to completion, so a reader never sees a
//     half-linked node.
// (2) Readers (iterators, lookups) may interleave with inserts between their own calls. They hold
//     node offsets, never views of the arena, and re-read the arena's views on each call, so they
//     stay correct when inserts add nodes next to them or grow (reallocate) the arena.
// (3) Nodes are never deleted or changed after insert() returns, except for their links. The arena
//     is dropped as a whole with the memtable; byte views handed out stay valid as long as they are
//     referenced, because an old buffer outlives growth while something points into it.
//
// Node layout, at a byte offset n that is 8-aligned (w = n / 4, all integers native-endian):
//
//   f64[n/8]          trailer: seq * 256 + kind (below 2^53, exact)
//   u32[w + 2]        key length
//   u32[w + 3]        value length
//   u32[w + 4]        height h (1..MAX_HEIGHT)
//   u32[w + 5]        prev: the level-0 predecessor (HEAD for the first node), so prev() is O(1)
//   u32[w + 6 + 2l]   next at level l, l < h (0 = nil)
//   u32[w + 7 + 2l]   that next node's key prefix: its 4 key bytes after the list's `skip`, big-endian, zero-padded
//   then key bytes, then value bytes, padded to 8.
//
// Why the prefix sits beside the link: a search is bound by memory latency (1M entries are ~150 MB;
// a random load costs ~190 ns on the project machine), and with the successor's prefix at hand it
// decides whether to move right without loading the successor at all, unless the prefixes tie.
//
// Why after `skip`: keys often share their first bytes (db_bench's zero-padded decimal keys share
// nine, "user:" namespaces five), and then the first 4 bytes tie at every step, so every step
// loaded its successor anyway. `skip` is how many leading bytes every key in the list shares with
// the first key; the prefix is taken after them, which orders keys that share them as their bytes
// do. A key that shares fewer shrinks `skip`, and every link's prefix is written again (O(n), at
// most once per byte of the first key, nearly always while the list is small). A search key that
// does not share them sorts before every key in the list or after every one (searchPrefix).
//
// The head node sits at a fixed offset with MAX_HEIGHT links and no key.
//
// A frozen skiplist (no more inserts) can be reopened over its arena's bytes from its state()
// (head, height, last node): that is how the flush worker reads a memtable in place.

import { assert, assertionsEnabled } from '../base/assert.js'
import { Arena } from './arena.js'
import { type EntryColumns, SPAN } from './entry-columns.js'

/** Tall enough for 2^24 entries at P = 1/2 before searches slow down; the head costs 8 B a level. */
export const MAX_HEIGHT = 24
/**
 * Chance of adding one more level. With the successor's prefix beside each link, a search loads
 * only the nodes it moves onto, about (1 - P) / P per level over log(1/P) n levels: 1/2 loads
 * fewer nodes than LevelDB's 1/4 (about 20 against 30 at 1M entries) for 8 more bytes a node.
 * Measured (1M random 16 B keys, 100 B values): get 2.1 us at 1/2, 2.5 us at 1/4.
 */
const P = 0.5

const HEADER_BYTES = 24
const W_KEY_LEN = 2
const W_VALUE_LEN = 3
const W_HEIGHT = 4
const W_PREV = 5
/** Level l's link is at word W_TOWER + 2l, its successor's prefix at W_TOWER + 2l + 1. */
const W_TOWER = 6

export interface SkiplistState {
  head: number
  /** Highest tower in use. */
  height: number
  /** The last node in order (0 when empty). */
  last: number
}

export class Skiplist {
  readonly arena: Arena
  /** Offset of the head node. A node offset of 0 means nil. */
  readonly head: number
  /** Highest tower in use: searches start here rather than at MAX_HEIGHT. */
  private height = 1
  private readonly rng: () => number
  /** Filled by findSplice(): the last node before the search point, per level. */
  private readonly splice = new Uint32Array(MAX_HEIGHT)
  /** The last node of each level, so appending in key order skips the search. */
  private readonly lasts = new Uint32Array(MAX_HEIGHT)

  /**
   * findSplice's search key, copied into word-aligned bytes so that compareSearch reads it 4 bytes
   * at a time against the node's key (which starts 8-aligned in the arena). Keys whose first
   * bytes all agree (db_bench's zero-padded decimal keys: the 4-byte prefixes beside the links
   * always tie) were compared a byte at a time: half the main thread's CPU in a fill.
   */
  private searchWords = new Uint32Array(16)
  private searchBytes = new Uint8Array(this.searchWords.buffer)
  private searchLength = 0

  /**
   * Leading bytes every key in the list shares with the first one (-1 before it): see the top.
   * It is also the longest prefix common to the list's first and last keys, which is how a
   * reopened frozen list gets it back.
   */
  private skip = -1
  /** Those bytes. */
  private common = new Uint8Array(0)

  /** Set on a reopened frozen list, which only reads: its `lasts` above level 0 are unknown. */
  private readonly readOnly: boolean

  /** A new list in `arena`, or, given a frozen list's state, that list reopened over its arena. */
  constructor(arena: Arena, rng: () => number, frozen?: SkiplistState) {
    this.arena = arena
    this.rng = rng
    if (frozen) {
      this.head = frozen.head
      this.height = frozen.height
      this.lasts[0] = frozen.last === 0 ? frozen.head : frozen.last
      this.readOnly = true
      const first = this.first()
      if (first !== 0) {
        // What the last key shares of the first is what every key shares (they are sorted).
        this.common = this.userKey(first).slice()
        const last = this.userKey(frozen.last)
        this.skip = this.sharedLength(last, 0, last.length)
        this.common = this.common.subarray(0, this.skip)
      }
      return
    }
    this.readOnly = false
    this.head = this.arena.alloc(HEADER_BYTES + 8 * MAX_HEIGHT)
    this.arena.u32[(this.head >>> 2) + W_HEIGHT] = MAX_HEIGHT
    this.lasts.fill(this.head)
  }

  /** What a reader of the arena's bytes needs besides them to reopen this list. */
  state(): SkiplistState {
    return { head: this.head, height: this.height, last: this.last() }
  }

  /**
   * Inserts a node for (key, trailer) holding a copy of key and value.
   * requires: no node with the same key and trailer exists.
   */
  insert(key: Uint8Array, trailer: number, value: Uint8Array): void {
    assert(!this.readOnly, 'skiplist: insert into a frozen list')
    this.admitKey(key, 0, key.length)
    const h = this.randomHeight()
    const keyLen = key.length
    const n = this.arena.alloc(HEADER_BYTES + 8 * h + keyLen + value.length)
    // alloc may have grown the arena: take the views only now.
    const { u8, u32, f64 } = this.arena
    const w = n >>> 2
    f64[n >>> 3] = trailer
    u32[w + W_KEY_LEN] = keyLen
    u32[w + W_VALUE_LEN] = value.length
    u32[w + W_HEIGHT] = h
    const keyOffset = n + HEADER_BYTES + 8 * h
    u8.set(key, keyOffset)
    u8.set(value, keyOffset + keyLen)

    const prefix = keyPrefixAt(key, this.skip, keyLen - this.skip)
    if (h > this.height) this.height = h
    const splice = this.splice
    const lasts = this.lasts
    const tail = lasts[0]
    if (tail === this.head || this.compareNode(tail, key, trailer) < 0) {
      // Appending after the current last entry (sequential keys, or recovery replay of sorted data).
      for (let l = 0; l < h; l++) splice[l] = lasts[l]
    } else {
      this.findSplice(key, trailer)
      assert(
        u32[(splice[0] >>> 2) + W_TOWER] === 0 || this.compareNode(u32[(splice[0] >>> 2) + W_TOWER], key, trailer) !== 0,
        'skiplist: duplicate (key, seq, kind) inserted',
      )
    }

    for (let l = 0; l < h; l++) {
      const link = (splice[l] >>> 2) + W_TOWER + 2 * l
      const after = u32[link]
      u32[w + W_TOWER + 2 * l] = after
      u32[w + W_TOWER + 2 * l + 1] = u32[link + 1]
      u32[link] = n
      u32[link + 1] = prefix
      if (after === 0) lasts[l] = n
    }
    u32[w + W_PREV] = splice[0]
    const after0 = u32[w + W_TOWER]
    if (after0 !== 0) u32[(after0 >>> 2) + W_PREV] = n
  }

  /**
   * Appends the entries of `c` in `order` behind the last node, without a search or a compare:
   * recovery's replay of a WAL (Memtable.addColumns). The list comes out as insert() of each
   * entry in that order would leave it, up to the towers' random heights.
   *
   * Two passes. The first writes the nodes in the columns' order (the WAL's: the order insert()
   * would have laid them out in too), one arena allocation for all, so it reads the WAL's bytes
   * and writes the arena's front to back. The second links them in `order`, touching only each
   * node's header and the last node of each level. Writing the nodes in sorted order instead
   * reads keys and values at random from a 45 MiB WAL: 3-4 cache misses an entry rather than 1,
   * which made this pass ~3 times slower for random keys.
   * requires: `order` is a permutation of c's entries in internal order, with no two entries equal
   * in (key, trailer), and every one of them after the last node.
   */
  appendSorted(c: EntryColumns, order: Uint32Array): void {
    assert(!this.readOnly, 'skiplist: insert into a frozen list')
    const count = order.length
    if (count === 0) return
    const { src, spans, trailers } = c
    for (let e = 0; e < count; e++) this.admitKey(src, spans[e * SPAN], spans[e * SPAN + 1])
    const skip = this.skip
    const heights = new Uint8Array(count)
    let total = 0
    for (let e = 0; e < count; e++) {
      const h = this.randomHeight()
      heights[e] = h
      total += alignNode(HEADER_BYTES + 8 * h + spans[e * SPAN + 1] + spans[e * SPAN + 3])
    }
    let n = this.arena.alloc(total)
    const { u8, u32, f64 } = this.arena
    const from = new DataView(src.buffer, src.byteOffset, src.byteLength)
    const to = new DataView(this.arena.buf)
    // Where each entry's node is, and its key prefix (stored beside the links that lead to it).
    const nodes = new Uint32Array(count)
    const prefixes = new Uint32Array(count)
    for (let e = 0; e < count; e++) {
      const s = e * SPAN
      const h = heights[e]
      const ks = spans[s]
      const keyLen = spans[s + 1]
      const valueLen = spans[s + 3]
      const w = n >>> 2
      f64[n >>> 3] = trailers[e]
      u32[w + W_KEY_LEN] = keyLen
      u32[w + W_VALUE_LEN] = valueLen
      u32[w + W_HEIGHT] = h
      const keyOffset = n + HEADER_BYTES + 8 * h
      copyBytes(src, from, ks, keyLen, u8, to, keyOffset)
      copyBytes(src, from, spans[s + 2], valueLen, u8, to, keyOffset + keyLen)
      nodes[e] = n
      prefixes[e] = keyPrefixAt(src, ks + skip, keyLen - skip)
      n += alignNode(HEADER_BYTES + 8 * h + keyLen + valueLen)
    }
    // The links a node ends with stay the zeros of fresh arena bytes until a later node links in.
    const lasts = this.lasts
    let height = this.height
    for (let i = 0; i < count; i++) {
      const e = order[i]
      const node = nodes[e]
      const h = heights[e]
      const prefix = prefixes[e]
      u32[(node >>> 2) + W_PREV] = lasts[0]
      for (let l = 0; l < h; l++) {
        const link = (lasts[l] >>> 2) + W_TOWER + 2 * l
        u32[link] = node
        u32[link + 1] = prefix
        lasts[l] = node
      }
      if (h > height) height = h
    }
    this.height = height
  }

  /**
   * Fills splice[0..height) with the last node before (key, trailer) on each level and returns
   * splice[0] (the head when there is none).
   */
  private findSplice(key: Uint8Array, trailer: number): number {
    this.setSearchKey(key)
    const prefix = this.searchPrefix(key)
    const u32 = this.arena.u32
    const splice = this.splice
    let x = this.head
    // The node that ended the walk on the level above: met again below, it needs no compare.
    let stop = 0
    for (let l = this.height - 1; l >= 0; l--) {
      for (;;) {
        const link = (x >>> 2) + W_TOWER + 2 * l
        const nx = u32[link]
        if (nx === stop) break
        const np = u32[link + 1]
        if (np > prefix || (np === prefix && this.compareSearch(nx, trailer) >= 0)) {
          stop = nx
          break
        }
        x = nx
      }
      splice[l] = x
    }
    return x
  }

  /**
   * The prefix findSplice compares links' prefixes with. A key that does not share the list's
   * `skip` bytes sorts before every key in it or after every one, as it sorts against `common`:
   * -1 then stops at the head on every level, Infinity walks to every level's end.
   */
  private searchPrefix(key: Uint8Array): number {
    const skip = this.skip
    if (skip < 0) return 0 // empty: nothing to compare with
    const shared = this.sharedLength(key, 0, key.length)
    if (shared === skip) return keyPrefixAt(key, skip, key.length - skip)
    return shared === key.length || key[shared] < this.common[shared] ? -1 : Infinity
  }

  /** How many leading bytes of buf[start, start + n) agree with `common`. */
  private sharedLength(buf: Uint8Array, start: number, n: number): number {
    const c = this.common
    const m = n < c.length ? n : c.length
    let i = 0
    while (i < m && buf[start + i] === c[i]) i++
    return i
  }

  /**
   * Takes the key buf[start, start + n) into `skip` before it is inserted: the first key sets it,
   * a key that shares fewer bytes shrinks it and has every link's prefix written again.
   */
  private admitKey(buf: Uint8Array, start: number, n: number): void {
    if (this.skip < 0) {
      // A copy (a Buffer's slice() would be a view of bytes the caller may reuse).
      this.common = new Uint8Array(buf.subarray(start, start + n))
      this.skip = n
      return
    }
    const shared = this.sharedLength(buf, start, n)
    if (shared === this.skip) return
    this.skip = shared
    this.common = this.common.slice(0, shared)
    this.rewritePrefixes()
  }

  /** Writes every link's successor prefix again, for the current `skip`. */
  private rewritePrefixes(): void {
    const u32 = this.arena.u32
    for (let l = 0; l < this.height; l++) {
      let x = this.head
      for (;;) {
        const link = (x >>> 2) + W_TOWER + 2 * l
        const nx = u32[link]
        if (nx === 0) break
        u32[link + 1] = this.nodePrefix(nx)
        x = nx
      }
    }
  }

  /** The prefix of node n's key (the 4 bytes after `skip`), as the link to it holds it. */
  private nodePrefix(n: number): number {
    const { u8, u32 } = this.arena
    const w = n >>> 2
    const start = n + HEADER_BYTES + 8 * u32[w + W_HEIGHT]
    return keyPrefixAt(u8, start + this.skip, u32[w + W_KEY_LEN] - this.skip)
  }

  /** The first node at or after (key, trailer) in internal order, or 0. */
  seekGE(key: Uint8Array, trailer: number): number {
    const before = this.findSplice(key, trailer)
    return this.arena.u32[(before >>> 2) + W_TOWER]
  }

  /** The last node whose user key is strictly less than `key`, or 0. */
  seekLT(key: Uint8Array): number {
    // An infinite trailer sorts before every version of `key`, so no version of it counts as less.
    const before = this.findSplice(key, Infinity)
    return before === this.head ? 0 : before
  }

  first(): number {
    return this.arena.u32[(this.head >>> 2) + W_TOWER]
  }

  last(): number {
    const tail = this.lasts[0]
    return tail === this.head ? 0 : tail
  }

  next(n: number): number {
    return this.arena.u32[(n >>> 2) + W_TOWER]
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
    const start = n + HEADER_BYTES + 8 * u32[w + W_HEIGHT]
    return this.arena.u8.subarray(start, start + u32[w + W_KEY_LEN])
  }

  /** The node's value. valid: as long as the memtable is referenced (see rule 3 above). */
  value(n: number): Uint8Array {
    const u32 = this.arena.u32
    const w = n >>> 2
    const start = n + HEADER_BYTES + 8 * u32[w + W_HEIGHT] + u32[w + W_KEY_LEN]
    return this.arena.u8.subarray(start, start + u32[w + W_VALUE_LEN])
  }

  /** Whether node n's user key equals `key`. */
  keyEquals(n: number, key: Uint8Array): boolean {
    const { u8, u32 } = this.arena
    const w = n >>> 2
    const len = u32[w + W_KEY_LEN]
    if (len !== key.length) return false
    const start = n + HEADER_BYTES + 8 * u32[w + W_HEIGHT]
    for (let i = 0; i < len; i++) if (u8[start + i] !== key[i]) return false
    return true
  }

  private setSearchKey(key: Uint8Array): void {
    const n = key.length
    if (this.searchBytes.length < n) {
      this.searchWords = new Uint32Array(Math.ceil((2 * n) / 4))
      this.searchBytes = new Uint8Array(this.searchWords.buffer)
    }
    const b = this.searchBytes
    if (n <= 64) for (let i = 0; i < n; i++) b[i] = key[i]
    else b.set(key)
    this.searchLength = n
  }

  /**
   * compareNode(n, key, trailer) for the key setSearchKey() was given, a word at a time while
   * the words agree, then byte by byte within the first word that differs.
   */
  private compareSearch(n: number, trailer: number): number {
    const { u8, u32 } = this.arena
    const w = n >>> 2
    const nodeLen = u32[w + W_KEY_LEN]
    const keyLen = this.searchLength
    const m = nodeLen < keyLen ? nodeLen : keyLen
    const start = n + HEADER_BYTES + 8 * u32[w + W_HEIGHT]
    const words = this.searchWords
    const startWord = start >>> 2
    const fullWords = m >>> 2
    let j = 0
    while (j < fullWords && u32[startWord + j] === words[j]) j++
    const b = this.searchBytes
    for (let i = j << 2; i < m; i++) {
      const d = u8[start + i] - b[i]
      if (d !== 0) return d
    }
    if (nodeLen !== keyLen) return nodeLen - keyLen
    const t = this.arena.f64[n >>> 3]
    return t === trailer ? 0 : t > trailer ? -1 : 1
  }

  /** Order of node n against the search point (key, trailer): negative when the node comes first. */
  private compareNode(n: number, key: Uint8Array, trailer: number): number {
    const { u8, u32 } = this.arena
    const w = n >>> 2
    const nodeLen = u32[w + W_KEY_LEN]
    const keyLen = key.length
    const m = nodeLen < keyLen ? nodeLen : keyLen
    const start = n + HEADER_BYTES + 8 * u32[w + W_HEIGHT]
    // Callers have usually matched the 4-byte prefixes already; rechecking them costs little.
    for (let i = 0; i < m; i++) {
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

  /** Checks links, order and cached prefixes of the whole list (tests only: O(n * height)). */
  checkInvariants(): void {
    if (!assertionsEnabled) return
    const u32 = this.arena.u32
    for (let l = 0; l < MAX_HEIGHT; l++) {
      let last = this.head
      let x = u32[(last >>> 2) + W_TOWER + 2 * l]
      while (x !== 0) {
        assert(u32[(x >>> 2) + W_HEIGHT] > l, 'skiplist: node linked above its height')
        assert(u32[(last >>> 2) + W_TOWER + 2 * l + 1] === this.nodePrefix(x), 'skiplist: stale prefix')
        assert(this.sharedLength(this.userKey(x), 0, this.userKey(x).length) === this.skip, 'skiplist: a key does not share skip bytes')
        if (last !== this.head) {
          assert(this.compareNode(x, this.userKey(last), this.trailer(last)) > 0, `skiplist: level ${l} out of order`)
        }
        if (l === 0) assert(u32[(x >>> 2) + W_PREV] === last, 'skiplist: prev link broken')
        last = x
        x = u32[(x >>> 2) + W_TOWER + 2 * l]
      }
      assert(this.lasts[l] === last, `skiplist: last node of level ${l} is stale`)
      if (l >= this.height) assert(last === this.head, 'skiplist: level above height in use')
    }
  }
}

/**
 * The first 4 bytes of buf[start, start + n) as a big-endian uint32, zero-padded: orders like the
 * bytes do.
 */
function keyPrefixAt(buf: Uint8Array, start: number, n: number): number {
  if (n >= 4) return ((buf[start] << 24) | (buf[start + 1] << 16) | (buf[start + 2] << 8) | buf[start + 3]) >>> 0
  let p = 0
  for (let i = 0; i < 4; i++) p = (p << 8) | (i < n ? buf[start + i] : 0)
  return p >>> 0
}

/** A node's size in the arena: Arena.alloc rounds every allocation up to 8 bytes. */
function alignNode(n: number): number {
  return n + (-n & 7) // & takes the low 32 bits, whose low 3 are n's at any size
}

/**
 * Copies src[at, at + n) to dst at `to`; `srcView` and `dstView` are DataViews of the same bytes.
 * Short runs go four bytes at a time through the DataViews (both little-endian, so the bytes land
 * as they were): set() needs a view of the source, an allocation that costs more than copying a
 * key or a small value, and a byte loop costs ~3 times the DataView's (measured on 16 and 100 B).
 */
function copyBytes(src: Uint8Array, srcView: DataView, at: number, n: number, dst: Uint8Array, dstView: DataView, to: number): void {
  if (n > 256) {
    dst.set(src.subarray(at, at + n), to)
    return
  }
  let i = 0
  for (; i + 4 <= n; i += 4) dstView.setUint32(to + i, srcView.getUint32(at + i, true), true)
  for (; i < n; i++) dst[to + i] = src[at + i]
}
